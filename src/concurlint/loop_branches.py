"""Branches that run only when no event loop is running in the thread, decided on ``ast``.

A function written to be called from both sides asks first: ``try: asyncio.get_running_loop()
except RuntimeError: <no loop>``, or ``if get_running_loop() is None: <no loop>`` with a
helper that gives the running loop or ``None`` (``LOOP_OR_NONE``, or a function of the
project whose every ``return`` gives one of those: ``returns_running_loop``). Reached
from a coroutine, a loop is running, so the no-loop branch never runs there: a blocking call
in it does not block that coroutine's loop. Elsewhere (a thread, a greenlet) it runs.

Module summaries read function bodies with these functions; the libcst model hands them the
source text of a test or a ``try`` statement (as ``concurlint.guards`` does for constant
tests), so the shapes are written once. Which helper gives the running loop or ``None`` is
decided by the caller, which knows the project's functions.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Iterator

# Raises ``RuntimeError`` when no loop runs in the thread.
RAISES_WITHOUT_LOOP = "asyncio.get_running_loop"
# Give the running loop, or None when no loop runs in the thread.
LOOP_OR_NONE = frozenset({"asyncio._get_running_loop", "asyncio.events._get_running_loop"})
# Exceptions that a handler catching ``get_running_loop``'s ``RuntimeError`` may name.
_CATCHING = frozenset({"RuntimeError", "Exception", "BaseException"})
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

Resolve = Callable[[ast.expr], str | None]  # a callee expression -> its absolute name


def tested_loop(test: ast.expr) -> tuple[ast.expr, bool] | None:
    """The expression ``test`` asks about, and whether a true test means a loop is running:
    ``loop`` / ``loop is not None`` (True), ``not loop`` / ``loop is None`` (False); the
    expression is a call or a name, which the caller resolves to a helper."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = tested_loop(test.operand)
        return None if inner is None else (inner[0], not inner[1])
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is | ast.IsNot)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        inner = tested_loop(test.left)
        running = isinstance(test.ops[0], ast.IsNot)
        return None if inner is None else (inner[0], running == inner[1])
    if isinstance(test, ast.Call | ast.Name):
        return test, True
    return None


def no_loop_branch(node: ast.If | ast.IfExp) -> str | None:
    """Which field of ``node`` (``"body"`` or ``"orelse"``) runs only when no loop runs,
    given that its test asks about a loop (``tested_loop``); None otherwise."""
    tested = tested_loop(node.test)
    if tested is None:
        return None
    return "orelse" if tested[1] else "body"


def catches_missing_loop(statement: ast.Try, handler: ast.ExceptHandler, resolve: Resolve) -> bool:
    """``handler`` of ``statement`` catches the ``RuntimeError`` that the first statement of
    its ``try`` body raises by calling ``asyncio.get_running_loop()`` without a loop."""
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    if caught is not None and not any(
        isinstance(name, ast.Name | ast.Attribute) and _last(name) in _CATCHING for name in names
    ):
        return False
    first = statement.body[0] if statement.body else None
    return first is not None and any(
        isinstance(node, ast.Call) and resolve(node.func) == RAISES_WITHOUT_LOOP
        for node in _own(first)
    )


def source_no_loop_branch(source: str) -> tuple[str, bool] | None:
    """``tested_loop`` of a test given as source text (the libcst model's view): the tested
    expression's source, and whether a true test means a loop runs."""
    try:
        test = ast.parse(f"(\n{source}\n)", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    tested = tested_loop(test)
    return None if tested is None else (ast.unparse(tested[0]), tested[1])


def source_catches_missing_loop(source: str, handler: int, resolve: Resolve) -> bool:
    """``catches_missing_loop`` of a ``try`` statement given as source text (the libcst
    model's view), for its ``handler``-th handler."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    statement = tree.body[0] if tree.body else None
    if not isinstance(statement, ast.Try) or handler >= len(statement.handlers):
        return False
    return catches_missing_loop(statement, statement.handlers[handler], resolve)


def returns_running_loop(
    function: ast.FunctionDef | ast.AsyncFunctionDef, resolve: Resolve
) -> bool:
    """Every ``return`` of the plain function gives ``None``, a call of a ``LOOP_OR_NONE``
    helper, or ``asyncio.get_running_loop()`` inside a ``try`` whose handler catches its
    ``RuntimeError``, and some ``return`` gives a loop: the function tells whether a loop
    runs (``None`` when none does)."""
    if isinstance(function, ast.AsyncFunctionDef):
        return False
    kinds = set(_returns(function.body, False, resolve, LOOP_OR_NONE))
    return kinds == {"loop"} or kinds == {"loop", "none"}


def _returns(
    statements: list[ast.stmt], guarded: bool, resolve: Resolve, loop_or_none: frozenset[str]
) -> Iterator[str]:
    """For each ``return``: ``"none"``, ``"loop"`` (the running loop, or None without one)
    or ``"other"``; ``guarded`` inside a ``try`` that catches a missing loop."""
    for statement in statements:
        if isinstance(statement, ast.Return):
            yield _returned(statement.value, guarded, resolve, loop_or_none)
        elif isinstance(statement, ast.Try):
            inner = any(catches_missing_loop(statement, h, resolve) for h in statement.handlers)
            yield from _returns(statement.body, guarded or inner, resolve, loop_or_none)
            for block in (*(h.body for h in statement.handlers), statement.orelse,
                          statement.finalbody):
                yield from _returns(block, guarded, resolve, loop_or_none)
        elif isinstance(statement, ast.If | ast.With | ast.For | ast.While):
            for block in (statement.body, getattr(statement, "orelse", [])):
                yield from _returns(block, guarded, resolve, loop_or_none)
        elif not isinstance(statement, _NESTED):
            yield from ("other" for node in _own(statement) if isinstance(node, ast.Return))


def _returned(
    value: ast.expr | None, guarded: bool, resolve: Resolve, loop_or_none: frozenset[str]
) -> str:
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        return "none"
    name = resolve(value.func) if isinstance(value, ast.Call) else None
    if name in loop_or_none or (guarded and name == RAISES_WITHOUT_LOOP):
        return "loop"
    return "other"


def no_loop_calls(
    function: ast.FunctionDef | ast.AsyncFunctionDef, resolve: Resolve
) -> dict[int, tuple[str, ...]]:
    """For each call of the function's own body (by ``id``) in a branch that runs only when
    no loop runs, the helpers that decide it (absolute names): ``asyncio.get_running_loop``
    for a handler of its ``RuntimeError``, else the helper whose result a test asks about
    (directly, or through a local bound once to its call); whether that helper gives the
    running loop or ``None`` is the caller's to decide."""
    assigned = _assigned_calls(function)
    found: dict[int, tuple[str, ...]] = {}

    def helper(tested: ast.expr) -> str | None:
        if isinstance(tested, ast.Name):
            call = assigned.get(tested.id)
            return resolve(call.func) if call is not None else None
        return resolve(tested.func) if isinstance(tested, ast.Call) else None

    def visit(node: ast.AST, around: tuple[str, ...]) -> None:
        if isinstance(node, _NESTED):
            return
        if isinstance(node, ast.Call) and around:
            found[id(node)] = around
        cut: dict[int, str] = {}  # id of a branch's list or node -> the deciding helper
        if isinstance(node, ast.If | ast.IfExp) and (branch := no_loop_branch(node)):
            tested = tested_loop(node.test)
            name = helper(tested[0]) if tested is not None else None
            if name is not None:
                cut[id(getattr(node, branch))] = name
        elif isinstance(node, ast.Try):
            for handler in node.handlers:
                if catches_missing_loop(node, handler, resolve):
                    cut[id(handler)] = RAISES_WITHOUT_LOOP
        for _, value in ast.iter_fields(node):
            name = cut.get(id(value))
            if isinstance(value, list):
                block(value, (*around, name) if name else around, cut)
            elif isinstance(value, ast.AST):
                visit(value, (*around, name) if name else around)

    def block(statements: list[object], around: tuple[str, ...], cut: dict[int, str]) -> None:
        """Each of ``statements``; past ``if loop: return ...``, the rest of the block runs
        without a loop."""
        for statement in statements:
            if not isinstance(statement, ast.AST):
                continue
            inner = cut.get(id(statement))
            visit(statement, (*around, inner) if inner else around)
            if isinstance(statement, ast.If) and (tested := exits_with_loop(statement)):
                name = helper(tested)
                around = (*around, name) if name else around

    block(list(function.body), (), {})
    return found


def exits_with_loop(statement: ast.If) -> ast.expr | None:
    """The expression ``statement`` asks about, when its body runs only with a loop and
    leaves the block (``if loop: return ...`` with no ``else``): what follows runs only
    without a loop."""
    tested = tested_loop(statement.test)
    last = statement.body[-1] if statement.body else None
    if tested is None or not tested[1] or statement.orelse:
        return None
    return tested[0] if isinstance(last, ast.Return | ast.Raise) else None


def source_exits_with_loop(source: str) -> str | None:
    """``exits_with_loop`` of an ``if`` statement given as source text (the libcst model's
    view): the source of the tested expression."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    statement = tree.body[0] if tree.body else None
    tested = exits_with_loop(statement) if isinstance(statement, ast.If) else None
    return None if tested is None else ast.unparse(tested)


def _assigned_calls(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.Call]:
    """Locals bound once in the function's own body, to a call (``loop = get_loop()``)."""
    counts: dict[str, int] = {}
    calls: dict[str, ast.Call] = {}
    for node in _own_body(function.body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
        ):
            calls[node.targets[0].id] = node.value
    return {name: call for name, call in calls.items() if counts.get(name) == 1}


def _last(name: ast.expr) -> str:
    return name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", "")


def _own(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and its descendants, not those of nested functions and classes."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(c for c in ast.iter_child_nodes(current) if not isinstance(c, _NESTED))


def _own_body(statements: list[ast.stmt]) -> Iterator[ast.AST]:
    for statement in statements:
        if not isinstance(statement, _NESTED):
            yield from _own(statement)
