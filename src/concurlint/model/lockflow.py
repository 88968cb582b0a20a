"""Whether a lock acquired in a function is released on every path out of it.

A small abstract interpreter over the function's statements, one lock at a time: the state
is whether the lock is held (``True``/``False``), or held exactly when a variable that
stored a try-lock's result is true (``got = lock.acquire(timeout=1)``). Statements are
followed in order through ``if``, loops, ``try``/``except``/``else``/``finally`` and ``with``;
every call, subscript or ``yield`` may raise; ``return``, ``raise``, ``break`` and
``continue`` leave their block. The outcome is, for each way out of the function (an
exception, a ``return``, the end of the body), the states the lock can be in there. This is
the control-flow graph of the function, walked structurally instead of being built as nodes
and edges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

# A state: held (True), not held (False), or held when the named variable is true.
State = bool | str
_CATCH_ALL = frozenset({"Exception", "BaseException"})


@dataclass
class Flow:
    """States reaching the statement after a block (``next``) and each way out of it."""

    next: set[State] = field(default_factory=set)
    exits: dict[str, set[State]] = field(default_factory=dict)

    def exit(self, kind: str, states: Iterable[State]) -> None:
        self.exits.setdefault(kind, set()).update(states)

    def absorb(self, other: Flow) -> None:
        """Add ``other``'s exits (not its ``next``)."""
        for kind, states in other.exits.items():
            self.exit(kind, states)


@dataclass(frozen=True)
class LockEvents:
    """How the interpreter recognizes what happens to the lock, decided by the caller:
    ``acquires(expr)`` gives the state an expression leaves when evaluated as a statement or
    stored (True, a try-lock's ``None`` = "the result says", or False: no acquisition),
    ``releases(expr)`` whether it releases the lock, ``safe(node)`` whether a call or an
    index cannot raise (taking or releasing a lock)."""

    acquires: Callable[[cst.BaseExpression], bool | None]
    releases: Callable[[cst.BaseExpression], bool]
    safe: Callable[[cst.Call | cst.Subscript], bool]


class LockFlow:
    """Interpret one function body for one lock."""

    def __init__(self, events: LockEvents) -> None:
        self.events = events
        self.unsupported = False  # a statement the interpreter does not model
        self.released = False  # some path releases the lock while holding it
        self.released_free = False  # some path releases it while not holding it
        self.held_at_yield = False  # some `yield` may run with the lock held

    def run(self, body: Sequence[cst.BaseStatement]) -> Flow:
        return self._block(body, {False})

    # -- blocks and statements ----------------------------------------------------------------

    def _block(self, statements: Sequence[cst.BaseStatement], states: set[State]) -> Flow:
        flow = Flow()
        current = set(states)
        for statement in statements:
            if not current:
                break
            step = self._statement(statement, current)
            flow.absorb(step)
            current = step.next
        flow.next = current
        return flow

    def _suite(self, suite: cst.BaseSuite, states: set[State]) -> Flow:
        if isinstance(suite, cst.IndentedBlock):
            return self._block(list(suite.body), states)
        assert isinstance(suite, cst.SimpleStatementSuite)
        return self._smalls(suite.body, states)

    def _statement(self, statement: cst.BaseStatement, states: set[State]) -> Flow:
        if isinstance(statement, cst.SimpleStatementLine):
            return self._smalls(statement.body, states)
        if isinstance(statement, cst.If):
            return self._if(statement, states)
        if isinstance(statement, (cst.For, cst.While)):
            return self._loop(statement, states)
        if isinstance(statement, cst.Try):
            return self._try(statement, states)
        if isinstance(statement, cst.With):
            flow = Flow()
            self._may_raise([item.item for item in statement.items], states, flow)
            inner = self._suite(statement.body, states)
            flow.absorb(inner)
            flow.next = inner.next
            return flow
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            flow = Flow()
            self._may_raise(list(statement.decorators), states, flow)
            flow.next = set(states)
            return flow
        self.unsupported = True  # `match`, `try*`: give no answer rather than a wrong one
        return Flow(next=set(states))

    def _smalls(self, smalls: Sequence[cst.BaseSmallStatement], states: set[State]) -> Flow:
        flow = Flow()
        current = set(states)
        for small in smalls:
            if isinstance(small, cst.Return):
                self._may_raise([small.value] if small.value else [], current, flow)
                flow.exit("return", current)
                return flow
            if isinstance(small, cst.Raise):
                flow.exit("raise", current)
                return flow
            if isinstance(small, (cst.Break, cst.Continue)):
                flow.exit("break" if isinstance(small, cst.Break) else "continue", current)
                return flow
            current = self._simple(small, current, flow)
        flow.next = current
        return flow

    def _simple(
        self, small: cst.BaseSmallStatement, states: set[State], flow: Flow
    ) -> set[State]:
        value = getattr(small, "value", None)
        if isinstance(small, cst.Expr):
            if self.events.releases(small.value):
                self.released = self.released or any(state is not False for state in states)
                self.released_free = self.released_free or False in states
                return {False}
            acquired = self.events.acquires(small.value)
            if acquired:
                return {True}
        if isinstance(small, cst.Assign) and isinstance(value, cst.BaseExpression):
            acquired = self.events.acquires(value)
            target = small.targets[0].target if len(small.targets) == 1 else None
            if acquired is not False and isinstance(target, cst.Name):
                # `got = lock.acquire(...)`: held exactly when `got` is true (always, for a
                # blocking call, but code may test it all the same)
                return {target.value} | {s for s in states if s is True}
            if acquired:
                return {True}
        self._may_raise([small], states, flow)
        return set(states)

    # -- compound statements ------------------------------------------------------------------

    def _if(self, statement: cst.If, states: set[State]) -> Flow:
        flow = Flow()
        self._may_raise([statement.test], states, flow)
        when_true, when_false = self._split(statement.test, states)
        body = self._suite(statement.body, when_true)
        flow.absorb(body)
        flow.next = set(body.next)
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            other = self._if(orelse, when_false)
        elif isinstance(orelse, cst.Else):
            other = self._suite(orelse.body, when_false)
        else:
            other = Flow(next=set(when_false))
        flow.absorb(other)
        variable = self._tested_variable(statement.test, states)
        if variable is not None and True in flow.next and False in other.next:
            # held in the branch where `got` is true, free in the other: still "held
            # when `got` is true" after the `if`, for a later `if not got:`
            flow.next = (flow.next - {True}) | (other.next - {False}) | {variable}
        else:
            flow.next |= other.next
        return flow

    def _tested_variable(self, test: cst.BaseExpression, states: set[State]) -> str | None:
        while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test = test.expression
        if isinstance(test, cst.Name) and test.value in states:
            return test.value
        return None

    def _split(self, test: cst.BaseExpression, states: set[State]) -> tuple[set[State], set[State]]:
        """States in the branch taken when ``test`` is true, and when it is false."""
        negated = False
        while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, not negated
        true: set[State]
        false: set[State]
        if self.events.acquires(test) is None:  # `if lock.acquire(timeout=1):`
            true, false = {True, *(s for s in states if s is True)}, set(states)
        elif isinstance(test, cst.Name) and test.value in states:
            rest = {s for s in states if s != test.value}
            true, false = rest | {True}, rest | {False}
        else:
            return set(states), set(states)
        return (false, true) if negated else (true, false)

    def _loop(self, statement: cst.For | cst.While, states: set[State]) -> Flow:
        flow = Flow()
        header = statement.iter if isinstance(statement, cst.For) else statement.test
        entering = set(states)
        body = Flow()
        for _ in range(4):  # states are few: a fixed point comes in two or three rounds
            self._may_raise([header], entering, flow)
            body = self._suite(statement.body, entering)
            again = entering | body.next | body.exits.get("continue", set())
            if again == entering:
                break
            entering = again
        for kind in ("raise", "return"):
            flow.exit(kind, body.exits.get(kind, set()))
        after = entering | body.exits.get("break", set())
        if statement.orelse is not None:
            orelse = self._suite(statement.orelse.body, entering)
            flow.absorb(orelse)
            after = orelse.next | body.exits.get("break", set())
        flow.next = after
        return flow

    def _try(self, statement: cst.Try, states: set[State]) -> Flow:
        body = self._suite(statement.body, states)
        raised = body.exits.pop("raise", set())
        outcome = Flow()
        outcome.absorb(body)
        catch_all = False
        for handler in statement.handlers:
            caught = self._suite(handler.body, raised)
            # a handler that releases the lock is the author's answer to the failure: the
            # exceptions it does not name are taken as not expected there
            releasing = bool(raised - {False}) and not (caught.next | caught.exits.get(
                "raise", set())) - {False}
            catch_all = catch_all or _catches_all(handler) or releasing
            outcome.absorb(caught)
            outcome.next |= caught.next
        if not catch_all:
            outcome.exit("raise", raised)
        if statement.orelse is not None:
            orelse = self._suite(statement.orelse.body, body.next)
            outcome.absorb(orelse)
            outcome.next |= orelse.next
        else:
            outcome.next |= body.next
        if statement.finalbody is None:
            return outcome
        final = Flow()
        for kind, kind_states in [("next", outcome.next), *outcome.exits.items()]:
            ran = self._suite(statement.finalbody.body, kind_states)
            final.absorb(ran)
            if kind == "next":
                final.next |= ran.next
            else:
                final.exit(kind, ran.next)
        return final

    # -- exceptions ---------------------------------------------------------------------------

    def _may_raise(self, nodes: Iterable[cst.CSTNode], states: set[State], flow: Flow) -> None:
        finder = _RaiseFinder(self.events)
        for node in nodes:
            finder.found = finder.found or isinstance(node, cst.Assert)
            node.visit(finder)
        if finder.found:
            flow.exit("raise", states)
        if finder.yields and any(state is not False for state in states):
            self.held_at_yield = True


def _catches_all(handler: cst.ExceptHandler) -> bool:
    kind = handler.type
    return kind is None or (isinstance(kind, cst.Name) and kind.value in _CATCH_ALL)


class _RaiseFinder(cst.CSTVisitor):
    """Whether evaluating a node calls or indexes something (lock calls aside), and whether
    it yields."""

    def __init__(self, events: LockEvents) -> None:
        self.events = events
        self.found = False
        self.yields = False

    def visit_Call(self, node: cst.Call) -> bool:
        if not self.events.safe(node):
            self.found = True
        return True

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        if not self.events.safe(node):
            self.found = True
        return True

    def visit_Yield(self, node: cst.Yield) -> bool:
        # the consumer's exception is thrown in here, and closing the generator early
        # raises GeneratorExit here
        self.found = self.yields = True
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def leaks(flow: Flow) -> list[str]:
    """The ways out of the function where the lock may still be held, most telling first:
    ``"return"``, ``"end"`` (the body's end), ``"raise"``."""
    found = ["return"] if any(s is not False for s in flow.exits.get("return", ())) else []
    if any(state is not False for state in flow.next):
        found.append("end")
    if any(state is not False for state in flow.exits.get("raise", ())):
        found.append("raise")
    return found
