"""What a module tells the multiprocessing and gevent rules of the modules that import it,
read with Python's ``ast`` (see ``concurlint.summary``), and what those rules receive back.

Two facts come from the module's own text:

- module-level names bound to a callable that pickle cannot send by reference: a lambda
  (``work = lambda x: x * 2``; pickle looks ``<lambda>`` up in the module and fails), a
  ``functools.partial`` of one, or the nested function or lambda a factory of the same
  module returns (``work = make_worker()``). A process started elsewhere with such a target
  fails under the ``spawn`` and ``forkserver`` start methods (CCL301).
- what runs when the module is imported, in source order: the modules it imports at module
  level and where it calls into ``gevent.monkey``. The project pass decides with the catalog
  which of those calls patch, and which modules are then imported only after a patch (CCL401).

Anything the ``ast`` cannot pin down (a name bound twice, a decorated factory, a factory that
may return something else) is left out: a miss rather than a false report.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from concurlint.summary import (
    PARTIAL_FUNCTION,
    absolute,
    binding_counts,
    constant_text,
    module_imports,
    module_level,
    own_nodes,
    single_assignment,
)
from concurlint.summary_repatch import summarize_repatches

_MONKEY = "gevent.monkey"  # where every patching function lives; the catalog says which patch
_LAMBDA = "lambda"  # CallableKind values of concurlint.model.spawning
_NESTED = "nested function"
_RENAMING = frozenset({"__qualname__", "__name__", "__module__"})
_DEPTH = 4


@dataclass(frozen=True)
class ProcessSummary:
    """The multiprocessing and gevent share of a module's summary."""

    # module-level name -> the CallableKind value and what it is ("a lambda")
    unpicklable: tuple[tuple[str, str, str], ...] = ()
    # absolute names imported at import time, in source order (``pkg.mod``, ``pkg.mod.name``)
    imports: tuple[str, ...] = ()
    # ``gevent.monkey`` calls made at import time: how many of ``imports`` ran before, name
    monkey: tuple[tuple[int, str], ...] = ()
    # has ``if __name__ == "__main__":`` at module level: it runs as a program itself
    entry: bool = False
    # functions' values returned only when gevent patched the process (summary_repatch)
    patch_signals: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProcessFacts:
    """What the project says to one file about processes and gevent: imported names whose
    call creates a process (with the chain and catalog entry), imported names bound to an
    unpicklable callable (kind, what), the module that monkey-patches before importing
    this one (empty when none is known), and the project modules this one imports at import
    time that import a module gevent cannot patch once imported (imported name, that
    module, the ``patch_all`` argument it defeats)."""

    creating: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    unpicklable: tuple[tuple[str, str, str], ...] = ()
    patched_by: str = ""
    early_imports: tuple[tuple[str, str, str], ...] = ()
    # imported functions' values returned only when gevent patched the process
    patch_signals: tuple[tuple[str, str], ...] = ()
    _creating: dict[str, tuple[tuple[str, ...], str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _unpicklable: dict[str, tuple[str, str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _early_imports: dict[str, tuple[str, str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._creating.update((name, (chain, entry)) for name, chain, entry in self.creating)
        self._unpicklable.update((name, (kind, what)) for name, kind, what in self.unpicklable)
        self._early_imports.update(
            (name, (module, patch)) for name, module, patch in self.early_imports
        )

    def __bool__(self) -> bool:
        return bool(self.creating or self.unpicklable or self.patched_by or self.early_imports
                    or self.patch_signals)

    @property
    def creators(self) -> Mapping[str, tuple[tuple[str, ...], str]]:
        return self._creating

    @property
    def unpicklable_callables(self) -> Mapping[str, tuple[str, str]]:
        return self._unpicklable

    def early_import(self, names: Iterable[str]) -> tuple[str, str] | None:
        """The module gevent cannot patch that importing one of ``names`` imports, with the
        ``patch_all`` argument it defeats."""
        return next((self._early_imports[name] for name in names if name in self._early_imports),
                    None)


NO_PROCESS_SUMMARY = ProcessSummary()
NO_PROCESS_FACTS = ProcessFacts()


def summarize_processes(tree: ast.Module, module: str, is_package: bool) -> ProcessSummary:
    """The process share of the summary of a parsed module named ``module``."""
    package = module if is_package else module.rpartition(".")[0]
    imports = dict(module_imports(tree, package))
    imported, monkey = _import_time(tree.body, package, imports)
    entry = any(isinstance(s, ast.If) and _is_main_test(s.test) for s in tree.body)
    _, signals = summarize_repatches(tree, module, is_package)
    return ProcessSummary(_unpicklable(tree, imports), imported, monkey, entry, signals)


# -- CCL301: unpicklable module-level callables ------------------------------------------------


def _unpicklable(tree: ast.Module, imports: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """Judged twice: first on every assignment (most modules have no candidate, and then
    the names need not be counted), then only on the names bound once."""
    values = dict(_single_assignments(tree.body))
    factories = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    if not _judged(_Judge(imports, values, factories)):
        return ()
    bound = binding_counts(tree.body)
    renamed = set(_renamed(tree.body))
    judge = _Judge(
        imports,
        {name: value for name, value in values.items() if bound.get(name, 0) == 1},
        {name: def_ for name, def_ in factories.items() if bound.get(name, 0) == 1},
    )
    return tuple(found for found in _judged(judge) if found[0] not in renamed)


def _judged(judge: _Judge) -> list[tuple[str, str, str]]:
    found = []
    for name in sorted(judge.values):
        kind = judge.kind(judge.values[name], 0)
        if kind is not None:
            found.append((name, *kind))
    return found


def _single_assignments(body: list[ast.stmt]) -> Iterator[tuple[str, ast.expr]]:
    for statement in module_level(body):
        assigned = single_assignment(statement)
        if assigned is None:
            continue
        target, value = assigned
        if isinstance(target, ast.Name):
            yield target.id, value


def _renamed(body: list[ast.stmt]) -> Iterator[str]:
    """Names whose ``__qualname__`` (or name, or module) the module sets: pickle may then
    find the object by its new name."""
    for statement in module_level(body):
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in _RENAMING
                    and isinstance(target.value, ast.Name)
                ):
                    yield target.value.id


@dataclass(frozen=True)
class _Judge:
    imports: dict[str, str]
    values: dict[str, ast.expr]  # module-level names bound once, by an assignment
    factories: dict[str, ast.FunctionDef]  # module-level functions bound once

    def kind(self, value: ast.expr, depth: int) -> tuple[str, str] | None:
        """The CallableKind value of ``value`` and what it is, when pickle cannot send it."""
        if depth > _DEPTH:
            return None
        if isinstance(value, ast.Lambda):
            return _LAMBDA, "a lambda"
        if isinstance(value, ast.Name) and value.id in self.values:
            return self.kind(self.values[value.id], depth + 1)
        if not isinstance(value, ast.Call):
            return None
        if _dotted(value.func, self.imports) == PARTIAL_FUNCTION and value.args:
            inner = self.kind(value.args[0], depth + 1)
            return (inner[0], f"a `functools.partial` of {inner[1]}") if inner else None
        if isinstance(value.func, ast.Name) and value.func.id in self.factories:
            return _returned(self.factories[value.func.id])
        return None


def _returned(factory: ast.FunctionDef) -> tuple[str, str] | None:
    """What every ``return`` of a plain, undecorated factory returns, when each returns a
    lambda or the same undecorated nested function (bound once in the factory)."""
    own = list(own_nodes(factory))
    if factory.decorator_list or any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own):
        return None
    returns = [node.value for node in own if isinstance(node, ast.Return)]
    if not returns or any(value is None for value in returns):
        return None
    if all(isinstance(value, ast.Lambda) for value in returns):
        return _LAMBDA, f"the lambda returned by `{factory.name}()`"
    names = {value.id for value in returns if isinstance(value, ast.Name)}
    if len(names) != 1 or len(returns) != sum(isinstance(v, ast.Name) for v in returns):
        return None
    (name,) = names
    nested = [n for n in own if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    defined = [n for n in nested if n.name == name]
    rebound = any(
        isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load) for n in own
    )
    if len(defined) != 1 or defined[0].decorator_list or rebound or _renames(own):
        return None
    return _NESTED, f"the nested function `{name}` returned by `{factory.name}()`"


def _renames(own: Iterable[ast.AST]) -> bool:
    return any(
        isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
        and node.attr in _RENAMING
        for node in own
    )


# -- CCL401: what runs at import time ----------------------------------------------------------


def _import_time(
    body: list[ast.stmt], package: str, imports: dict[str, str]
) -> tuple[tuple[str, ...], tuple[tuple[int, str], ...]]:
    """Modules imported at module level, in source order, and the ``gevent.monkey`` calls
    among them (with how many imports came first). Imports under ``if TYPE_CHECKING:``
    never run and are left out."""
    imported: list[str] = []
    monkey: list[tuple[int, str]] = []
    skipped: set[int] = set()
    for statement in module_level(body):
        if id(statement) in skipped:
            continue
        if isinstance(statement, ast.If) and _last_name(statement.test) == "TYPE_CHECKING":
            skipped.update(id(node) for inner in statement.body for node in ast.walk(inner))
        elif isinstance(statement, ast.Import):
            imported.extend(alias.name for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            source = absolute(statement.module, statement.level, package)
            if source is not None:
                imported.extend(
                    source if alias.name == "*" else f"{source}.{alias.name}"
                    for alias in statement.names
                )
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            name = _dotted(statement.value.func, imports)
            if name is not None and name.rpartition(".")[0] == _MONKEY:
                monkey.append((len(imported), name))
    return tuple(imported), tuple(monkey)


def _dotted(func: ast.expr, imports: Mapping[str, str]) -> str | None:
    """The absolute name ``func`` names through the module's imports."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.insert(0, func.attr)
        func = func.value
    if isinstance(func, ast.Name) and func.id in imports:
        return ".".join([imports[func.id], *parts])
    return None


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and {constant_text(test.left), constant_text(test.comparators[0])}
        == {"__name__", repr("__main__")}
    )


def _last_name(expression: ast.expr) -> str | None:
    if isinstance(expression, ast.Attribute):
        return expression.attr
    return expression.id if isinstance(expression, ast.Name) else None
