"""The project pass: join the module summaries, propagate facts, hand each file its share.

Imports between linted modules are resolved as Python would from the project roots, through
re-exports in ``__init__.py`` files (``from .storage import save``). Facts propagate to a
fixed point: a function blocks when a call of its own body blocks (a catalog entry, or a
function of the project that blocks); cycles and recursion add nothing and terminate.

Each file receives only the facts about names it imports (``FileFacts``), with a digest:
its cached result stays valid until one of those facts changes, so an edit re-lints that
file and the files whose facts it changed, nothing else.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from concurlint.config import Settings
from concurlint.files import Unreadable, decode_source, read_bytes
from concurlint.model.catalog import BlockingGroup, Catalog, load_catalog
from concurlint.summary import (
    CallSite,
    FunctionSummary,
    ModuleSummary,
    absolute,
    module_name,
    summarize,
)

if TYPE_CHECKING:
    from concurlint.cache import Cache

_REEXPORT_HOPS = 8  # at most this many re-exports followed for one name
_INITIALIZER = ".__init__"


@dataclass(frozen=True)
class FileFacts:
    """What other modules of the project tell one file: the absolute names it can import
    that block (with their chain and catalog entry) and that are coroutine functions."""

    package: str = ""  # the file's package, for its relative imports
    blocking: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    coroutines: tuple[tuple[str, str], ...] = ()  # absolute name -> how to show it
    _blocking: dict[str, tuple[tuple[str, ...], str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._blocking.update((name, (chain, entry)) for name, chain, entry in self.blocking)

    @property
    def digest(self) -> str:
        """Empty when the file gets no facts (its cache key is then unchanged)."""
        if not self.blocking and not self.coroutines:
            return ""
        known = repr((self.package, self.blocking, self.coroutines))
        return hashlib.sha256(known.encode()).hexdigest()

    def absolute(self, name: str) -> str | None:
        """``.storage.save`` (libcst's name for a relative import) as an absolute name."""
        level = len(name) - len(name.lstrip("."))
        return absolute(name[level:] or None, level, self.package) if level else name

    def blocking_chain(self, names: Iterable[str]) -> tuple[tuple[str, ...], str] | None:
        """The chain and catalog entry of the first of ``names`` known to block."""
        for name in sorted(names):
            found = self._blocking.get(self.absolute(name) or "")
            if found is not None:
                return found
        return None

    def coroutine(self, names: Iterable[str]) -> str | None:
        shown = dict(self.coroutines)
        for name in sorted(names):
            found = shown.get(self.absolute(name) or "")
            if found is not None:
                return found
        return None


NO_FACTS = FileFacts()


@dataclass(frozen=True)
class _Function:
    module: str
    summary: FunctionSummary

    @property
    def shown(self) -> str:
        """``storage.save()``; a class's ``__init__`` shows as the constructor call."""
        qualname = self.summary.qualname.removesuffix(_INITIALIZER)
        return f"{self.module.rpartition('.')[2]}.{qualname}()"


class Project:
    """The summaries of every linted module, joined; ``facts_for`` gives a file its share."""

    def __init__(self, summaries: Iterable[ModuleSummary], catalog: Catalog) -> None:
        self.catalog = catalog
        self.modules = _unique_modules(summaries)
        self.functions = {
            f"{module.module}.{function.qualname}": _Function(module.module, function)
            for module in self.modules.values()
            for function in module.functions
        }
        self.blocking = self._propagate_blocking()
        self.coroutines = {
            name: function.shown
            for name, function in self.functions.items()
            if function.summary.coroutine and "." not in function.summary.qualname
        }
        self._aliases = self._exported_aliases()

    def resolve(self, name: str) -> str:
        """Follow re-exports: ``pkg.save`` -> ``pkg.storage.save`` when ``pkg/__init__.py``
        imports it; a name that is no re-export is returned as given."""
        for _ in range(_REEXPORT_HOPS):
            module, rest = self._split(name)
            if module is None or not rest:
                return name
            imports = dict(self.modules[module].imports)
            head, _, tail = rest.partition(".")
            if head not in imports:
                return name
            name = ".".join(filter(None, (imports[head], tail)))
        return name

    def facts_for(self, summary: ModuleSummary) -> FileFacts:
        """The facts about every name ``summary``'s module imports from the project."""
        targets = [target for _, target in summary.imports]
        if not targets:
            return FileFacts(_package(summary))
        blocking = tuple(
            (name, *self.blocking[function])
            for name, function in self._aliases.items()
            if function in self.blocking and _imported(name, targets)
        )
        coroutines = tuple(
            (name, self.coroutines[function])
            for name, function in self._aliases.items()
            if function in self.coroutines and _imported(name, targets)
        )
        return FileFacts(_package(summary), blocking, coroutines)

    # -- propagation -------------------------------------------------------------------------

    def _propagate_blocking(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """Fixed point: each round adds the functions one of whose calls now blocks."""
        found: dict[str, tuple[tuple[str, ...], str]] = {}
        pending = sorted(name for name, function in self.functions.items()
                         if function.summary.plain)
        changed = True
        while changed:
            changed = False
            for name in pending:
                if name in found:
                    continue
                for site in self.functions[name].summary.calls:
                    blocked = self._site_blocks(site, found)
                    if blocked is not None:
                        found[name] = ((self.functions[name].shown, *blocked[0]), blocked[1])
                        changed = True
                        break
        return found

    def _site_blocks(
        self, site: CallSite, found: Mapping[str, tuple[tuple[str, ...], str]]
    ) -> tuple[tuple[str, ...], str] | None:
        name = self.catalog.canonical(site.target)
        for group in self.catalog.blocking:
            if name in group.names and not _nonblocking(site, group):
                return (f"{name}()",), name
        callee = self._callee(self.resolve(site.target))
        if callee is None or callee not in found:
            return None
        return found[callee]

    def _callee(self, name: str) -> str | None:
        """The function that calling ``name`` runs: itself, or a class's ``__init__``."""
        if name in self.functions:
            return name
        initializer = f"{name}{_INITIALIZER}"
        return initializer if initializer in self.functions else None

    # -- names -------------------------------------------------------------------------------

    def _split(self, name: str) -> tuple[str | None, str]:
        """The longest prefix of ``name`` that is a module of the project, and the rest."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            module = ".".join(parts[:end])
            if module in self.modules:
                return module, ".".join(parts[end:])
        return None, name

    def _exported_aliases(self) -> dict[str, str]:
        """Every absolute name under which a function of the project can be imported."""
        aliases = {name: name for name in self.functions}
        aliases.update((name.removesuffix(_INITIALIZER), name) for name in self.functions
                       if name.endswith(_INITIALIZER))
        for module in self.modules.values():
            for local, _ in module.imports:
                name = f"{module.module}.{local}"
                target = self._callee(self.resolve(name))
                if target is not None and target != name:
                    aliases[name] = target
        return aliases


def _unique_modules(summaries: Iterable[ModuleSummary]) -> dict[str, ModuleSummary]:
    """Modules by name; a name two files claim (scripts in separate folders) is left out."""
    modules: dict[str, ModuleSummary] = {}
    claimed: set[str] = set()
    for summary in summaries:
        if summary.module in claimed:
            modules.pop(summary.module, None)
        elif summary.module:
            modules[summary.module] = summary
            claimed.add(summary.module)
    return modules


def _package(summary: ModuleSummary) -> str:
    return summary.module if summary.is_package else summary.module.rpartition(".")[0]


def _imported(name: str, targets: Iterable[str]) -> bool:
    return any(name == target or name.startswith(target + ".") for target in targets)


def _nonblocking(site: CallSite, group: BlockingGroup) -> bool:
    keywords = dict(site.keywords)
    for form in group.nonblocking:
        at = form.position
        if at is not None and at < len(site.positional) and site.positional[at] == form.value:
            return True
        if keywords.get(form.keyword or "") == form.value:
            return True
    return False


def project_facts(
    paths: Sequence[str], settings: Settings, cache: Cache | None = None
) -> dict[str, FileFacts]:
    """Summarize every path (from the cache when it can), join them, and return the facts
    of each path that imports something the project knows about."""
    roots = settings.source_roots()
    summaries = {}
    for path in paths:
        summary = read_summary(path, roots, cache)
        if summary is not None:
            summaries[path] = summary
    project = Project(summaries.values(), load_catalog(settings.catalog_extensions()))
    facts = {path: project.facts_for(summary) for path, summary in summaries.items()}
    return {path: found for path, found in facts.items() if found.digest}


def read_summary(
    path: str, roots: Sequence[str], cache: Cache | None = None
) -> ModuleSummary | None:
    """The summary of ``path`` (None when it cannot be read or parsed: then it exports
    nothing, and the lint pass reports why)."""
    raw = read_bytes(path)
    if isinstance(raw, Unreadable):
        return None
    module, is_package = module_name(path, roots)
    cached = cache.get_summary(path, raw, module) if cache is not None else None
    if cached is not None:
        return cached
    source = decode_source(path, raw)
    if isinstance(source, Unreadable):
        return None
    try:
        tree = ast.parse(source.text, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    summary = summarize(tree, module, is_package)
    if cache is not None:
        cache.put_summary(path, raw, summary)
    return summary
