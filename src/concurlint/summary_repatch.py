"""gevent patch calls that only re-patch a process already patched (CCL402), read with
Python's ``ast``.

A library that meets a process someone else monkey-patched sometimes calls ``patch_all()``
again, under a test that proves the patch already happened: ``if socket.socket is
gevent.socket.socket:``, ``if monkey.is_module_patched("socket"):``, or through a helper
(``if _detect_environment() == "gevent":``) whose every ``return "gevent"`` lies under such
a test. What the module imported before that call was imported after the program's own
patch, so the call binds nothing early; CCL402 leaves it alone.

One definition serves the linted file and the project's modules: a summary lists the
module's re-patch candidates (the line of the patch call, and the helper and the value it
must return, or nothing for a direct test) and, for its module-level functions, the values
they return only when the process is patched (``patch_signals``). ``repatched_lines``
decides with a lookup of those signals, in the same module or through the project.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from concurlint.summary import binding_counts, dotted_parts, imported_names, scope_nodes

_PATCHES = "gevent.monkey.patch_"  # every patching function (the catalog says what each patches)
_GEVENT = "gevent."
# ``gevent.monkey`` functions that answer whether a patch was applied.
_PATCH_CHECKS = frozenset({
    "gevent.monkey.is_module_patched", "gevent.monkey.is_anything_patched",
    "gevent.monkey.is_object_patched",
})
_DIRECT = ("", "")  # a condition that needs no helper
_UNKNOWN = "<computed>"  # a returned value that is no constant


# patch calls that run only under a test that the process is patched: (line, helper's
# absolute name, the value it must return), ``_DIRECT`` for a test that needs no helper
Candidates = tuple[tuple[int, str, str], ...]
# a module's functions' values returned only when the process is patched: (function, value)
Signals = tuple[tuple[str, str], ...]


def summarize_repatches(
    tree: ast.Module, module: str, is_package: bool
) -> tuple[Candidates, Signals]:
    package = module if is_package else module.rpartition(".")[0]
    names = _Names(tree, module, package)
    if not any(target and f"{target}.".startswith(_GEVENT) for target in names.imports.values()):
        return (), ()
    candidates: list[tuple[int, str, str]] = []
    _walk(tree.body, (), names, candidates)
    signals = tuple(
        (statement.name, value)
        for statement in tree.body
        if isinstance(statement, ast.FunctionDef)
        for value in _patched_returns(statement, names)
    )
    return tuple(candidates), signals


def repatched_lines(candidates: Candidates, signals: Callable[[str, str], bool]) -> frozenset[int]:
    """Lines of patch calls that only re-patch: a direct test, or a helper whose value
    ``signals`` (helper's absolute name, value) says is returned only when patched."""
    return frozenset(
        line
        for line, helper, value in candidates
        if (helper, value) == _DIRECT or signals(helper, value)
    )


class _Names:
    """Absolute dotted names of expressions, through the module's imports, including those
    inside functions (``from gevent import monkey`` in a method): a name imported to two
    different places is not resolved."""

    def __init__(self, tree: ast.Module, module: str, package: str) -> None:
        self.module = module
        self.bound = binding_counts(tree.body)
        imports: dict[str, str | None] = {}
        for node in _statements(tree.body):
            for local, target in imported_names(node, package):
                imports[local] = target if imports.get(local, target) == target else None
        self.imports = imports

    def of(self, node: ast.expr) -> str | None:
        dotted = dotted_parts(node)
        if dotted is None:
            return None
        head, parts = dotted
        target = self.imports.get(head)
        if target is not None:
            return ".".join([target, *parts])
        if head not in self.imports and self.bound.get(head, 0) == 1:
            return ".".join([self.module, head, *parts])
        return None


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, in blocks at any depth (imports are statements: no expression is
    walked)."""
    pending = list(body)
    while pending:
        statement = pending.pop()
        yield statement
        for field in ("body", "orelse", "finalbody"):
            block = getattr(statement, field, None)
            if isinstance(block, list):
                pending.extend(block)
        for nested in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
            pending.extend(nested.body)


def _walk(
    statements: list[ast.stmt], conditions: tuple[tuple[str, str], ...], names: _Names,
    found: list[tuple[int, str, str]],
) -> None:
    """Record the patch calls under ``conditions`` (the proving tests of the ``if`` bodies
    around them, innermost last); a function's body starts afresh."""
    for statement in statements:
        if isinstance(statement, ast.If):
            condition = _condition(statement.test, names, statements)
            inner = (*conditions, condition) if condition is not None else conditions
            _walk(statement.body, inner, names, found)
            _walk(statement.orelse, conditions, names, found)
            continue
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            _walk(statement.body, (), names, found)
            continue
        blocks = [getattr(statement, field, None) for field in ("body", "orelse", "finalbody")]
        blocks += [handler.body for handler in getattr(statement, "handlers", ())]
        blocks += [case.body for case in getattr(statement, "cases", ())]
        nested = [block for block in blocks if isinstance(block, list)]
        if nested:
            for block in nested:
                _walk(block, conditions, names, found)
            continue
        if conditions:
            for node in scope_nodes([statement]):
                if isinstance(node, ast.Call) and (names.of(node.func) or "").startswith(_PATCHES):
                    found.extend((node.lineno, *condition) for condition in conditions)


def _condition(
    test: ast.expr, names: _Names, block: list[ast.stmt]
) -> tuple[str, str] | None:
    """What makes ``test`` prove the process patched: ``_DIRECT``, (helper, value) when it
    compares a helper's result with a constant, or None."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        found = [c for value in test.values if (c := _condition(value, names, block))]
        return found[0] if found else None
    if _proves_patched(test, names):
        return _DIRECT
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq | ast.Is)):
        return None
    left, right = test.left, test.comparators[0]
    if isinstance(left, ast.Constant):
        left, right = right, left
    if not isinstance(right, ast.Constant):
        return None
    call = _assigned_call(left, block) if isinstance(left, ast.Name) else left
    helper = names.of(call.func) if isinstance(call, ast.Call) and not call.args else None
    return (helper, repr(right.value)) if helper is not None else None


def _assigned_call(name: ast.Name, block: list[ast.stmt]) -> ast.expr | None:
    """The value ``name`` is bound to when one assignment of the block binds it and nothing
    else in the block (a nested block, a loop target, a walrus) binds it again."""
    values = [
        statement.value
        for statement in block
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name) and target.id == name.id
    ]
    stores = sum(
        1 for node in scope_nodes(block)
        if isinstance(node, ast.Name) and node.id == name.id and isinstance(node.ctx, ast.Store)
    )
    return values[0] if len(values) == 1 and stores == 1 else None


def _proves_patched(test: ast.expr, names: _Names) -> bool:
    """``socket.socket is gevent.socket.socket`` (an object of a module gevent patches is
    gevent's own), or a ``gevent.monkey`` check of a patch."""
    if isinstance(test, ast.Call):
        return names.of(test.func) in _PATCH_CHECKS
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Is | ast.Eq)):
        return False
    sides = {names.of(test.left), names.of(test.comparators[0])}
    return any(
        side is not None and side.startswith(_GEVENT) and side.removeprefix(_GEVENT) in sides
        for side in sides
    )


def _patched_returns(function: ast.FunctionDef, names: _Names) -> Iterator[str]:
    """The constant values every ``return`` of which lies in the body of an ``if`` whose
    test proves the process patched."""
    guarded: dict[str, bool] = {}
    _returns(function.body, False, names, guarded)
    if _UNKNOWN in guarded:  # it may return the value it computed
        return iter(())
    return (value for value, proved in guarded.items() if proved)


def _returns(statements: list[ast.stmt], proved: bool, names: _Names,
             guarded: dict[str, bool]) -> None:
    for statement in statements:
        if isinstance(statement, ast.Return):
            returned = statement.value
            if returned is None or isinstance(returned, ast.Constant):
                value = repr(returned.value if returned is not None else None)
                guarded[value] = guarded.get(value, True) and proved
            else:
                guarded[_UNKNOWN] = False
        elif isinstance(statement, ast.If):
            inner = proved or _proves_patched(statement.test, names)
            _returns(statement.body, inner, names, guarded)
            _returns(statement.orelse, proved, names, guarded)
        elif not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(statement, field, None)
                if isinstance(block, list):
                    _returns(block, proved, names, guarded)
            for handler in getattr(statement, "handlers", ()):
                _returns(handler.body, proved, names, guarded)
