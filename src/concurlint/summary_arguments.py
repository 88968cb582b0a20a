"""A function's parameters and the conditions on them, and a call's literal arguments, read
with Python's ``ast`` for module summaries.

With these the project pass knows that ``probe(timeout=0)`` never runs what ``probe`` does
only under ``for _ in range(timeout):``; the decision itself is ``concurlint.guards``'s, as
for the libcst model of the linted file (``concurlint.model.arguments``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace

from concurlint import guards

_Function = ast.FunctionDef | ast.AsyncFunctionDef
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def signature(function: _Function, own: list[ast.AST], method: bool) -> guards.Signature:
    """The parameters as a call through the instance sees them (``method``: the first one,
    ``self`` or ``cls``, is passed by Python)."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = dict(zip(
        [arg.arg for arg in positional][len(positional) - len(arguments.defaults):],
        arguments.defaults,
        strict=True,
    ))
    defaults.update(
        (arg.arg, default)
        for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
        if default is not None
    )
    if method and positional:
        positional = positional[1:]
    rebound = {
        node.id for node in own
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del)
    } | {name for node in own if isinstance(node, ast.Nonlocal | ast.Global) for name in node.names}
    names = [arg.arg for arg in (*positional, *arguments.kwonlyargs)]
    literal = {name: guards.known(guards.argument_value(value)) for name, value in defaults.items()}
    return guards.Signature(
        positional=tuple(arg.arg for arg in positional),
        keywords=tuple(sorted(arg.arg for arg in (*arguments.args, *arguments.kwonlyargs))),
        defaults=tuple(
            (name, value[0]) for name, value in literal.items() if value and name in names
        ),
        kept=tuple(sorted(set(names) - rebound)),
        bound=method,
    )


def passed(call: ast.Call) -> guards.Passed:
    """What ``call`` passes, as far as literals go."""
    def known(value: ast.expr) -> tuple[guards.Value, ...]:
        return guards.known(guards.argument_value(value))

    return guards.Passed(
        positional=tuple(known(arg) for arg in call.args if not isinstance(arg, ast.Starred)),
        keywords=tuple((kw.arg, known(kw.value)) for kw in call.keywords if kw.arg is not None),
        more_positional=any(isinstance(arg, ast.Starred) for arg in call.args),
        more_keywords=any(kw.arg is None for kw in call.keywords),
    )


def call_guards(function: _Function, kept: frozenset[str]) -> dict[int, tuple[guards.Guard, ...]]:
    """For each call of the function's own body (by ``id``), the conditions on parameters in
    ``kept`` it runs under, outermost first."""
    found: dict[int, tuple[guards.Guard, ...]] = {}
    for statement in function.body:
        _visit(statement, (), kept, found)
    return found


def narrowed(
    signature: guards.Signature, conditions: dict[int, tuple[guards.Guard, ...]]
) -> guards.Signature:
    """``signature`` binding only the parameters some condition tests: the others cut
    nothing, and binding them would only tell apart calls that behave alike."""
    tested = {
        node.id
        for around in conditions.values()
        for guard in around
        for node in ast.walk(ast.parse(guard.source, mode="eval"))
        if isinstance(node, ast.Name)
    }
    return replace(signature, kept=tuple(name for name in signature.kept if name in tested))


def _visit(
    node: ast.AST,
    around: tuple[guards.Guard, ...],
    kept: frozenset[str],
    found: dict[int, tuple[guards.Guard, ...]],
) -> None:
    if isinstance(node, _NESTED):
        return
    if isinstance(node, ast.Call) and around:
        found[id(node)] = around
    for child, guard in _children(node, kept):
        _visit(child, (*around, guard) if guard is not None else around, kept, found)


def _children(
    node: ast.AST, kept: frozenset[str]
) -> Iterator[tuple[ast.AST, guards.Guard | None]]:
    """Each child of ``node`` with the condition on a parameter it runs under, if any."""
    parts: dict[str, tuple[str, ast.expr]] = {}
    if isinstance(node, ast.If | ast.IfExp) and _names_parameter(node.test, kept):
        parts = {"body": ("if", node.test), "orelse": ("else", node.test)}
    elif isinstance(node, ast.While) and _names_parameter(node.test, kept):
        parts = {"body": ("while", node.test)}
    elif isinstance(node, ast.For) and _names_parameter(node.iter, kept):
        parts = {"body": ("for", node.iter)}
    for field, value in ast.iter_fields(node):
        guard = None
        if field in parts:
            kind, head = parts[field]
            guard = guards.Guard(kind, ast.unparse(head))
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                yield child, guard


def _names_parameter(expression: ast.expr, kept: frozenset[str]) -> bool:
    return any(isinstance(node, ast.Name) and node.id in kept for node in ast.walk(expression))
