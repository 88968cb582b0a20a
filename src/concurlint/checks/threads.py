"""CCL1xx: thread pitfalls — unguarded shared state, called targets, locks that may never be
released, locks taken in opposite orders, loop variables read late by thread targets."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

import libcst as cst
from libcst.metadata import FunctionScope

from concurlint.diagnostic import Safety
from concurlint.frameworks import frameworks, screen_words
from concurlint.model.callgraph import CallGraph
from concurlint.model.evident import EvidentRaces
from concurlint.model.index import ModuleIndex
from concurlint.model.lockflow import Flow, LockEvents, LockFlow, leaks
from concurlint.model.locks import (
    HeldLock,
    LockAnalysis,
    LockId,
    method_call,
    typed_lock_screen_words,
)
from concurlint.model.module import FunctionNode
from concurlint.model.reservations import reservations
from concurlint.model.spawning import (
    CallableKind,
    SpawnAnalysis,
    SpawnSite,
    spawn_identifiers,
    spawn_screen_words,
)
from concurlint.model.threads import Race, ThreadAnalysis, display_name, reads_in
from concurlint.project import FileFacts
from concurlint.rule import FileContext, NodeFix, Rule
from concurlint.screen import TreeFacts, last_name
from concurlint.summary import scope_nodes

_NESTED = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_REENTRANT = frozenset({"threading.RLock", "multiprocessing.RLock"})
_EXITS = (cst.Return, cst.Raise, cst.Break, cst.Continue, cst.Yield, cst.Await)


class ThreadRule(Rule):
    """A rule that can only report in a module that starts threads."""

    def screen_words(self) -> frozenset[str]:
        return spawn_screen_words(self.catalog, "thread")

    def screen_tree(self, facts: TreeFacts) -> bool:
        return starts_threads(self, facts, self.spawners)

    @cached_property
    def spawners(self) -> frozenset[str]:
        return spawn_identifiers(self.catalog, "thread")


def starts_threads(rule: Rule, facts: TreeFacts, spawners: frozenset[str]) -> bool:
    """The ``ast`` screen of code that starts threads: a thread is only seen through an
    import of a module that leads to a spawner, and a call (or base class) that names one of
    ``spawners`` (``spawn_identifiers``); the builtin ``map`` is no ``executor.map``."""
    return rule.imports_lead_to(facts, spawn_screen_words(rule.catalog, "thread")) and (
        facts.mentions_any_beside_builtins(spawners)
    )


class UnguardedSharedState(ThreadRule):
    code = "CCL101"
    message = (
        "`{state}` is updated without a lock ({operation}) in `{function}`, {where}, and "
        "{elsewhere}: updates can be lost; {advice}"
    )

    def screen_words(self) -> frozenset[str]:
        return super().screen_words() | self.framework_words | self.synchronizer_words

    def screen_tree(self, facts: TreeFacts) -> bool:
        """Code that starts threads, that names a framework running views on threads, or
        that creates a thread synchronization object (``EvidentRaces``)."""
        return (
            super().screen_tree(facts)
            or facts.imports_mention(self.framework_words)
            or (
                self.imports_lead_to(facts, self.synchronizers)
                and facts.mentions_any(self.synchronizer_words)
            )
        )

    @cached_property
    def framework_words(self) -> frozenset[str]:
        return screen_words(frameworks(self.catalog.section("framework")))

    @cached_property
    def synchronizers(self) -> frozenset[str]:
        return self.catalog.names("thread-synchronizers") | self.catalog.names("lock-types")

    @cached_property
    def synchronizer_words(self) -> frozenset[str]:
        return frozenset(name.rpartition(".")[2] for name in self.synchronizers) | (
            typed_lock_screen_words(self.catalog)
        )

    def screen_facts(self, facts: FileFacts) -> bool:
        """Functions of a module that imports no thread API still run on threads when
        another module of the project starts them, or a view calls them; and the module
        may take a lock of another module for an act (``EvidentRaces``)."""
        threads = facts.threads
        return bool(threads.started or threads.locks or threads.lock_classes)

    def visit_Module(self, node: cst.Module) -> None:
        races = self.model.analysis(ThreadAnalysis).races
        for race in (*races, *self.model.analysis(EvidentRaces).races):
            self.report(
                race.write.node,
                fix=self._fix(race),
                state=race.write.key.label,
                operation=race.write.operation,
                function=display_name(self.model, race.function),
                where=race.where,
                elsewhere=race.elsewhere,
                advice=race.advice or self._advice(race),
            )


    def _advice(self, race: Race) -> str:
        """Name the lock the class already holds elsewhere, when it has one."""
        function = race.function
        klass = self.model.enclosing_class(function) if isinstance(
            function, cst.FunctionDef
        ) else None
        lock = self._owned_lock(klass) if klass is not None else None
        if lock is None or race.write.key.owner is not klass:
            return "hold one lock around every access"
        owner = klass.name.value
        return f"hold `self.{lock[0]}`, which `{owner}` already uses, around every access"

    def _fix(self, race: Race) -> NodeFix | None:
        """``with self._lock:`` around a one-line read-modify-write of the object's state,
        when the class already holds that lock elsewhere. Safe when no caller in the module
        may already hold a lock (or the lock is reentrant): a plain ``Lock`` taken twice by
        one thread deadlocks."""
        write, function = race.write, race.function
        if write.operation != "read-modify-write" or not isinstance(function, cst.FunctionDef):
            return None
        klass = self.model.enclosing_class(function)
        line = self.model.parent(write.node)
        self_name = self.model.self_name(function)
        if (
            klass is None
            or write.key.owner is not klass
            or self_name is None
            or not isinstance(line, cst.SimpleStatementLine)
            or len(line.body) != 1
        ):
            return None
        lock = self._owned_lock(klass)
        if lock is None:
            return None
        attr, reentrant = lock
        guarded = cst.With(
            items=[cst.WithItem(cst.Attribute(cst.Name(self_name), cst.Name(attr)))],
            body=cst.IndentedBlock(body=[line.with_changes(leading_lines=())]),
            leading_lines=line.leading_lines,
        )
        module = self.model.module
        fixed = module.deep_replace(line, guarded)
        assert isinstance(fixed, cst.Module)
        safe = reentrant or not self._maybe_called_under_lock(function)
        # A statement's indentation belongs to its block: the fix rewrites the module's text.
        return NodeFix(((module, fixed.code),), Safety.SAFE if safe else Safety.UNSAFE)

    def _owned_lock(self, klass: cst.ClassDef) -> tuple[str, bool] | None:
        """The first ``self.<attr>`` lock by construction that the class's methods hold in a
        ``with``, and whether it is reentrant."""
        locks = self.model.analysis(LockAnalysis)
        for item in self.model.analysis(ModuleIndex).with_items:
            expression = item.item
            if not (
                isinstance(expression, cst.Attribute)
                and isinstance(expression.value, cst.Name)
                and locks.is_typed_lock(expression)
            ):
                continue
            function = self.model.enclosing_function(item)
            if (
                isinstance(function, cst.FunctionDef)
                and self.model.enclosing_class(function) is klass
                and expression.value.value == self.model.self_name(function)
            ):
                types = self.model.infer_types(expression)
                return expression.attr.value, types <= _REENTRANT
        return None

    def _maybe_called_under_lock(self, function: cst.FunctionDef) -> bool:
        """True when some chain of calls in the module reaches ``function`` holding a lock."""
        graph = self.model.analysis(CallGraph)
        locks = self.model.analysis(LockAnalysis)
        seen: set[cst.CSTNode] = set()
        pending: list[cst.FunctionDef] = [function]
        while pending:
            callee = pending.pop()
            if callee in seen:
                continue
            seen.add(callee)
            for call in graph.calls_to(callee):
                if locks.held(call):
                    return True
                caller = self.model.enclosing_function(call)
                if isinstance(caller, cst.FunctionDef):
                    pending.append(caller)
        return False


# -- CCL102 ---------------------------------------------------------------------------------


class ThreadTargetCalled(ThreadRule):
    code = "CCL102"
    message = (
        "`{call}` runs `{function}` now, on the current thread, and hands its result (None) "
        "to `{api}` instead of the function; pass `{function}` and its arguments separately"
    )

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A report needs a call written out as a spawner's argument."""
        return super().screen_tree(facts) and facts.calls_with_argument(self.spawners, ast.Call)

    def visit_Module(self, node: cst.Module) -> None:
        for site in self.model.analysis(SpawnAnalysis).of_kind("thread"):
            target = site.target
            if (
                target is None
                or not isinstance(call := target.expression, cst.Call)
                or target.kind is not CallableKind.CALL_RESULT
            ):
                continue  # a name bound to a call's result is not `target=work()` written out
            function = self.model.resolve_function(call)
            if function is None or not self._returns_none(function):
                continue
            self.report(
                call,
                fix=self._fix(site, call),
                call=self.model.code(call.func) + "(...)" if call.args else self.model.code(call),
                function=function.name.value,
                api=site.api,
            )

    def _returns_none(self, function: cst.FunctionDef) -> bool:
        return (
            function.asynchronous is None
            and not self.model.is_generator(function)
            and self.model.has_transparent_decorators(function)
            and not self.model.returns_value(function)
        )

    def _fix(self, site: SpawnSite, inner: cst.Call) -> NodeFix | None:
        call, spawner = site.call, site.spawner
        target = spawner.target.find(call)
        if target is None or any(arg.star for arg in (*call.args, *inner.args)):
            return None
        if spawner.rest == "arguments":
            if len(call.args) != 1 or target.keyword is not None:
                return None
            first = target.with_changes(value=inner.func, comma=cst.MaybeSentinel.DEFAULT)
            new_args = [first, *inner.args]
        else:
            extra = self._argument_slots(site, inner)
            if extra is None:
                return None
            new_args = [
                arg.with_changes(value=inner.func) if arg is target else arg for arg in call.args
            ]
            new_args.extend(extra)
        return NodeFix(((call, call.with_changes(args=new_args)),), Safety.SAFE)

    def _argument_slots(self, site: SpawnSite, inner: cst.Call) -> list[cst.Arg] | None:
        """``args=(...)``/``kwargs={...}`` carrying the inner call's arguments, when the
        spawner takes them by keyword and the call does not pass its own."""
        spawner, call = site.spawner, site.call
        positional = [arg for arg in inner.args if arg.keyword is None]
        keywords = [arg for arg in inner.args if arg.keyword is not None]
        extra = []
        for slot, present, build in (
            (spawner.args, positional, _args_tuple),
            (spawner.kwargs, keywords, _kwargs_dict),
        ):
            if slot is not None and slot.find(call) is not None:
                return None
            if present:
                if slot is None or slot.keyword is None:
                    return None
                extra.append(_keyword_arg(slot.keyword, build(present)))
        return extra


def _keyword_arg(keyword: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def _args_tuple(args: list[cst.Arg]) -> cst.BaseExpression:
    return cst.Tuple([cst.Element(arg.value) for arg in args])


def _kwargs_dict(args: list[cst.Arg]) -> cst.BaseExpression:
    return cst.Dict(
        [
            cst.DictElement(cst.SimpleString(repr(arg.keyword.value)), arg.value)
            for arg in args
            if arg.keyword is not None
        ]
    )


# -- CCL103 ---------------------------------------------------------------------------------


class _Risk(cst.CSTVisitor):
    """What in a region can skip the release: calls, indexing, and exits from the block."""

    def __init__(self, release_key: str, analysis: LockAnalysis) -> None:
        self.key = release_key
        self.locks = analysis
        self.raises = False
        self.exits = False
        self.loops = 0

    def visit_Call(self, node: cst.Call) -> None:
        # taking or releasing (another) lock does not raise
        receiver = method_call(node, "release") or method_call(node, "acquire")
        if receiver is None or not self.locks.looks_like_lock(receiver):
            self.raises = True

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.raises = True

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
            if receiver is None or not locks.looks_like_lock(receiver):
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
            found = leaks(self._flow(function, key, locks))
            if self._released_on_each_exit(function, key, locks):
                found = [way for way in found if way != "raise"]
            if not found or (
                found[0] == "return"
                and (_hands_over(function) or self._released_elsewhere(function, key, locks))
            ):
                continue
            lock = self.model.code(receiver)
            reason = {
                "return": f"an early exit before `{lock}.release()`",
                "raise": f"an exception before `{lock}.release()`",
                "end": f"a path that never calls `{lock}.release()`",
            }[found[0]]
            fix = self._straight_fix(statement, receiver, locks) if found == ["raise"] else None
            self.report(
                call,
                fix=fix,
                taken=f"`{lock}.acquire()`",
                reason=reason,
                held="the lock",
                advice=f"use `with {lock}:`, or release it in a `finally:`",
            )

    def _released_on_each_exit(
        self, function: cst.FunctionDef, key: str, locks: LockAnalysis
    ) -> bool:
        """True when the function releases the lock more often than it takes it: a release
        before each early exit. Such code keeps its locked steps short on purpose, and only a
        normal exit with the lock held (an ``except`` that swallows the error) is reported,
        not an exception passing out of the function."""
        counter = _LockCalls(key, locks)
        function.body.visit(counter)
        return counter.releases > counter.acquires

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

    def _flow(self, function: cst.FunctionDef, key: str, locks: LockAnalysis) -> Flow:
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

        def safe(call: cst.Call) -> bool:
            receiver = method_call(call, "release") or method_call(call, "acquire")
            if receiver is not None and locks.looks_like_lock(receiver):
                return True
            return bool(self.model.call_names(call) & quiet)

        interpreter = LockFlow(LockEvents(acquires, releases, safe))
        body = function.body
        statements = list(body.body) if isinstance(body, cst.IndentedBlock) else []
        flow = interpreter.run(statements)
        # a lock no path releases after taking it is handed over (an `__enter__`, a
        # turnstile), and so is one some path releases without having taken it (the
        # function gives back what another took): not this rule's business
        handed_over = not interpreter.released or interpreter.released_free
        return Flow() if interpreter.unsupported or handed_over else flow

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


def _waits(call: cst.Call) -> bool:
    """False for a try-lock, ``acquire(False)``/``acquire(blocking=False)``/``timeout=0``,
    which returns at once instead of waiting and so cannot deadlock."""
    for position, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else ("blocking", "timeout")[
            min(position, 1)
        ]
        value = arg.value
        if keyword == "blocking" and isinstance(value, cst.Name) and value.value == "False":
            return False
        if keyword == "timeout" and isinstance(value, cst.Integer) and value.value == "0":
            return False
    return True


def _single(statement: cst.CSTNode) -> bool:
    """One small statement on its own line."""
    return isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1


# -- CCL104 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Acquisition:
    lock: LockId
    at: cst.CSTNode
    held: tuple[HeldLock, ...]
    function: FunctionNode
    via: tuple[str, ...] = ()

    def held_ids(self) -> frozenset[LockId]:
        return frozenset(h.identity for h in self.held if h.identity is not None)


class LockOrderInversion(Rule):
    code = "CCL104"
    message = (
        "`{inner}` is acquired{via} while `{outer}` is held, but `{other}` acquires `{outer}` "
        "while holding `{inner}`: two threads taking them in opposite orders deadlock; "
        "always acquire them in one order"
    )

    def screen_words(self) -> frozenset[str]:
        return typed_lock_screen_words(self.catalog)

    def screen_tree(self, facts: TreeFacts) -> bool:
        """Only locks built as locks count, and those are reached through an import and a
        name of the lock type in the code."""
        return (
            self.imports_lead_to(facts, self.catalog.names("lock-types"))
            and facts.mentions_any(self.screen_words())
            and (facts.calls_any(("acquire",)) or _may_nest_locks(facts.tree))
        )

    def screen_facts(self, facts: FileFacts) -> bool:
        """Locks imported from another module of the project are locks by construction."""
        return bool(facts.threads.locks)

    def start(self, context: FileContext) -> None:
        super().start(context)
        self._taken: dict[cst.FunctionDef, dict[LockId, tuple[str, ...]]] = {}

    def visit_Module(self, node: cst.Module) -> None:
        acquisitions = [
            a for f in self.model.analysis(CallGraph).functions for a in self._acquisitions(f)
        ]
        orders: dict[tuple[LockId, LockId], list[_Acquisition]] = {}
        for acquisition in acquisitions:
            held = acquisition.held_ids()
            if acquisition.lock in held:
                continue  # re-entry: an RLock, or a self-deadlock, not an ordering
            for outer in held:
                orders.setdefault((outer, acquisition.lock), []).append(acquisition)
        reported: set[cst.CSTNode] = set()
        for (outer, inner), paths in orders.items():
            for path in paths:
                for other in orders.get((inner, outer), ()):
                    if path.at in reported or (path.held_ids() & other.held_ids()) - {inner, outer}:
                        continue
                    reported.add(path.at)
                    self._report(path, other, outer, inner)

    def _report(
        self, path: _Acquisition, other: _Acquisition, outer: LockId, inner: LockId
    ) -> None:
        via = f" (through `{'()` -> `'.join(path.via)}()`)" if path.via else ""
        self.report(
            path.at,
            inner=inner.label,
            outer=outer.label,
            via=via,
            other=display_name(self.model, other.function),
        )

    def _acquisitions(self, function: FunctionNode) -> list[_Acquisition]:
        locks = self.model.analysis(LockAnalysis)
        index = self.model.analysis(ModuleIndex)
        found = []
        for item in index.with_items_in(function):
            identity = locks.identity(item.item)
            if identity is not None:
                found.append(_Acquisition(identity, item, tuple(locks.held(item)), function))
        for call in index.calls_in(function):
            receiver = method_call(call, "acquire")
            if receiver is not None:
                identity = locks.identity(receiver) if _waits(call) else None
                if identity is not None:
                    found.append(_Acquisition(identity, call, tuple(locks.held(call)), function))
                continue
            callee = self.model.analysis(CallGraph).resolve(call)
            if callee is None:
                continue
            held = tuple(locks.held(call))
            if not held:
                continue
            for lock, chain in self._taken_by(callee).items():
                found.append(_Acquisition(lock, call, held, function, chain))
        return found

    def _taken_by(self, function: cst.FunctionDef) -> dict[LockId, tuple[str, ...]]:
        """Locks a function takes, itself or through the helpers it calls, with the chain."""
        if function in self._taken:
            return self._taken[function]
        self._taken[function] = {}  # recursion adds nothing
        locks = self.model.analysis(LockAnalysis)
        name = function.name.value
        taken: dict[LockId, tuple[str, ...]] = {}
        index = self.model.analysis(ModuleIndex)
        for item in index.with_items_in(function):
            identity = locks.identity(item.item)
            if identity is not None:
                taken.setdefault(identity, (name,))
        for call in index.calls_in(function):
            receiver = method_call(call, "acquire")
            identity = locks.identity(receiver) if receiver is not None else None
            if identity is not None:
                taken.setdefault(identity, (name,))
            callee = self.model.analysis(CallGraph).resolve(call)
            if callee is not None:
                for lock, chain in self._taken_by(callee).items():
                    taken.setdefault(lock, (name, *chain))
        self._taken[function] = taken
        return taken


def _may_nest_locks(tree: ast.Module) -> bool:
    """True when something can be acquired while a ``with`` holds a lock (``acquire()``
    calls aside): a ``with`` of several items, or a ``with`` whose block (in its own
    function) holds another ``with`` or calls a function or class the module defines, which
    may take a lock itself."""
    defined = {
        node.name for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.With | ast.AsyncWith):
            continue
        if len(node.items) > 1:
            return True
        for inner in scope_nodes(node.body):
            if isinstance(inner, ast.With | ast.AsyncWith):
                return True
            if isinstance(inner, ast.Call) and last_name(inner.func) in defined:
                return True
    return False


# -- CCL105 ---------------------------------------------------------------------------------


class ThreadLambdaLateBinding(ThreadRule):
    code = "CCL105"
    message = (
        "the thread target `lambda` reads the loop variable `{name}` when the thread runs, not "
        "when it is started: threads can see a later value; pass it as an argument "
        "(`args=({name},)`) or bind it with `lambda {name}={name}: ...`"
    )

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A report needs a lambda written out as a spawner's argument."""
        return super().screen_tree(facts) and facts.calls_with_argument(
            self.spawners, ast.Lambda
        )

    def visit_Module(self, node: cst.Module) -> None:
        spawns = self.model.analysis(SpawnAnalysis)
        for site in spawns.of_kind("thread"):
            target = site.target
            if target is None or not isinstance(target.expression, cst.Lambda):
                continue
            loop = spawns.enclosing_loop(site.call)
            if loop is None or isinstance(loop, cst.While) or spawns.waited_in_loop(site, loop):
                continue
            for name in self._loop_variables(target.expression, loop):
                self.report(name, name=name.value)

    def _loop_variables(self, function: cst.Lambda, loop: cst.CSTNode) -> list[cst.Name]:
        targets = _loop_targets(loop)
        found = []
        for name in reads_in(function.body):
            if not isinstance(name, cst.Name):
                continue
            scope = self.model.scope(name)
            if scope is None:
                continue
            bindings = [getattr(a, "node", None) for a in scope[name.value]]
            if any(
                b is not None and any(b is t or t in set(self.model.ancestors(b)) for t in targets)
                for b in bindings
            ):
                found.append(name)
        return found


def _loop_targets(loop: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(loop, cst.For):
        return [loop.target]
    targets: list[cst.CSTNode] = []
    comp_for = getattr(loop, "for_in", None)
    while isinstance(comp_for, cst.CompFor):
        targets.append(comp_for.target)
        comp_for = comp_for.inner_for_in
    return targets
