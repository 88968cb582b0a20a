"""CCL2xx: coroutine pitfalls — blocking the event loop, dropped coroutines and tasks."""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cached_property

import libcst as cst
from libcst.metadata import FunctionScope

from concurlint.diagnostic import Safety
from concurlint.model.blocking import (
    Blocking,
    BlockingAnalysis,
    LoopRunnerAnalysis,
    catalog_call,
)
from concurlint.model.locks import LockAnalysis, typed_lock_screen_words
from concurlint.model.no_loop import NoLoopBranches
from concurlint.model.suspension import Suspension
from concurlint.model.symbols import Symbols
from concurlint.project import FileFacts
from concurlint.rule import FileContext, NodeFix, Rule
from concurlint.screen import TreeFacts

# Statement positions where `await <call>` needs no parentheses.
_AWAIT_SAFE_PARENTS = (cst.Expr, cst.Assign, cst.AnnAssign, cst.Return)
# What a coroutine object offers besides being awaited: using these is no mistake.
_COROUTINE_MEMBERS = frozenset({"send", "throw", "close"})
# Builtins that look at an object instead of awaiting it.
_INSPECTING_BUILTINS = frozenset(
    f"builtins.{name}"
    for name in ("bool", "len", "str", "repr", "hasattr", "isinstance", "list", "tuple", "iter")
)
_TRUTH = "tested for truth (a coroutine object is always true)"
# Builtins that run a ``map`` to the end and return what it made.
_MATERIALIZERS = frozenset({"builtins.list", "builtins.set", "builtins.tuple"})
# Task methods that return None: `create_task(...).add_done_callback(f)` still drops the task.
_TASK_METHODS_RETURNING_NONE = frozenset({"add_done_callback", "set_name"})
# Waits that hold their tasks only until they return, then hand back `(done, pending)`.
_WAITS = frozenset({"asyncio.wait", "asyncio.tasks.wait"})
_ALL_COMPLETED = frozenset({"asyncio.ALL_COMPLETED", "asyncio.tasks.ALL_COMPLETED",
                            "concurrent.futures.ALL_COMPLETED"})


def _module_roots(names: frozenset[str]) -> frozenset[str]:
    return frozenset(name.split(".")[0] for name in names)


def _awaited(call: cst.Call) -> cst.Await:
    return cst.Await(expression=call)


class _CoroutineRule(Rule):
    """Shared helpers: code that never runs is not reported; fixes that need the local name
    of ``asyncio``."""

    def report(self, node: cst.CSTNode, fix: NodeFix | None = None, **args: str) -> None:
        if self.model.never_runs(node) or (
            self.model.enclosing_coroutine(node) is not None
            and self.model.analysis(NoLoopBranches).needs_no_loop(node)
        ):
            return  # a coroutine runs where a loop runs: a branch that needs none never does
        super().report(node, fix, **args)

    def asyncio_fix(
        self,
        at: cst.CSTNode,
        old: cst.CSTNode,
        build: Callable[[str], cst.CSTNode],
        safety: Safety,
    ) -> NodeFix | None:
        """A fix replacing ``old`` with ``build(asyncio_name)``; adds ``import asyncio`` when
        the module lacks it and the name is free. None when the name is taken by another
        binding (the fix could not refer to asyncio safely): Python's own symbol table must
        agree that the name reaches the module from ``at`` (no local, parameter, ``match``
        capture, ``global`` or ``nonlocal`` of it on the way) and, for a new import, that
        nothing in the module binds it."""
        symbols = self.model.analysis(Symbols)
        alias = self.model.module_alias("asyncio", at)
        if alias is not None:
            if not symbols.reaches_module(alias, at):
                return None
            return NodeFix(((old, build(alias)),), safety)
        if (
            self.model.is_unbound("asyncio", at)
            and not self.model.scope_of_module()["asyncio"]
            and symbols.unbound_in_module("asyncio")
            and symbols.reaches_module("asyncio", at)
        ):
            return NodeFix(((old, build("asyncio")),), safety, imports=("asyncio",))
        return None


class _InsideCoroutineRule(_CoroutineRule):
    """A rule that reports only inside an ``async def``."""

    keywords = ("async",)

    def screen_tree(self, facts: TreeFacts) -> bool:
        return facts.has(ast.AsyncFunctionDef)


class BlockingCallInCoroutine(_InsideCoroutineRule):
    code = "CCL201"
    message = "`{call}` blocks the event loop inside `async def {function}`{via}; {advice}"

    def visit_Call(self, node: cst.Call) -> None:
        coroutine = self.model.enclosing_coroutine(node)
        if coroutine is None:
            return
        blocking = self.model.analysis(BlockingAnalysis).of_call(node)
        if blocking is not None:
            self._report(node, coroutine, blocking, self._fix(node, blocking))

    def visit_With(self, node: cst.With) -> None:
        """``with lock:`` waits in ``__enter__`` like ``lock.acquire()`` does."""
        coroutine = self.model.enclosing_coroutine(node)
        if coroutine is None or node.asynchronous is not None:
            return
        analysis = self.model.analysis(BlockingAnalysis)
        for item in node.items:
            blocking = analysis.of_with_item(item)
            if blocking is not None:
                self._report(item.item, coroutine, blocking, None)

    def _report(
        self, node: cst.CSTNode, coroutine: cst.FunctionDef, blocking: Blocking, fix: NodeFix | None
    ) -> None:
        self.report(
            node,
            fix=fix,
            call=blocking.chain[0],
            function=coroutine.name.value,
            via=blocking.via,
            advice=blocking.group.advice,
        )

    def _fix(self, call: cst.Call, blocking: Blocking) -> NodeFix | None:
        parent = self.model.parent(call)
        if not blocking.is_direct or not isinstance(parent, _AWAIT_SAFE_PARENTS):
            return None
        if getattr(parent, "value", None) is not call:
            return None
        if blocking.name == "time.sleep":
            if not isinstance(parent, cst.Expr) or any(a.star or a.keyword for a in call.args):
                return None
            return self.asyncio_fix(
                call,
                call,
                lambda asyncio: _awaited(
                    call.with_changes(
                        func=cst.Attribute(cst.Name(asyncio), cst.Name("sleep"))
                    )
                ),
                Safety.SAFE,
            )
        if (
            not blocking.group.offload
            or blocking.name.endswith(".open")
            or any(a.star == "**" for a in call.args)
        ):
            return None
        return self.asyncio_fix(
            call,
            call,
            lambda asyncio: _awaited(
                cst.Call(
                    func=cst.Attribute(cst.Name(asyncio), cst.Name("to_thread")),
                    args=[cst.Arg(call.func), *call.args],
                )
            ),
            Safety.UNSAFE,
        )


class CoroutineNeverAwaited(_CoroutineRule):
    code = "CCL202"
    message = "`{call}` {outcome}; {advice}"
    keywords = ("async",)

    def screen_words(self) -> frozenset[str]:
        return super().screen_words() | _module_roots(self.catalog.names("coroutine-functions"))

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A local ``async def`` to call, or an import through which a catalog coroutine
        function can be named."""
        if facts.has(ast.AsyncFunctionDef):
            return True
        roots = self._import_roots
        return roots is None or facts.imports_any(roots)

    def screen_facts(self, facts: FileFacts) -> bool:
        """An imported coroutine function of the project, or a class of the project with
        a coroutine method, can be dropped anywhere."""
        return bool(facts.coroutines) or any(table.has_coroutines for _, table in facts.classes)

    @cached_property
    def _import_roots(self) -> frozenset[str] | None:
        return self.catalog.import_roots(self.catalog.names("coroutine-functions"))

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call):
            return
        name = self._coroutine_name(call)
        if name is None:
            return
        coroutine = self.model.enclosing_coroutine(node)
        if coroutine is not None:
            fix = NodeFix(((call, _awaited(call)),), Safety.SAFE)
            advice = "add `await`"
        else:
            fix = None
            advice = "await it in a coroutine or schedule it with `asyncio.run`/`create_task`"
        self.report(call, fix=fix, call=name, outcome=self._outcome(name), advice=advice)

    # -- coroutine objects used as values ---------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        """A call whose place uses its result as a value (``a, b = f()``, ``if f():``)."""
        how = self._value_use(node)
        if how is not None:
            self._used(node, how)

    def visit_Assign(self, node: cst.Assign) -> None:
        """``roles = self.get_roles(user)`` then ``roles.insert(0, user)``: a local bound once
        to a coroutine object, never awaited nor handed on, and used as a value."""
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        target = node.targets[0].target
        if not isinstance(node.value, cst.Call):
            return
        uses = self._local_uses(target)
        if uses:
            self._used(node.value, f"stored in `{target.value}`, then {uses[0]},")

    def _local_uses(self, target: cst.Name) -> list[str]:
        """How each read of the local ``target`` uses its value; empty when one of them
        could await it or hand it on (or the name is bound more than once)."""
        scope = self.model.scope(target)
        assignments = list(scope.assignments[target.value]) if scope is not None else []
        if len(assignments) != 1 or not isinstance(scope, FunctionScope):
            return []
        uses = []
        for reference in assignments[0].references:
            how = self._value_use(reference.node)
            if how is None:
                return []
            uses.append(how)
        return uses

    def _value_use(self, value: cst.CSTNode) -> str | None:
        """How the place of ``value`` uses it, when only a result makes sense there."""
        parent = self.model.parent(value)
        if isinstance(parent, cst.Assign) and parent.value is value and any(
            isinstance(t.target, cst.Tuple | cst.List) for t in parent.targets
        ):
            return "unpacked"
        if isinstance(parent, cst.For | cst.CompFor) and parent.iter is value:
            return "iterated"
        if isinstance(parent, cst.Subscript) and parent.value is value:
            return "subscripted"
        if isinstance(parent, cst.Attribute) and parent.value is value:
            attr = parent.attr.value
            if attr in _COROUTINE_MEMBERS or attr.startswith(("cr_", "__")):
                return None
            return f"read for its attribute `{attr}`"
        if isinstance(parent, cst.ComparisonTarget) or (
            isinstance(parent, cst.Comparison) and parent.left is value
        ):
            return "compared"
        if isinstance(parent, cst.Arg) and not parent.keyword and not parent.star:
            return self._inspected_by(parent)
        return _TRUTH if self._tested(value, parent) else None

    def _tested(self, value: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
        """A coroutine object is always true: a test of it never depends on its result."""
        if isinstance(parent, cst.If | cst.While | cst.IfExp) and parent.test is value:
            return True
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            return True
        if isinstance(parent, cst.BooleanOperation):
            # the left operand is tested; the right one only where the whole is
            return parent.left is value or self._tested(parent, self.model.parent(parent))
        return False

    def _inspected_by(self, arg: cst.Arg) -> str | None:
        """``bool(coro())``, ``len(coro())``, ``hasattr(coro(), "__await__")``."""
        call = self.model.parent(arg)
        if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg:
            return None
        builtin = self.model.qualified_names(call.func) & _INSPECTING_BUILTINS
        if not isinstance(call.func, cst.Name) or not builtin:
            return None
        return f"passed to `{min(builtin).removeprefix('builtins.')}()`"

    def visit_Return(self, node: cst.Return) -> None:
        """``return self.get_player(...)`` in ``async def get_player``: the caller's single
        ``await`` gives it the coroutine, not the result."""
        if node.value is None or not isinstance(node.value, cst.Call):
            return
        coroutine = self.model.enclosing_coroutine(node)
        if coroutine is None or self.model.is_generator(coroutine):
            return
        if self._awaited_once(coroutine) and not self._returns_awaitables(coroutine):
            self._used(
                node.value,
                outcome=f"creates a coroutine that `async def {coroutine.name.value}` returns "
                "unawaited, and its callers await only once: they get the coroutine, not its "
                "result",
            )

    def _used(self, value: cst.BaseExpression, how: str = "", outcome: str = "") -> None:
        if not isinstance(value, cst.Call):
            return
        name = self._coroutine_name(value)
        if name is None or name.removesuffix("()") in self.catalog.names("gathering-futures"):
            return
        if self.model.enclosing_coroutine(value) is not None:
            advice = "add `await`"
        else:
            advice = "await it in a coroutine or schedule it with `asyncio.run`/`create_task`"
        outcome = outcome or (
            f"creates a coroutine that is {how} instead of awaited, so its body never runs"
        )
        self.report(value, call=name, outcome=outcome, advice=advice)

    def _awaited_once(self, function: cst.FunctionDef) -> bool:
        """Some call of ``function`` in this module is awaited, and none awaits the result
        of that ``await`` again or returns it (``return await f()`` hands the value on to
        callers that may await it)."""
        awaited = [
            node
            for node in self.model.nodes(cst.Await)
            if isinstance(node.expression, cst.Call)
            and self.model.resolve_function(node.expression) is function
        ]
        return bool(awaited) and not any(
            isinstance(self.model.parent(node), cst.Await | cst.Return) for node in awaited
        )

    def _returns_awaitables(self, function: cst.FunctionDef) -> bool:
        """Some ``return`` hands back a call's result unawaited that is not known to be a
        coroutine: the function is written to return awaitables (a router's dispatch)."""
        return any(
            isinstance(node.value, cst.Call) and self._coroutine_name(node.value) is None
            and not self.model.infer_types(node.value)
            for node in self.model.returns_in(function)
        )

    def _sync_branch_of_declaration(self, call: cst.Call) -> bool:
        """The called method is ``async def`` only in a ``Protocol`` or an abstract base (a
        stub body that implementations replace), and the call sits where the class expects
        a synchronous implementation: in a plain ``def`` or on a branch of an ``if``. Such a
        class serves both kinds; what the call returns depends on the implementation."""
        caller = self.model.enclosing_function(call)
        if not isinstance(caller, cst.FunctionDef) or caller.asynchronous is None:
            return True
        for ancestor in self.model.ancestors(call):
            if ancestor is caller:
                return False
            if isinstance(ancestor, cst.If | cst.IfExp):
                return True
        return False

    def _outcome(self, name: str) -> str:
        """A gathering future runs its children anyway; a coroutine's body never runs."""
        if name.removesuffix("()") in self.catalog.names("gathering-futures"):
            return (
                "returns a future that is never awaited, so the results and exceptions of "
                "what it gathers are lost"
            )
        return "creates a coroutine that is never awaited, so its body never runs"

    def _coroutine_name(self, call: cst.Call) -> str | None:
        function = self.model.resolve_function(call)
        if function is not None:
            if (
                function.asynchronous is not None
                and not self.model.is_generator(function)
                and self.model.has_transparent_decorators(function)
                and not (self.model.is_declaration(function)
                         and self._sync_branch_of_declaration(call))
            ):
                return f"{function.name.value}()"
            return None
        matched = self.model.call_names(call) & self.catalog.names("coroutine-functions")
        if matched:
            return f"{min(matched)}()"
        imported = self.model.project.coroutine(self.model.qualified_names(call.func))
        if imported is not None:
            return imported
        method = self.model.project_coroutine(call.func)
        if method is None or (method.declared and self._sync_branch_of_declaration(call)):
            return None
        return method.shown


class TaskReferenceLost(_CoroutineRule):
    code = "CCL203"
    message = (
        "the task from `{call}` {lost} and may be garbage-collected before it finishes; "
        "keep a reference (e.g. in a set, removed in a done callback) or use `asyncio.TaskGroup`"
    )

    def screen_words(self) -> frozenset[str]:
        return frozenset(name.rpartition(".")[2] for name in self.catalog.names("task-factories"))

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A task factory is named by its last part in the code: imported, called or as the
        method of a receiver that looks like a loop."""
        return facts.mentions_any(self.screen_words())

    def visit_Expr(self, node: cst.Expr) -> None:
        """A dropped call, or a list of tasks built and dropped (``[create_task(c) for c in
        coros]``, ``list(map(create_task, coros))``)."""
        call = _task_of_dropped_chain(node.value)
        if call is not None:
            name = self._factory(call)
            if name is not None:
                self.report(call, call=f"{name}()", lost="is discarded")
                return
        made = self._made_in_bulk(node.value)
        if made is not None:
            self.report(node.value, call=made, lost="is created in a list that is discarded")

    def visit_Assign(self, node: cst.Assign) -> None:
        """``task = create_task(...)`` (or a list of tasks) in a function that never reads
        ``task`` again."""
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        target = node.targets[0].target
        value = node.value
        single = self._factory(value) if isinstance(value, cst.Call) else None
        name = f"{single}()" if single is not None else self._made_in_bulk(value)
        if name is not None and self._never_read(target):
            lost = f"is stored in `{target.value}`, which is never read,"
            self.report(value, call=name, lost=lost)

    def visit_Await(self, node: cst.Await) -> None:
        """``await asyncio.wait([task, create_task(...)], timeout=...)`` whose result is
        dropped: a task created in the argument is still pending when the wait returns
        early, and nothing refers to it any more."""
        call = node.expression
        if not (isinstance(call, cst.Call) and self.model.qualified_names(call.func) & _WAITS):
            return
        if not self._may_return_early(call) or not self._pending_dropped(node):
            return
        waited = next((a.value for a in call.args if a.keyword is None and not a.star), None)
        if waited is None:
            waited = next((a.value for a in call.args
                           if a.keyword is not None and a.keyword.value == "fs"), None)
        if isinstance(waited, cst.List | cst.Set | cst.Tuple):
            made = [e.value for e in waited.elements if isinstance(e, cst.Element)]
        elif isinstance(waited, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            made = [waited.elt]
        else:
            return
        for value in made:
            name = self._factory(value) if isinstance(value, cst.Call) else None
            if name is not None:
                lost = ("is held only by the argument of `asyncio.wait`, which may return "
                        "while it is pending, and the pending set is dropped,")
                self.report(value, call=f"{name}()", lost=lost)

    def _may_return_early(self, call: cst.Call) -> bool:
        """A ``timeout`` other than ``None``, or a ``return_when`` other than
        ``ALL_COMPLETED``: the wait can return before every task is done."""
        for arg in call.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value == "timeout" and not (
                isinstance(arg.value, cst.Name) and arg.value.value == "None"
            ):
                return True
            if arg.keyword.value == "return_when" and not (
                self.model.qualified_names(arg.value) & _ALL_COMPLETED
            ):
                return True
        return False

    def _pending_dropped(self, awaited: cst.Await) -> bool:
        """The wait's ``(done, pending)`` is dropped, or its ``pending`` is a local that
        nothing reads."""
        parent = self.model.parent(awaited)
        if isinstance(parent, cst.Expr):
            return True
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1):
            return False
        target = parent.targets[0].target
        if not isinstance(target, cst.Tuple | cst.List) or len(target.elements) != 2:
            return False
        pending = target.elements[1].value
        return isinstance(pending, cst.Name) and self._never_read(pending)

    def _factory(self, call: cst.Call) -> str | None:
        name = catalog_call(self.model, call, "task-factories")
        if name == "asyncio.ensure_future" and self._wraps_future(call):
            return None
        return name

    def _made_in_bulk(self, value: cst.BaseExpression) -> str | None:
        """The factory shown for a list display of tasks: a comprehension whose element is
        a factory call, or ``list``/``set``/``tuple`` of a ``map`` over a factory."""
        if isinstance(value, cst.ListComp | cst.SetComp) and isinstance(value.elt, cst.Call):
            name = self._factory(value.elt)
            return f"{name}()" if name is not None else None
        if not (isinstance(value, cst.Call) and value.args and isinstance(value.func, cst.Name)):
            return None
        if not self.model.qualified_names(value.func) & _MATERIALIZERS:
            return None
        inner = value.args[0].value
        if (
            isinstance(inner, cst.Call)
            and self.model.qualified_names(inner.func) & {"builtins.map"}
            and inner.args
        ):
            wanted = self.catalog.names("task-factories")
            mapped = self.model.callable_names(inner.args[0].value) & wanted
            return f"{min(mapped)}()" if mapped else None
        return None

    def _never_read(self, target: cst.Name) -> bool:
        """A local of a function that nothing reads, not even a nested function (not
        global, not nonlocal)."""
        scope = self.model.scope(target)
        if scope is None or not isinstance(scope, FunctionScope):
            return False
        assignments = scope.assignments[target.value]
        if not assignments or any(a.scope is not scope for a in assignments):
            return False  # bound elsewhere too: ``global``, ``nonlocal``
        return not any(a.references for a in assignments)

    def _wraps_future(self, call: cst.Call) -> bool:
        """``ensure_future(existing_future)`` hands back its argument: no task is created."""
        first = call.args[0].value if call.args and call.args[0].keyword is None else None
        types = self.model.infer_types(first) if first is not None else frozenset()
        return bool(types) and types <= self.catalog.names("future-types")


def _task_of_dropped_chain(value: cst.BaseExpression) -> cst.Call | None:
    """The call whose result a statement drops: the statement's own call, or the receiver of
    a Task method returning None (``create_task(...).add_done_callback(...)``)."""
    while (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in _TASK_METHODS_RETURNING_NONE
        and isinstance(value.func.value, cst.Call)
    ):
        value = value.func.value
    return value if isinstance(value, cst.Call) else None


class EventLoopInCoroutine(_InsideCoroutineRule):
    code = "CCL204"
    message = (
        "`{call}` starts an event loop inside `async def {function}`{via}, where one is "
        "already running; `await` the coroutine instead"
    )

    def visit_Call(self, node: cst.Call) -> None:
        coroutine = self.model.enclosing_coroutine(node)
        if coroutine is None:
            return
        runner = self.model.analysis(LoopRunnerAnalysis).of_call(node)
        if runner is not None:
            self.report(
                node, call=runner.chain[0], function=coroutine.name.value, via=runner.via
            )


class ThreadLockHeldAcrossAwait(_InsideCoroutineRule):
    code = "CCL205"
    message = (
        "thread lock `{lock}` is held across `await` inside `async def {function}`: another "
        "task taking it blocks the event loop thread, so this one never resumes to release "
        "it; use `asyncio.Lock`, or release it before awaiting"
    )

    def screen_words(self) -> frozenset[str]:
        """A lock is known by construction: the file names a lock type."""
        return typed_lock_screen_words(self.catalog)

    def screen_facts(self, facts: FileFacts) -> bool:
        """Or it takes another module's module-level lock."""
        return bool(facts.threads.locks)

    def start(self, context: FileContext) -> None:
        super().start(context)
        self._reported: set[cst.CSTNode] = set()

    def visit_Await(self, node: cst.Await) -> None:
        self._suspends(node)

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self._suspends(node)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self._suspends(node)

    def _suspends(self, node: cst.Await | cst.For | cst.With) -> None:
        """``node`` may suspend the coroutine: every thread lock its own function holds there
        (with a known place, so other tasks can reach it) stays held meanwhile. An ``async
        with`` on an asyncio lock that no task holds while suspended returns at once."""
        coroutine = self.model.enclosing_coroutine(node)
        if coroutine is None or not self.model.analysis(Suspension).suspends(node):
            return
        locks = self.model.analysis(LockAnalysis)
        for held in locks.held(node):
            if held.at in self._reported or held.identity is None:
                continue
            if not locks.is_typed_lock(held.expression):
                continue
            self._reported.add(held.at)
            self.report(held.at, lock=self.model.code(held.expression).strip(),
                        function=coroutine.name.value)
