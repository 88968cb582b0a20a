"""CCL206: a coroutine that catches its own cancellation and carries on."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import libcst as cst

from concurlint.diagnostic import Safety
from concurlint.model.suspension import SCOPES, can_suspend
from concurlint.model.walk import descendants
from concurlint.rule import NodeFix, Rule
from concurlint.screen import TreeFacts


@dataclass(frozen=True)
class _Exits:
    """How a block can be left: ``quiet`` by return/break/continue, ``falls`` off its end."""

    quiet: bool
    falls: bool


class _Paths:
    """How the statements of a handler can be left. ``stops(call)`` is True for calls that
    never return (``sys.exit``, ``os._exit``): like ``raise``, they end the path."""

    def __init__(self, stops: Callable[[cst.Call], bool]) -> None:
        self.stops = stops

    def block(self, body: cst.BaseSuite, in_loop: bool) -> _Exits:
        if isinstance(body, cst.SimpleStatementSuite):
            return self._smalls(body.body, in_loop)
        return self._sequence(cast(cst.IndentedBlock, body).body, in_loop)  # the other suite

    def _sequence(self, statements: Sequence[cst.BaseStatement], in_loop: bool) -> _Exits:
        quiet = False
        for statement in statements:
            exits = self._statement(statement, in_loop)
            quiet |= exits.quiet
            if not exits.falls:
                return _Exits(quiet, False)
        return _Exits(quiet, True)

    def _smalls(self, smalls: Sequence[cst.BaseSmallStatement], in_loop: bool) -> _Exits:
        for small in smalls:
            if isinstance(small, cst.Raise) or (
                isinstance(small, cst.Expr)
                and isinstance(small.value, cst.Call)
                and self.stops(small.value)
            ):
                return _Exits(False, False)
            if isinstance(small, cst.Return) or (
                isinstance(small, (cst.Break, cst.Continue)) and not in_loop
            ):
                return _Exits(True, False)
        return _Exits(False, True)

    def _statement(self, statement: cst.BaseStatement, in_loop: bool) -> _Exits:
        if isinstance(statement, cst.SimpleStatementLine):
            return self._smalls(statement.body, in_loop)
        if isinstance(statement, cst.If):
            body = self.block(statement.body, in_loop)
            orelse = statement.orelse
            if orelse is None:
                other = _Exits(False, True)
            elif isinstance(orelse, cst.If):
                other = self._statement(orelse, in_loop)
            else:
                other = self.block(orelse.body, in_loop)
            return _Exits(body.quiet or other.quiet, body.falls or other.falls)
        if isinstance(statement, (cst.For, cst.While)):
            return _Exits(self.block(statement.body, True).quiet, True)
        if isinstance(statement, cst.With):
            return self.block(statement.body, in_loop)
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return _Exits(False, True)
        if isinstance(statement, cst.Try):
            return self._try(statement, in_loop)
        # the rest (match, try*): a `return` inside is a quiet exit, and it may fall through
        quiet = any(isinstance(node, cst.Return) for node in descendants(statement, SCOPES))
        return _Exits(quiet, True)


    def _try(self, statement: cst.Try, in_loop: bool) -> _Exits:
        """A ``finally`` that ends in ``raise`` ends every path; otherwise the body (through
        its ``else``) or any handler may fall through."""
        if statement.finalbody is not None:
            final = self.block(statement.finalbody.body, in_loop)
            if not final.falls:
                return final
        parts = [self.block(statement.body, in_loop)]
        if statement.orelse is not None:
            parts.append(self.block(statement.orelse.body, in_loop))
        parts.extend(self.block(handler.body, in_loop) for handler in statement.handlers)
        quiet = any(part.quiet for part in parts)
        falls = any(part.falls for part in parts)
        return _Exits(quiet, falls)


class CancellationSwallowed(Rule):
    code = "CCL206"
    message = (
        "`{clause}` in `async def {function}` can leave the handler without re-raising the "
        "cancellation: the task {outcome}; {advice}"
    )
    keywords = ("async",)

    def screen_tree(self, facts: TreeFacts) -> bool:
        return facts.has(ast.AsyncFunctionDef)

    def visit_Try(self, node: cst.Try) -> None:
        coroutine = self.model.enclosing_coroutine(node)
        if coroutine is None or not can_suspend(node.body) or self._awaits_futures(node.body):
            return
        caught_by_name = False
        for handler in node.handlers:
            kind = self._catches(handler)
            if kind is None:
                continue
            if kind == "catch-all" and (caught_by_name or not self._runs_on_asyncio):
                continue
            caught_by_name |= kind != "catch-all"
            self._check(handler, kind, coroutine, node)

    @property
    def _runs_on_asyncio(self) -> bool:
        """The module imports asyncio or a framework built on it: its coroutines are
        asyncio's, and a catch-all handler catches asyncio's cancellation. Coroutines of a
        module without such an import may run on another loop (trio, a library's own)."""
        frameworks = self.catalog.names("asyncio-frameworks")
        imports: list[cst.Import | cst.ImportFrom] = self.model.nodes(cst.Import, cst.ImportFrom)
        for statement in imports:
            if isinstance(statement, cst.Import):
                modules = [alias.evaluated_name for alias in statement.names]
            elif statement.module is not None and not statement.relative:
                modules = [self.model.code(statement.module)]
            else:
                modules = []
            if any(module.partition(".")[0] in frameworks for module in modules):
                return True
        return False

    def _awaits_futures(self, body: cst.BaseSuite) -> bool:
        """Every ``await`` of the body waits for an existing future or task (``await task``,
        ``await self.ready``, ``await asyncio.wait_for(task, ...)``): a cancellation caught
        there is most likely that future's, cancelled by someone else, not this task's."""
        awaits = [n for n in descendants(body, SCOPES) if isinstance(n, cst.Await)]
        return bool(awaits) and all(self._is_future(a.expression) for a in awaits)

    def _is_future(self, expression: cst.BaseExpression) -> bool:
        if isinstance(expression, cst.Call):
            names = self.model.call_names(expression)
            if names & self.catalog.names("type-casts") and len(expression.args) == 2:
                return self._is_future(expression.args[1].value)  # typing.cast(T, value)
            return (
                bool(names & self.catalog.names("future-waits"))
                and bool(expression.args)
                and self._is_future(expression.args[0].value)
            )
        return isinstance(expression, (cst.Name, cst.Attribute, cst.Subscript))

    def _catches(self, handler: cst.ExceptHandler) -> str | None:
        """``"only"`` (CancelledError alone), ``"among"`` (in a tuple), ``"catch-all"``
        (bare or BaseException) or None when the handler cannot catch a cancellation."""
        kind = handler.type
        if kind is None:
            return "catch-all"
        members = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
        names = [self.model.qualified_names(member) for member in members]
        if any(n & self.catalog.names("cancellation-errors") for n in names):
            return "only" if len(members) == 1 else "among"
        if any(n & self.catalog.names("cancellation-catch-alls") for n in names):
            return "catch-all"
        return None

    def _check(
        self, handler: cst.ExceptHandler, kind: str, coroutine: cst.FunctionDef, node: cst.Try
    ) -> None:
        if (
            any(_calls_method(handler.body, m) for m in ("uncancel", "cancelling"))
            or self._cancels_before(coroutine, node)
            or _keeps_error(handler)
        ):
            return
        exits = _Paths(self._stops).block(handler.body, in_loop=False)
        if not (exits.quiet or exits.falls):
            return
        fixable = kind == "only" and not exits.quiet
        shown = " ".join(self.model.code(handler.type).split()) if handler.type else ""
        clause = f"except {shown}" if shown else "except:"
        self.report(
            handler,
            fix=_reraise_fix(handler, self._indent(handler.body)) if fixable else None,
            clause=clause,
            function=coroutine.name.value,
            outcome=(
                "carries on after `cancel()` (the code after the `try` still runs)"
                if (exits.falls and self._carries_on(node, coroutine))
                or _leaves_by_jump(handler.body)
                else "ends as if it had finished, so `asyncio.timeout()`, task groups and "
                "whoever awaits it never learn it was cancelled"
            ),
            advice=(
                "end the handler with `raise`"
                if kind == "only"
                else "re-raise `asyncio.CancelledError` (catch it by name first and `raise`)"
            ),
        )

    def _carries_on(self, node: cst.Try, coroutine: cst.FunctionDef) -> bool:
        """Code of the coroutine runs after the ``try``: it sits in a loop, or statements
        follow it in an enclosing block."""
        child: cst.CSTNode = node
        for ancestor in self.model.ancestors(node):
            if ancestor is coroutine:
                return False
            if isinstance(ancestor, (cst.For, cst.While)) and child is ancestor.body:
                return True
            if isinstance(ancestor, cst.IndentedBlock) and child is not ancestor.body[-1]:
                return True
            child = ancestor
        return False

    def _stops(self, call: cst.Call) -> bool:
        return bool(self.model.call_names(call) & self.catalog.names("process-exits"))

    def _indent(self, body: cst.BaseSuite) -> str:
        """The indentation of the statements of ``body``, as libcst renders nested blocks."""
        default = self.model.module.default_indent
        blocks = [body, *self.model.ancestors(body)]
        return "".join(
            block.indent if block.indent is not None else default
            for block in reversed(blocks)
            if isinstance(block, cst.IndentedBlock)
        )

    def _cancels_before(self, coroutine: cst.FunctionDef, node: cst.Try) -> bool:
        """The coroutine cancels something before this ``try`` (in source order): the
        cancellation caught is then most likely the child's, awaited after ``cancel()``."""
        for earlier in self.model.nodes(cst.Call, cst.Try):
            if earlier is node:
                return False
            if (
                isinstance(earlier, cst.Call)
                and isinstance(earlier.func, cst.Attribute)
                and earlier.func.attr.value == "cancel"
                and self.model.enclosing_function(earlier) is coroutine
            ):
                return True
        return False


def _leaves_by_jump(body: cst.BaseSuite) -> bool:
    """A ``break`` or ``continue`` of the handler itself (not of a loop inside it)."""
    return any(
        isinstance(node, (cst.Break, cst.Continue))
        for node in descendants(body, (*SCOPES, cst.For, cst.While))
    )


def _keeps_error(handler: cst.ExceptHandler) -> bool:
    """``except ... as error`` that stores the error (``errors.append(error)``,
    ``self._error = error``): it is kept to be raised later, as cleanup code does."""
    name = handler.name.name if handler.name is not None else None
    if not isinstance(name, cst.Name):
        return False
    for node in descendants(handler.body, SCOPES):
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in {"append", "add"}
            and any(_is_name(a.value, name.value) for a in node.args)
        ):
            return True
        if isinstance(node, cst.Assign) and _is_name(node.value, name.value):
            return True
    return False


def _is_name(expression: cst.BaseExpression, name: str) -> bool:
    return isinstance(expression, cst.Name) and expression.value == name


def _calls_method(body: cst.BaseSuite, method: str) -> bool:
    return any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == method
        for node in descendants(body, SCOPES)
    )


def _reraise_fix(handler: cst.ExceptHandler, indent: str) -> NodeFix | None:
    """Append ``raise`` after the handler's last simple statement (a lone ``pass`` becomes
    ``raise``). Spans of small statements are exact, so the edit is made there: the new line
    gets the indentation libcst would give it (``indent``). None when the last statement is
    compound or carries a comment the edit would move."""
    body = handler.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    last = body.body[-1]
    if not isinstance(last, cst.SimpleStatementLine) or last.trailing_whitespace.comment:
        return None
    final = last.body[-1]
    if len(body.body) == 1 and len(last.body) == 1 and isinstance(final, cst.Pass):
        return NodeFix(((final, "raise"),), Safety.SAFE)
    code = cst.Module([]).code_for_node(final)
    return NodeFix(((final, f"{code}\n{indent}raise"),), Safety.SAFE)
