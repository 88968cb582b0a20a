"""CCL1xx: thread pitfalls — unguarded shared state, called targets, locks taken in opposite
orders, loop variables read late by thread targets."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from concurlint.diagnostic import Safety
from concurlint.frameworks import frameworks, screen_words
from concurlint.model.callgraph import CallGraph
from concurlint.model.evident import EvidentRaces
from concurlint.model.index import ModuleIndex
from concurlint.model.iteration import ITERATION, IterationAnalysis
from concurlint.model.locks import (
    HeldLock,
    LockAnalysis,
    LockId,
    method_call,
    typed_lock_screen_words,
)
from concurlint.model.module import FunctionNode
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

_REENTRANT = frozenset({"threading.RLock", "multiprocessing.RLock"})


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
        "`{state}` is {accessed} without a lock ({operation}) in `{function}`, {where}, and "
        "{elsewhere}: {harm}; {advice}"
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
                accessed="updated",
                operation=race.write.operation,
                function=display_name(self.model, race.function),
                where=race.where,
                elsewhere=race.elsewhere,
                harm=race.harm,
                advice=race.advice or self._advice(race),
            )
        for race in self.model.analysis(IterationAnalysis).races:
            state = race.write.key.label
            self.report(
                race.write.node,
                state=state,
                accessed="iterated",
                operation=ITERATION,
                function=display_name(self.model, race.function),
                where=race.where,
                elsewhere=race.elsewhere,
                harm="the iteration fails with `RuntimeError` when the size changes meanwhile",
                advice=(
                    f"hold one lock around the iteration and every change, or iterate over "
                    f"`{state}.copy()`"
                ),
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
