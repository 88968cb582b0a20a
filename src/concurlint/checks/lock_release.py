"""CCL103: a lock taken by hand with ``acquire()`` that some path out of the function leaves
held."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import FunctionScope

from concurlint.diagnostic import Safety
from concurlint.model.index import ModuleIndex
from concurlint.model.lockflow import Flow, LockEvents, LockFlow, leaks
from concurlint.model.locks import LockAnalysis, method_call
from concurlint.model.reservations import reservations
from concurlint.rule import NodeFix, Rule
from concurlint.screen import TreeFacts

_NESTED = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_EXITS = (cst.Return, cst.Raise, cst.Break, cst.Continue, cst.Yield, cst.Await)


class _Risk(cst.CSTVisitor):
    """Whether a region can leave its block before the release (a ``return``, a ``break``
    out of the block): a fix that wraps the region in ``with`` would change such an exit."""

    def __init__(self, release_key: str, analysis: LockAnalysis) -> None:
        self.key = release_key
        self.locks = analysis
        self.exits = False
        self.loops = 0

    def visit_Try(self, node: cst.Try) -> bool:
        handlers: list[cst.ExceptHandler | cst.Finally] = [
            *node.handlers,
            *([node.finalbody] if node.finalbody else []),
        ]
        return not any(self._releases(handler.body) for handler in handlers)

    def _releases(self, body: cst.BaseSuite) -> bool:
        statements = body.body if isinstance(body, cst.IndentedBlock) else ()
        return any(self.key in self.locks.released_keys(s) for s in statements)

    def _released_before(self, node: cst.CSTNode) -> bool:
        """An exit whose block released the lock first (``lock.release(); return x``)."""
        model = self.locks.model
        line = model.parent(node)
        block = model.parent(line) if line is not None else None
        if not isinstance(block, cst.IndentedBlock):
            return False
        statements = list(block.body)
        index = next((i for i, s in enumerate(statements) if s is line), 0)
        return any(self.key in self.locks.released_keys(s) for s in statements[:index])

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _NESTED):
            return False
        if isinstance(node, (cst.For, cst.While)):
            self.loops += 1
        elif (
            isinstance(node, _EXITS)
            and not (isinstance(node, (cst.Break, cst.Continue)) and self.loops)
            and not self._released_before(node)
        ):
            self.exits = True
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, (cst.For, cst.While)):
            self.loops -= 1
        super().on_leave(original_node)


class _LockCalls(cst.CSTVisitor):
    """Counts ``acquire()`` and ``release()`` calls on one lock expression."""

    def __init__(self, key: str, locks: LockAnalysis) -> None:
        self.key = key
        self.locks = locks
        self.acquires = 0
        self.releases = 0

    def visit_Call(self, node: cst.Call) -> None:
        for method in ("acquire", "release"):
            receiver = method_call(node, method)
            if receiver is not None and self.locks.model.code(receiver) == self.key:
                if method == "acquire":
                    self.acquires += 1
                else:
                    self.releases += 1

    def on_visit(self, node: cst.CSTNode) -> bool:
        return not isinstance(node, _NESTED) and super().on_visit(node)


@dataclass(frozen=True)
class _Region:
    """``x.acquire()`` ... ``x.release()``: statements of one block."""

    block: cst.IndentedBlock | cst.Module
    start: int  # index of the acquire statement
    end: int  # index of the release statement


class LockAcquireWithoutRelease(Rule):
    code = "CCL103"
    message = (
        "{taken} is not released on every path: {reason} leaves {held} held and every other "
        "thread that needs it waits forever; {advice}"
    )
    keywords = ("acquire", "yield")

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A report needs an ``acquire()`` call and a ``release()`` call in the code, or a
        ``yield`` and a ``with`` (a reservation held across the ``yield``)."""
        by_hand = facts.calls_any(("acquire",)) and facts.calls_any(("release",))
        return by_hand or (facts.has(ast.Yield) and facts.has(ast.With))

    def visit_Module(self, node: cst.Module) -> None:
        for reservation in reservations(self.model):
            names = ", ".join(f"`{name}`" for name in reservation.names)
            self.report(
                reservation.at,
                taken=(
                    f"The reservation of {names} made under `{reservation.lock}` before this "
                    "`yield`"
                ),
                reason="an exception thrown in at the `yield` (or a consumer that stops early)",
                held=f"what `{reservation.lock}` guards",
                advice="undo it in a `finally:` around the `yield`",
            )
        locks = self.model.analysis(LockAnalysis)
        for call in self.model.analysis(ModuleIndex).calls:
            receiver = method_call(call, "acquire")
            if receiver is None or not locks.taken_by_hand(receiver):
                continue
            function = self.model.enclosing_function(call)
            if not isinstance(function, cst.FunctionDef) or self._local_lock(receiver):
                continue
            statement = self._acquiring_statement(call)
            if statement is None:
                continue
            key = self.model.code(receiver)
            if not self._balanced(statement, key, function, locks):
                continue
            flow, at_yield = self._flow(function, key, locks)
            found = leaks(flow)
            if "raise" in found and self._careful_exits(function, key, locks):
                found.remove("raise")
            if self._released_at_callers_choice(function, key):
                # the caller keeps the lock when it asks to, but not after an exception
                found = [way for way in found if way == "raise"]
            if not found or (
                found[0] == "return"
                and (
                    _hands_over(function)
                    or self._released_elsewhere(function, key, locks)
                    or self._released_by_callback(function, key)
                )
            ):
                continue
            lock = self.model.code(receiver)
            reason = {
                "return": f"an early exit before `{lock}.release()`",
                "raise": f"an exception before `{lock}.release()`",
                "end": f"a path that never calls `{lock}.release()`",
            }[found[0]]
            advice = f"use `with {lock}:`, or release it in a `finally:`"
            if found[0] == "raise" and at_yield:
                reason = (
                    "an exception thrown in at the `yield` (the error of the `with` body, "
                    "for a context manager)"
                )
                advice = "release it in a `finally:` around the `yield`"
            fix = self._straight_fix(statement, receiver, locks) if found == ["raise"] else None
            self.report(
                call,
                fix=fix,
                taken=f"`{lock}.acquire()`",
                reason=reason,
                held="the lock",
                advice=advice,
            )

    def _careful_exits(self, function: cst.FunctionDef, key: str, locks: LockAnalysis) -> bool:
        """True when the function releases the lock more often than it takes it (a release
        before each early exit, as in watchdog's ``DelayedQueue.get``) and only an index at a
        fixed position or a method of a container or lock can raise while it is held: such
        code checked its own state first (``while not q: cond.wait()`` before ``q[0]``). Any
        other call (a socket, a parser, other code) is still a way out: early exits say
        nothing of it."""
        counter = _LockCalls(key, locks)
        function.body.visit(counter)
        if counter.releases <= counter.acquires:
            return False
        return "raise" not in leaks(self._flow(function, key, locks, own_state=True)[0])

    def _released_by_callback(self, function: cst.FunctionDef, key: str) -> bool:
        """True when a function or lambda defined inside ``function`` releases the lock
        (``future.add_done_callback(lambda _: slots.release())``): returning with it held
        hands it to that callback."""
        for call in self.model.analysis(ModuleIndex).calls:
            receiver = method_call(call, "release")
            if (
                receiver is not None
                and self.model.code(receiver) == key
                and self.model.enclosing_function(call) is not function
                and any(ancestor is function for ancestor in self.model.ancestors(call))
            ):
                return True
        return False

    def _released_at_callers_choice(self, function: cst.FunctionDef, key: str) -> bool:
        """True when a release of the lock in the function is under ``if flag:`` for a
        parameter ``flag`` (``if release_lock: lock.release()``): the caller may choose to
        keep the lock and release it itself later."""
        parameters = {param.name.value for param in function.params.params}
        parameters |= {param.name.value for param in function.params.kwonly_params}
        return any(
            self._under_flag(call, parameters)
            for call in self.model.calls_in(function)
            if (receiver := method_call(call, "release")) is not None
            and self.model.code(receiver) == key
        )

    def _under_flag(self, node: cst.CSTNode, flags: set[str]) -> bool:
        """True when ``node`` runs only in the body of an ``if flag:`` of its function."""
        child = node
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, _NESTED):
                return False
            if (
                isinstance(ancestor, cst.If)
                and child is ancestor.body
                and isinstance(ancestor.test, cst.Name)
                and ancestor.test.value in flags
            ):
                return True
            child = ancestor
        return False

    def _released_elsewhere(
        self, function: cst.FunctionDef, key: str, locks: LockAnalysis
    ) -> bool:
        """True when another method of the class releases the lock without taking it
        (``__next__`` reserves a slot that ``ack()`` gives back): returning with it held
        hands it over."""
        klass = self.model.enclosing_class(function)
        body = klass.body.body if klass is not None and isinstance(
            klass.body, cst.IndentedBlock
        ) else ()
        for method in body:
            if not isinstance(method, cst.FunctionDef) or method is function:
                continue
            counter = _LockCalls(key, locks)
            method.body.visit(counter)
            if counter.releases > counter.acquires:
                return True
        return False

    def _acquiring_statement(self, call: cst.Call) -> cst.CSTNode | None:
        """The statement that takes the lock: ``lock.acquire()`` alone (a blocking call),
        ``if [not] lock.acquire(...):`` or ``got = lock.acquire(...)`` (a try-lock whose
        result says whether it is held)."""
        parent = self.model.parent(call)
        while isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            parent = self.model.parent(parent)
        if isinstance(parent, cst.Expr) and parent.value is call and _blocks_forever(call):
            line = self.model.parent(parent)
            return line if isinstance(line, cst.SimpleStatementLine) else None
        if isinstance(parent, cst.If) and not _blocks_forever(call):
            return parent
        if (
            isinstance(parent, cst.Assign)
            and parent.value is call
            and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)
        ):
            return parent
        return None

    def _flow(
        self, function: cst.FunctionDef, key: str, locks: LockAnalysis, own_state: bool = False
    ) -> tuple[Flow, bool]:
        """The lock's states at each way out of the function, and whether a ``yield`` may
        run with it held. With ``own_state``, an index at a fixed position and methods of
        containers and of locks (``q[0]``, ``q.popleft()``, ``cond.wait()``) are taken as
        not raising."""
        def acquires(expression: cst.BaseExpression) -> bool | None:
            receiver = method_call(expression, "acquire")
            if receiver is None or self.model.code(receiver) != key:
                return False
            assert isinstance(expression, cst.Call)
            return True if _blocks_forever(expression) else None

        def releases(expression: cst.BaseExpression) -> bool:
            receiver = method_call(expression, "release")
            return receiver is not None and self.model.code(receiver) == key

        quiet = self.catalog.names("non-raising-calls")
        containers = self.catalog.names("containers")

        def safe(node: cst.Call | cst.Subscript) -> bool:
            if isinstance(node, cst.Subscript):
                return own_state and _at_position(node)
            receiver = method_call(node, "release") or method_call(node, "acquire")
            if receiver is not None and locks.taken_by_hand(receiver):
                return True
            if own_state and isinstance(node.func, cst.Attribute):
                owner = node.func.value
                if locks.taken_by_hand(owner) or self.model.infer_types(owner) & containers:
                    return True
            return bool(self.model.call_names(node) & quiet)

        interpreter = LockFlow(LockEvents(acquires, releases, safe))
        body = function.body
        statements = list(body.body) if isinstance(body, cst.IndentedBlock) else []
        flow = interpreter.run(statements)
        # a lock no path releases after taking it is handed over (an `__enter__`, a
        # turnstile), and so is one some path releases without having taken it (the
        # function gives back what another took): not this rule's business
        handed_over = not interpreter.released or interpreter.released_free
        if interpreter.unsupported or handed_over:
            return Flow(), False
        return flow, interpreter.held_at_yield

    def _straight_fix(
        self, statement: cst.CSTNode, receiver: cst.BaseExpression, locks: LockAnalysis
    ) -> NodeFix | None:
        """``with lock:`` in place of ``acquire()`` ... ``release()`` in one block, when the
        code between them only risks an exception (no ``return``/``break``/...)."""
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        region = self._region(statement, self.model.code(receiver), locks)
        if region is None:
            return None
        risk = _Risk(self.model.code(receiver), locks)
        for inner in list(region.block.body)[region.start + 1 : region.end]:
            inner.visit(risk)
        return None if risk.exits else self._fix(region, receiver)

    def _local_lock(self, receiver: cst.BaseExpression) -> bool:
        """A lock created by this very function call (a local variable): nothing else can be
        waiting for it once the function is left, as in tests of the lock types."""
        if not isinstance(receiver, cst.Name):
            return False
        scope = self.model.scope(receiver)
        assignments = list(scope[receiver.value]) if scope is not None else []
        return bool(assignments) and all(
            a.scope is scope
            and isinstance(scope, FunctionScope)
            and not isinstance(getattr(a, "node", None), cst.Param)
            for a in assignments
        )

    def _balanced(
        self,
        statement: cst.CSTNode,
        key: str,
        function: cst.FunctionDef,
        locks: LockAnalysis,
    ) -> bool:
        """False for hand-managed ownership: the lock taken again right after, before any
        release (a reentrancy test), taken while a ``with`` holds it, or never released in
        the function (a context manager's ``__enter__``). A release on a path that does not
        hold the lock (handed over between paths or threads) is found by the flow."""
        if any(self.model.code(held.expression) == key for held in locks.held(statement)):
            return False
        if isinstance(statement, cst.SimpleStatementLine):
            region = self._region(statement, key, locks)
            if region is not None:
                counter = _LockCalls(key, locks)
                for inner in list(region.block.body)[region.start + 1 : region.end]:
                    inner.visit(counter)
                if counter.acquires:
                    return False
        counter = _LockCalls(key, locks)
        function.body.visit(counter)
        return counter.releases > 0

    def _region(
        self, statement: cst.SimpleStatementLine, key: str, locks: LockAnalysis
    ) -> _Region | None:
        block = self.model.parent(statement)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return None
        statements = list(block.body)
        start = next(i for i, s in enumerate(statements) if s is statement)
        for index in range(start + 1, len(statements)):
            following = statements[index]
            if isinstance(following, cst.Try) and following.finalbody is not None:
                final = following.finalbody.body
                if isinstance(final, cst.IndentedBlock) and any(
                    key in locks.released_keys(s) for s in final.body
                ):
                    return _Region(block, start, index)
            if key in locks.released_keys(following):
                return _Region(block, start, index)
        return None

    def _fix(self, region: _Region, receiver: cst.BaseExpression) -> NodeFix | None:
        statements = list(region.block.body)
        acquire, release = statements[region.start], statements[region.end]
        body = statements[region.start + 1 : region.end]
        if not body or not _single(acquire) or not _single(release):
            return None
        assert isinstance(release, cst.SimpleStatementLine)
        if release.trailing_whitespace.comment is not None or any(
            line.comment is not None for line in release.leading_lines
        ):
            return None
        if not isinstance(release.body[0], cst.Expr) or method_call(
            release.body[0].value, "release"
        ) is None:
            return None
        assert isinstance(acquire, cst.SimpleStatementLine)
        with_statement = cst.With(
            items=[cst.WithItem(receiver)],
            body=cst.IndentedBlock(body=body, header=acquire.trailing_whitespace),
            leading_lines=acquire.leading_lines,
        )
        new_body = [*statements[: region.start], with_statement, *statements[region.end + 1 :]]
        module = self.model.module
        block = region.block
        fixed: cst.CSTNode
        if isinstance(block, cst.Module):
            fixed = block.with_changes(body=new_body)
        else:
            fixed = module.deep_replace(block, block.with_changes(body=new_body))
        assert isinstance(fixed, cst.Module)
        # A statement's own code cannot be edited in place (its indentation belongs to its
        # block), so the fix replaces the module's text with the rewritten module's.
        return NodeFix(((module, fixed.code),), Safety.SAFE)


def _at_position(subscript: cst.Subscript) -> bool:
    """``q[0]``, ``q[-1]``: a fixed position, which code reads after checking the length (a
    key lookup, ``d[key]``, is no such thing)."""
    if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
        return False
    value = subscript.slice[0].slice.value
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    return isinstance(value, cst.Integer)


def _hands_over(function: cst.FunctionDef) -> bool:
    """A function named like a lock operation (``acquire_both``, ``lock``, ``__enter__``)
    returns with the lock held on purpose: its caller releases it."""
    name = function.name.value.lower()
    return "acquire" in name or name == "__enter__" or name.strip("_").startswith("lock")


def _blocks_forever(call: cst.Call) -> bool:
    """``acquire()`` or ``acquire(True)``: it waits, so it cannot fail and return False."""
    if not call.args:
        return True
    if len(call.args) == 1:
        arg = call.args[0]
        keyword = arg.keyword.value if arg.keyword is not None else "blocking"
        return keyword == "blocking" and isinstance(arg.value, cst.Name) and (
            arg.value.value == "True"
        )
    return False


def _single(statement: cst.CSTNode) -> bool:
    """One small statement on its own line."""
    return isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
