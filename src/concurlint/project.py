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

import hashlib
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from concurlint.config import Settings
from concurlint.files import STUB_SUFFIX, Unreadable, decode_source, fingerprint, read_bytes
from concurlint.frameworks import per_request
from concurlint.guards import (
    Arguments,
    Guard,
    Passed,
    Signature,
    argument_constants,
    bind_arguments,
    guard_cut,
)
from concurlint.limits import parse_quietly
from concurlint.loop_branches import LOOP_OR_NONE, RAISES_WITHOUT_LOOP
from concurlint.model.catalog import BlockingGroup, Catalog, load_catalog
from concurlint.module_names import ModuleNames
from concurlint.records import to_json
from concurlint.summary import (
    CallSite,
    FunctionSummary,
    ModuleSummary,
    absolute,
    summarize,
)
from concurlint.summary_classes import (
    ClassFacts,
    MethodTables,
    summarize_classes,
    summarize_returns,
)
from concurlint.summary_errors import failing, summarize_failures
from concurlint.summary_processes import (
    NO_PROCESS_FACTS,
    NO_PROCESS_SUMMARY,
    ProcessFacts,
    ProcessSummary,
    summarize_processes,
)
from concurlint.summary_threads import (
    NO_THREAD_FACTS,
    ThreadCatalog,
    ThreadFacts,
    summarize_threads,
)
from concurlint.workers import Lost, Pool

if TYPE_CHECKING:
    from concurlint.cache import Cache

_REEXPORT_HOPS = 8  # at most this many re-exports followed for one name
_INITIALIZER = ".__init__"
_LINTED = "<linted>"
_PARALLEL_SUMMARIES = 64  # fewer files to summarize than this: not worth starting processes
_SUMMARY_CHUNK = 16
_Found = TypeVar("_Found")
_Reached = tuple[str, Arguments]  # a function, and the literals one call passes it


@dataclass(frozen=True)
class Way:
    """One call of a function's body that blocks, and the conditions on the function's
    parameters it runs under."""

    guards: tuple[Guard, ...]
    chain: tuple[str, ...]
    entry: str


@dataclass(frozen=True)
class GuardedFunction:
    """A blocking function some of whose blocking calls run only under conditions on its
    parameters: each way it blocks, so that a call's literal arguments can rule some out."""

    name: str  # as the importing module names it
    signature: Signature
    ways: tuple[Way, ...]


@dataclass(frozen=True)
class FileFacts:
    """What other modules of the project tell one file: the absolute names it can import
    that block (with their chain and catalog entry) and that are coroutine functions."""

    package: str = ""  # the file's package, for its relative imports
    blocking: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    coroutines: tuple[tuple[str, str], ...] = ()  # absolute name -> how to show it
    processes: ProcessFacts = NO_PROCESS_FACTS  # see concurlint.summary_processes
    threads: ThreadFacts = NO_THREAD_FACTS  # started here from elsewhere; imported locks
    classes: tuple[tuple[str, ClassFacts], ...] = ()  # imported name -> its method table
    # imported project functions: whether each may fail in a way worth seeing (CCL209)
    failures: tuple[tuple[str, bool], ...] = ()
    _blocking: dict[str, tuple[tuple[str, ...], str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _classes: dict[str, ClassFacts] = field(default_factory=dict, compare=False, repr=False)
    guarded: tuple[GuardedFunction, ...] = ()  # blocking names whose arguments may cut it
    _guarded: dict[str, GuardedFunction] = field(default_factory=dict, compare=False, repr=False)
    # blocking names that block only in branches that run without an event loop, and the
    # imported functions that give the running loop or None (``concurlint.loop_branches``)
    loop_free: tuple[str, ...] = ()
    loop_checkers: tuple[str, ...] = ()
    # imported project functions -> the one type their return annotation names
    returns: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        self._blocking.update((name, (chain, entry)) for name, chain, entry in self.blocking)
        self._guarded.update((guarded.name, guarded) for guarded in self.guarded)
        self._classes.update(self.classes)
        self._classes.update((facts.name, facts) for _, facts in self.classes)

    @property
    def digest(self) -> str:
        """Empty when the file gets no facts (its cache key is then unchanged)."""
        if not (self.blocking or self.coroutines or self.processes or self.threads
                or self.classes or self.failures):
            return ""
        known = repr((self.package, self.blocking, self.coroutines, self.processes, self.threads,
                      self.classes, self.guarded, self.failures, self.loop_free,
                      self.loop_checkers, self.returns))
        return hashlib.sha256(known.encode()).hexdigest()

    @property
    def linted_module(self) -> str:
        """The name a rule reads the linted file's own ``ast`` summary as: in its package,
        so that its relative imports resolve, and named so that no import names it."""
        return f"{self.package}.{_LINTED}" if self.package else _LINTED

    def absolute(self, name: str) -> str | None:
        """``.storage.save`` (libcst's name for a relative import) as an absolute name."""
        level = len(name) - len(name.lstrip("."))
        return absolute(name[level:] or None, level, self.package) if level else name

    def blocking_chain(
        self, names: Iterable[str], passed: Passed | None = None, in_loop: bool = False
    ) -> tuple[tuple[str, ...], str] | None:
        """The chain and catalog entry of the first of ``names`` known to block, when called
        with ``passed``: a function that blocks only in branches its parameters select does
        not block through a call whose literal arguments cut them all, and, called where an
        event loop runs (``in_loop``), one that blocks only without a loop does not block."""
        names = list(names)
        if in_loop and not {self.absolute(name) for name in names}.isdisjoint(self.loop_free):
            return None
        found = self.lookup(self._blocking, names)
        guarded = self.lookup(self._guarded, names) if passed is not None else None
        if found is None or guarded is None or passed is None:
            return found
        constants = argument_constants(bind_arguments(guarded.signature, passed))
        return next(
            (
                (way.chain, way.entry)
                for way in guarded.ways
                if not any(guard_cut(guard, constants) for guard in way.guards)
            ),
            None,
        )

    def lookup(self, table: Mapping[str, _Found], names: Iterable[str]) -> _Found | None:
        """The entry of ``table`` (keyed by absolute names) for the first of ``names`` (as
        the model gives them, relative names included) that it holds."""
        for name in sorted(names):
            found = table.get(self.absolute(name) or "")
            if found is not None:
                return found
        return None

    def returned(self, names: Iterable[str]) -> str | None:
        """The type the return annotation of the first of ``names`` (an imported project
        function) names, if any."""
        declared = dict(self.returns)
        return next((declared[name] for name in sorted(
            self.absolute(name) or "" for name in names) if name in declared), None)

    def coroutine(self, names: Iterable[str]) -> str | None:
        shown = dict(self.coroutines)
        for name in sorted(names):
            found = shown.get(self.absolute(name) or "")
            if found is not None:
                return found
        return None

    def project_class(self, names: frozenset[str]) -> ClassFacts | None:
        """The method table of the project class that ``names`` (the qualified names of one
        expression, or a type name the model gave an instance) can only mean."""
        if len(names) != 1 or not self._classes:
            return None
        return self.lookup(self._classes, names)

    def lock_class(self, names: Iterable[str]) -> str | None:
        """The lock type a call makes of the first of ``names`` that is a module-level name
        of a lock type in the project (``Lock = threading.RLock`` in a compatibility module)."""
        for name in sorted(names) if self.threads.lock_classes else ():
            found = self.threads.lock_class(self.absolute(name) or "")
            if found is not None:
                return found
        return None

    def lock(self, names: Iterable[str]) -> tuple[str, str] | None:
        """Where the first of ``names`` that is a module-level lock of the project is bound
        (an absolute name, the same through every import and re-export), and its type."""
        for name in sorted(names) if self.threads.locks else ():
            found = self.threads.lock(self.absolute(name) or "")
            if found is not None:
                return found
        return None


NO_FACTS = FileFacts()


class _Function(NamedTuple):
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
        self._groups = {name: group for group in reversed(catalog.blocking)
                        for name in group.names}
        self._resolved: dict[str, str] = {}
        self._canonical: dict[str, str] = {}
        self.modules = _unique_modules(summaries)
        self.functions = {
            f"{module.module}.{function.qualname}": _Function(module.module, function)
            for module in self.modules.values()
            for function in module.functions
        }
        self._blocking_reached = self._propagate(self._catalog_entry)
        self.blocking = _general(self._blocking_reached)
        self.loop_checkers = LOOP_OR_NONE | {
            name for name, function in self.functions.items() if function.summary.running_loop
        }
        in_loop = (
            _general(self._propagate(self._catalog_entry, self._needs_no_loop))
            if any(site.no_loop for function in self.functions.values()
                   for site in function.summary.calls)
            else self.blocking
        )
        self.loop_free = frozenset(self.blocking) - frozenset(in_loop)
        self.coroutines = {
            name: function.shown
            for name, function in self.functions.items()
            if function.summary.coroutine and "." not in function.summary.qualname
        }

    def resolve(self, name: str) -> str:
        """Follow re-exports: ``pkg.save`` -> ``pkg.storage.save`` when ``pkg/__init__.py``
        imports it; a name that is no re-export is returned as given."""
        if name not in self._resolved:
            self._resolved[name] = self._follow(name)
        return self._resolved[name]

    def _follow(self, name: str) -> str:
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
        """The facts about every name ``summary``'s module uses through its imports."""
        blocking = []
        coroutines = []
        guarded = []
        for name in summary.uses:
            function = self._callee(self.resolve(name))
            if function in self.blocking:
                blocking.append((name, *self.blocking[function]))
                signature = self.functions[function].summary.signature
                if signature is not None and not signature.bound and function == self.resolve(
                    name
                ):
                    guarded.append(GuardedFunction(name, signature, self._ways(function)))
            if function in self.coroutines:
                coroutines.append((name, self.coroutines[function]))
        failures = tuple((name, callee in self.failing) for name in summary.uses
                         if (callee := self._callee(self.resolve(name))) is not None)
        failures += tuple(  # methods reached through an annotated parameter
            (f"{name}.{method.rpartition('.')[2]}", True)
            for name in summary.uses
            for method in self._methods.get(self.resolve(name), ())
            if method in self.failing
        )
        return FileFacts(_package(summary), tuple(blocking), tuple(coroutines),
                         self._process_facts(summary), self.thread_facts(summary),
                         self._classes.used_by(summary.uses), failures,
                         guarded=tuple(guarded),
                         loop_free=tuple(name for name in summary.uses
                                         if self._callee(self.resolve(name)) in self.loop_free),
                         loop_checkers=tuple(name for name in summary.uses
                                             if self.resolve(name) in self.loop_checkers),
                         returns=tuple((name, kind) for name in summary.uses
                                       if (kind := self._returns.get(self.resolve(name)))))

    def _ways(self, name: str) -> tuple[Way, ...]:
        """Each call of ``name``'s body that blocks (directly, or through a function that
        blocks when called with that call's literals), with the conditions it runs under."""
        function = self.functions[name]
        ways = []
        for site in function.summary.calls:
            entry = self._catalog_entry(site)
            if entry is not None:
                ways.append(Way(site.guards, (function.shown, f"{entry}()"), entry))
                continue
            callee = self._callee(self.resolve(site.target))
            found = (
                self._blocking_reached.get((callee, self._arguments(site, callee)))
                if callee is not None
                else None
            )
            if found is not None:
                ways.append(Way(site.guards, (function.shown, *found[0]), found[1]))
        return tuple(ways)

    @cached_property
    def _returns(self) -> dict[str, str]:
        """What each module-level function's return annotation names, by absolute name."""
        return {f"{module.module}.{name}": kind for module in self.modules.values()
                for name, kind in module.returns}

    @cached_property
    def _methods(self) -> dict[str, list[str]]:
        """The methods of each class of the project, by the class's absolute name."""
        found: dict[str, list[str]] = {}
        for name, function in self.functions.items():
            if function.summary.qualname.count(".") == 1:
                found.setdefault(name.rpartition(".")[0], []).append(name)
        return found

    @cached_property
    def failing(self) -> frozenset[str]:
        """Functions that may fail in a way worth seeing (``summary_errors``), by absolute
        name, through the functions of any project module they call."""
        failures = [
            (f"{module.module}.{qualname}", here, needs)
            for module in self.modules.values()
            for qualname, here, needs in module.failures
        ]
        nested = {name for name, _, _ in failures if ".<locals>." in name}
        return failing(
            failures, lambda name: name if name in nested else self._callee(self.resolve(name))
        )

    @cached_property
    def _classes(self) -> MethodTables:
        return MethodTables(
            self.modules, self.resolve, lambda module, f: _Function(module, f).shown
        )

    def thread_facts(self, summary: ModuleSummary) -> ThreadFacts:
        """The functions of ``summary``'s module that other modules start on threads (facts
        go to the module started, not to the starter), and the project's module-level locks
        it names."""
        locks = tuple(
            (name, bound, self._thread_locks[bound])
            for name in summary.uses
            if (bound := self.resolve(name)) in self._thread_locks
        )
        classes = tuple(
            (name, self._thread_lock_classes[bound])
            for name in summary.uses
            if (bound := self.resolve(name)) in self._thread_lock_classes
        )
        return ThreadFacts(
            tuple(sorted(self._thread_starts.get(summary.module, ()))), locks, classes
        )

    @cached_property
    def _thread_starts(self) -> dict[str, set[tuple[str, str, str]]]:
        """Plain module-level functions started on threads by another module, and thread
        classes it constructs several times, by the module defining them."""
        classes = {
            f"{module.module}.{name}": module.module
            for module in self.modules.values()
            for name in (module.threads.classes if module.threads else ())
        }
        found: dict[str, set[tuple[str, str, str]]] = {}
        for starter in self.modules.values():
            for start in starter.threads.starts if starter.threads else ():
                name = self.resolve(start.target)
                function = self.functions.get(name)
                if start.constructed and name in classes:
                    defined = (classes[name], name.rpartition(".")[2])
                elif not start.constructed and function is not None and (
                    function.summary.plain and "." not in function.summary.qualname
                ):
                    defined = (function.module, function.summary.qualname)
                else:
                    continue
                if defined[0] != starter.module:
                    found.setdefault(defined[0], set()).add(
                        (defined[1], start.repeated, starter.module)
                    )
        for module, started in self._called_from_views.items():
            found.setdefault(module, set()).update(started)
        return found

    @cached_property
    def _called_from_views(self) -> dict[str, set[tuple[str, str, str]]]:
        """Plain module-level functions of one module that a view of another module calls,
        directly or through functions of any module: they run on the framework's threads
        too (the per-file model follows the calls inside each module)."""
        roots = [
            (f"{module.module}.{entry.qualname}", entry.framework)
            for module in self.modules.values()
            for entry in (module.threads.entries if module.threads else ())
        ]
        roots.extend(
            (self.resolve(start.target), start.framework)
            for module in self.modules.values()
            for start in (module.threads.starts if module.threads else ())
            if start.framework
        )
        found: dict[str, set[tuple[str, str, str]]] = {}
        for root, framework in roots:
            view = self.functions.get(root)
            if view is None:
                continue
            repeated = per_request(framework, view.summary.qualname)
            pending, seen = [root], {root}
            while pending:
                caller = self.functions[pending.pop()]
                for site in caller.summary.calls:
                    name = self._callee(self.resolve(site.target))
                    if name is None or name in seen:
                        continue
                    callee = self.functions[name]
                    if not callee.summary.plain:
                        continue
                    seen.add(name)
                    pending.append(name)
                    if callee.module != caller.module and "." not in callee.summary.qualname:
                        found.setdefault(callee.module, set()).add(
                            (callee.summary.qualname, repeated, view.module)
                        )
        return found

    @cached_property
    def _thread_locks(self) -> dict[str, str]:
        """Every module-level lock of the project, by absolute name: its type."""
        return {
            f"{module.module}.{name}": kind
            for module in self.modules.values()
            for name, kind in (module.threads.locks if module.threads else ())
        }

    @cached_property
    def _thread_lock_classes(self) -> dict[str, str]:
        """Every module-level name of a lock type of the project, by absolute name: the type
        its calls make."""
        return {
            f"{module.module}.{name}": kind
            for module in self.modules.values()
            for name, kind in (module.threads.lock_classes if module.threads else ())
        }

    # -- propagation -------------------------------------------------------------------------

    def _needs_no_loop(self, site: CallSite) -> bool:
        """``site`` runs only when no event loop runs: a helper its branch asks about gives
        the running loop or None, or raises without one."""
        return any(
            name == RAISES_WITHOUT_LOOP or self.resolve(name) in self.loop_checkers
            for name in site.no_loop
        )

    def _propagate(
        self,
        entry_of: Callable[[CallSite], str | None],
        skipped: Callable[[CallSite], bool] = lambda site: False,
    ) -> dict[_Reached, tuple[tuple[str, ...], str]]:
        """Functions with a call that ``entry_of`` names a catalog entry (a blocking call, a
        process creator) first, then their callers, breadth first (so each chain is a
        shortest one); a function is visited once, so cycles and recursion terminate. Calls
        ``skipped`` says do not run are left out."""
        found: dict[_Reached, tuple[tuple[str, ...], str]] = {}
        callers: dict[_Reached, list[_Reached]] = {}
        pending: deque[_Reached] = deque(
            (name, ()) for name, function in sorted(self.functions.items())
            if function.summary.plain
        )
        seen = set(pending)
        while pending:
            caller = pending.popleft()
            name, arguments = caller
            function = self.functions[name]
            constants = argument_constants(arguments)
            for site in function.summary.calls:
                if arguments and any(guard_cut(guard, constants) for guard in site.guards):
                    continue  # the literals this call passes cut the branch
                if skipped(site):
                    continue
                entry = entry_of(site)
                if entry is not None:
                    found.setdefault(caller, ((function.shown, f"{entry}()"), entry))
                    continue
                callee = self._callee(self.resolve(site.target))
                if callee is None or not self.functions[callee].summary.plain:
                    continue
                reached = (callee, self._arguments(site, callee))
                callers.setdefault(reached, []).append(caller)
                if reached not in seen:
                    seen.add(reached)
                    pending.append(reached)
        queue = deque(found)
        while queue:
            reached = queue.popleft()
            chain, entry = found[reached]
            for caller in callers.get(reached, ()):
                if caller not in found:
                    found[caller] = ((self.functions[caller[0]].shown, *chain), entry)
                    queue.append(caller)
        return found

    def _arguments(self, site: CallSite, callee: str) -> Arguments:
        """The callee's parameters that the call fixes to a literal, when the callee tests
        one (``concurlint.guards``); none through a constructor or a method called other
        than on ``self``, where which parameter gets which argument is not known here."""
        signature = self.functions[callee].summary.signature
        if (
            signature is None
            or callee != self.resolve(site.target)
            or (signature.bound and not site.via_self)
        ):
            return ()
        return bind_arguments(signature, site.passed)

    def _catalog_entry(self, site: CallSite) -> str | None:
        """The blocking catalog entry a call names, unless its arguments make it return
        at once (``os.waitpid(pid, os.WNOHANG)``)."""
        name = self._canonical_name(site.target)
        group = self._groups.get(name)
        return name if group is not None and not _nonblocking(site, group) else None

    def _canonical_name(self, target: str) -> str:
        name = self._canonical.get(target)
        if name is None:
            name = self._canonical[target] = self.catalog.canonical(target)
        return name

    def _callee(self, name: str) -> str | None:
        """The function that calling ``name`` runs: itself, or a class's ``__init__``."""
        if name in self.functions:
            return name
        initializer = f"{name}{_INITIALIZER}"
        return initializer if initializer in self.functions else None

    # -- processes and gevent ------------------------------------------------------------------

    def _process_facts(self, summary: ModuleSummary) -> ProcessFacts:
        """What the multiprocessing and gevent rules need to know about ``summary``'s module:
        the names it uses whose call creates a process or that are bound to an unpicklable
        callable, and the module that monkey-patches before importing it."""
        creating = []
        unpicklable = []
        for name in summary.uses:
            resolved = self.resolve(name)
            function = self._callee(resolved)
            if function in self.creating:
                creating.append((name, *self.creating[function]))
            if resolved in self.unpicklable:
                unpicklable.append((name, *self.unpicklable[resolved]))
        patcher = self.patched_by.get(summary.module, "")
        early = []
        for name in _processes(summary).imports:
            module, _ = self._split(name)
            hazard = self._early_import(module) if module is not None else None
            if hazard is not None:
                early.append((name, *hazard))
        signals = tuple(
            (name, value)
            for name in summary.uses
            for value in sorted(self._patch_signals.get(self.resolve(name), ()))
        )
        return ProcessFacts(tuple(creating), tuple(unpicklable), patcher, tuple(early), signals)

    @cached_property
    def _patch_signals(self) -> dict[str, set[str]]:
        """Functions by absolute name -> the values they return only when gevent patched
        the process (``summary_repatch``)."""
        found: dict[str, set[str]] = {}
        for name, summary in self.modules.items():
            for function, value in _processes(summary).patch_signals:
                found.setdefault(f"{name}.{function}", set()).add(value)
        return found

    def _early_import(self, module: str) -> tuple[str, str] | None:
        """The module of the catalog's ``gevent-imports-bind-early`` that importing the
        project module ``module`` imports at import time, directly or through other project
        modules, with the patch it defeats (the first by name when there are several)."""
        found = self._early_imports.get(module)
        return min(found) if found else None

    @cached_property
    def _early_imports(self) -> dict[str, set[tuple[str, str]]]:
        """Project module -> every such module its import runs: each module's own imports,
        then passed on to the modules importing it, to a fixed point (import cycles too)."""
        hazards = self.catalog.section("gevent-imports-bind-early")
        found: dict[str, set[tuple[str, str]]] = {}
        for name, summary in self.modules.items():
            for imported in _processes(summary).imports:
                top = imported.partition(".")[0]
                if top in hazards and self._split(imported)[0] is None:
                    found.setdefault(name, set()).add((top, hazards[top]))
        pending = list(found)
        while pending:
            module = pending.pop()
            for importer in self._importers.get(module, ()):
                known = found.setdefault(importer, set())
                if not found[module] <= known:
                    known |= found[module]
                    pending.append(importer)
        return found

    @cached_property
    def creating(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """Functions whose call creates a process, with their chain (``tasks.run_all() ->
        multiprocessing.Pool()``) and the catalog's process creator."""
        creators = self.catalog.names("process-creators")

        def creator(site: CallSite) -> str | None:
            name = self._canonical_name(site.target)
            return name if name in creators else None

        return _general(self._propagate(creator))

    @cached_property
    def unpicklable(self) -> dict[str, tuple[str, str]]:
        """Module-level names bound to a callable pickle cannot send: kind and what it is."""
        return {
            f"{module}.{name}": (kind, f"{what} (`{module}.{name}`)")
            for module, summary in self.modules.items()
            for name, kind, what in _processes(summary).unpicklable
        }

    @cached_property
    def patched_by(self) -> dict[str, str]:
        """Modules that run only after a module monkey-patched with gevent -> that module.

        A module that calls a catalog ``gevent.monkey`` patch at import time covers the
        project modules it imports afterwards at import time, transitively, except those
        already imported before the patch (by its own earlier imports, or by the packages
        that run before it): Python runs a module once. A module that may run as a program
        itself (it has an ``if __name__ == "__main__":`` block) is not covered, nor is one
        that another module not covered imports at import time, nor what only functions
        import."""
        patches = self.catalog.names("gevent-patch-all").union(
            *(entry["functions"] for entry in self.catalog.section("gevent-patches").values())
        )
        found: dict[str, str] = {}
        patched_first: dict[str, set[str]] = {}  # patcher -> what it imports after its patch
        for name, summary in sorted(self.modules.items()):
            processes = _processes(summary)
            at = next((at for at, call in processes.monkey if call in patches), None)
            if at is None:
                continue
            before = self._run_by([*self._packages_of(name), *processes.imports[:at]])
            after = processes.imports[at:]
            patched_first[name] = self._imported(after) - before
            for covered in sorted(self._run_by(after) - before - {name}):
                if not _processes(self.modules[covered]).entry:  # it may run as the program
                    found.setdefault(covered, name)
        changed = True
        while changed:  # to a fixed point: an uncovered importer uncovers what it imports
            unpatched = [
                module
                for module in found
                for importer in self._importers.get(module, ())
                if importer not in found and module not in patched_first.get(importer, ())
            ]
            changed = bool(unpatched)
            for module in unpatched:
                found.pop(module, None)
        return found

    @cached_property
    def _importers(self) -> dict[str, set[str]]:
        """Project module -> the modules that run it by importing at import time."""
        importers: dict[str, set[str]] = {}
        for name, summary in self.modules.items():
            for imported in self._imported(_processes(summary).imports):
                importers.setdefault(imported, set()).add(name)
        return importers

    def _run_by(self, imported: Iterable[str]) -> set[str]:
        """The project modules that importing ``imported`` runs: each named module, its
        packages, and what they import at import time, transitively."""
        seen: set[str] = set()
        pending = list(imported)
        while pending:
            for running in self._imported((pending.pop(),)) - seen:
                seen.add(running)
                pending.extend(_processes(self.modules[running]).imports)
        return seen

    def _imported(self, imported: Iterable[str]) -> set[str]:
        """The project modules that import statements naming ``imported`` run themselves:
        each module and its packages (``pkg.mod.name`` names ``pkg.mod``)."""
        found: set[str] = set()
        for name in imported:
            module, _ = self._split(name)
            if module is not None:
                found.update((*self._packages_of(module), module))
        return found

    def _packages_of(self, module: str) -> list[str]:
        """The project packages Python imports before ``module`` (``a``, ``a.b`` for
        ``a.b.c``)."""
        parts = module.split(".")
        packages = (".".join(parts[:end]) for end in range(1, len(parts)))
        return [package for package in packages if package in self.modules]

    # -- names -------------------------------------------------------------------------------

    def _split(self, name: str) -> tuple[str | None, str]:
        """The longest prefix of ``name`` that is a module of the project, and the rest."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            module = ".".join(parts[:end])
            if module in self.modules:
                return module, ".".join(parts[end:])
        return None, name


def _general(
    found: Mapping[_Reached, tuple[tuple[str, ...], str]],
) -> dict[str, tuple[tuple[str, ...], str]]:
    """What functions do called with arguments nobody knows (what callers elsewhere see)."""
    return {name: chain for (name, arguments), chain in found.items() if not arguments}


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


def _processes(summary: ModuleSummary) -> ProcessSummary:
    """The process share of a summary (none for a summary made without it)."""
    return summary.processes or NO_PROCESS_SUMMARY


def _package(summary: ModuleSummary) -> str:
    return summary.module if summary.is_package else summary.module.rpartition(".")[0]


def _nonblocking(site: CallSite, group: BlockingGroup) -> bool:
    """A form matches an argument that is its value, or combines it with other flags."""
    keywords = dict(site.keywords)
    for form in group.nonblocking:
        at = form.position
        if at is not None and at < len(site.positional) and form.value in site.positional[at]:
            return True
        if form.value in keywords.get(form.keyword or "", ()):
            return True
    return False


def project_facts(
    paths: Sequence[str],
    settings: Settings,
    cache: Cache | None = None,
    fingerprints: Mapping[str, str | Unreadable] | None = None,
    jobs: int = 1,
    unsaved: Mapping[str, bytes] | None = None,
    wanted: Collection[str] | None = None,
) -> dict[str, FileFacts]:
    """Summarize every path (from the cache when it can), join them, and return the facts
    of each path that imports something the project knows about. ``fingerprints`` are the
    files' ``files.fingerprint`` (or why they cannot be read), when the caller has them;
    ``unsaved`` holds the bytes of files an editor has changed but not saved, read instead
    of the files (their fingerprints must be of those bytes). ``wanted``, the paths the
    caller reports on, may limit what is returned to their facts.

    The joined facts are cached too, keyed on every file's bytes and module name: a run in
    which nothing changed reads one entry instead of a summary per file, and decodes from
    it only the ``wanted`` paths' facts."""
    names = ModuleNames.of(settings)
    if fingerprints is None:
        fingerprints = file_fingerprints(paths, settings.max_file_size)
    files = {  # a stub never runs: it neither offers facts nor receives them
        path: (found, *names(path)) for path in paths
        if isinstance(found := fingerprints.get(path), str) and not path.endswith(STUB_SUFFIX)
    }
    key = _project_key(files)
    cached = cache.get_project(key, wanted) if cache is not None else None
    if cached is not None:
        return cached
    catalog = load_catalog(settings.catalog_extensions())
    blocking = frozenset().union(*(group.names for group in catalog.blocking))
    threads = ThreadCatalog.from_catalog(catalog)
    summarizing = (settings.max_file_size, blocking, threads, catalog.failing_calls)
    made = _summaries(files, cache, jobs, summarizing, unsaved or {})
    # An edit that leaves every summary as it was (a comment, a changed expression) finds
    # the joined facts under the summaries' own digests: no join, no propagation, and the
    # summaries themselves are never decoded.
    if cache is not None and cache.copy_project(_joined_key(made), key):
        joined = cache.get_project(key, wanted)
        if joined is not None:
            return joined
    summaries = _decoded(made, files, cache, summarizing)
    project = Project((summary for summary, _ in summaries.values()), catalog)
    facts = {path: project.facts_for(summary) for path, (summary, _) in summaries.items()}
    cached = {path: facts for path, facts in facts.items() if facts.digest}
    if cache is not None:
        cache.put_project(_joined_key(summaries), cached)
        cache.put_project(key, cached)
    return cached


def file_fingerprints(paths: Iterable[str], limit: int) -> dict[str, str | Unreadable]:
    """Every file's ``files.fingerprint``, one file in memory at a time."""
    return {path: _fingerprint(path, limit) for path in paths}


def _fingerprint(path: str, limit: int) -> str | Unreadable:
    raw = read_bytes(path, limit)
    return raw if isinstance(raw, Unreadable) else fingerprint(raw)


# size limit, blocking names, threads, blocking names that can fail
_Summarizing = tuple[int, frozenset[str], ThreadCatalog, frozenset[str]]
# path, module, package, then _Summarizing
_Work = tuple[str, str, bool, int, frozenset[str], ThreadCatalog, frozenset[str]]
_Summarized = tuple[tuple[ModuleSummary, str] | None, str]  # summary and digest, fingerprint
# a summary and its digest; the summary is None while it is only in the cache, not decoded
_Made = tuple[ModuleSummary | None, str]


def _joined_key(made: Mapping[str, _Made]) -> str:
    """The key of the joined facts of these summaries: their digests, by path."""
    return _digest(f"{path}\0{digest}" for path, (_, digest) in sorted(made.items()))


def _summaries(
    files: Mapping[str, tuple[str, str, bool]],
    cache: Cache | None,
    jobs: int,
    summarizing: _Summarizing,
    unsaved: Mapping[str, bytes],
) -> dict[str, _Made]:
    """Every file's summary and its digest: the digest alone when the cache has them (the
    summary is decoded only if a join needs it, ``_decoded``), else parsed (on ``jobs``
    processes when there are many to parse, as on a cold run). Each file is read where it
    is summarized, and its summary stored under the bytes that were read."""
    found: dict[str, _Made | None] = {}
    missing = []
    for path, (content, module, _) in files.items():
        digest = cache.summary_digest(path, content, module) if cache is not None else None
        if digest is not None:
            found[path] = (None, digest)
        elif path in unsaved:
            _, blocking, threads, fails = summarizing
            found[path] = _summarize_bytes(path, unsaved[path], module, files[path][2],
                                           blocking, threads, fails)
        else:
            missing.append(path)
    found.update(_summarized(missing, files, cache, jobs, summarizing))
    return {path: made for path, made in found.items() if made is not None}


def _summarized(
    paths: list[str],
    files: Mapping[str, tuple[str, str, bool]],
    cache: Cache | None,
    jobs: int,
    summarizing: _Summarizing,
) -> dict[str, tuple[ModuleSummary, str] | None]:
    """The summaries of ``paths``, read and parsed now, stored in the cache."""
    work = [(path, *files[path][1:], *summarizing) for path in paths]
    if jobs > 1 and len(work) >= _PARALLEL_SUMMARIES:
        chunks = [work[start:start + _SUMMARY_CHUNK]
                  for start in range(0, len(work), _SUMMARY_CHUNK)]
        pool: Pool[list[_Work], list[_Summarized]] = Pool(_summarize_chunk, jobs)
        made = [
            summarized
            for chunk, outcome in zip(chunks, pool.map(chunks), strict=True)
            # a file whose worker died exports nothing; the lint pass then reports it
            for summarized in ([(None, "")] * len(chunk) if isinstance(outcome, Lost) else outcome)
        ]
    else:
        made = [_summarize_one(item) for item in work]
    found: dict[str, tuple[ModuleSummary, str] | None] = {}
    for path, (summary, content) in zip(paths, made, strict=True):
        found[path] = summary
        if cache is not None and summary is not None:
            cache.put_summary(path, content, summary)
    return found


def _decoded(
    made: Mapping[str, _Made],
    files: Mapping[str, tuple[str, str, bool]],
    cache: Cache | None,
    summarizing: _Summarizing,
) -> dict[str, tuple[ModuleSummary, str]]:
    """``made`` with every summary decoded from the cache; one whose entry has gone since
    its digest was read is summarized again from its file."""
    decoded: dict[str, tuple[ModuleSummary, str] | None] = {}
    gone = []
    for path, (summary, digest) in made.items():
        if summary is not None:
            decoded[path] = (summary, digest)
            continue
        content, module, _ = files[path]
        entry = cache.get_summary(path, content, module) if cache is not None else None
        if entry is None:
            gone.append(path)
        else:
            decoded[path] = entry
    decoded.update(_summarized(gone, files, cache, 1, summarizing))
    return {path: entry for path, entry in decoded.items() if entry is not None}


def _summarize_chunk(items: list[_Work]) -> list[_Summarized]:
    """One task of the pool: a few files, so that inter-process traffic stays small."""
    return [_summarize_one(item) for item in items]


def _summarize_one(item: _Work) -> _Summarized:
    """The summary of one file and its digest (None when it cannot be read, decoded or
    parsed: then it exports nothing, and the lint pass reports why), with the fingerprint
    of the bytes summarized."""
    path, module, is_package, limit, blocking, threads, fails = item
    raw = read_bytes(path, limit)
    if isinstance(raw, Unreadable):
        return None, ""
    summary = _summarize_bytes(path, raw, module, is_package, blocking, threads, fails)
    return summary, fingerprint(raw)


def _summarize_bytes(
    path: str,
    raw: bytes,
    module: str,
    is_package: bool,
    blocking: frozenset[str],
    threads: ThreadCatalog,
    fails: frozenset[str],
) -> tuple[ModuleSummary, str] | None:
    """The summary of ``raw`` read as ``module`` (from the file, or an editor's buffer)."""
    source = decode_source(path, raw)
    if isinstance(source, Unreadable):
        return None
    try:  # the summaries' walks are iterative: a tree too deep for libcst is fine here
        tree = parse_quietly(source.text, path)
        summary = summarize(tree, module, is_package, blocking)
        summary = replace(summary, processes=summarize_processes(tree, module, is_package))
        summary = replace(summary, threads=summarize_threads(tree, source.text, summary, threads))
        classes, handed = summarize_classes(tree, module, is_package)
        summary = replace(summary, classes=classes, handed=handed,
                          returns=summarize_returns(tree, module, is_package),
                          failures=summarize_failures(tree, module, is_package, fails))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return summary, hashlib.sha256(to_json(summary)).hexdigest()


def _project_key(files: Mapping[str, tuple[str, str, bool]]) -> str:
    return _digest(
        f"{path}\0{module}\0{is_package}\0{content}"
        for path, (content, module, is_package) in sorted(files.items())
    )


def _digest(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()
