"""CCL2xx: coroutine pitfalls — blocking the event loop, dropped coroutines and tasks."""

from __future__ import annotations

import ast
from functools import cached_property

import libcst as cst

from concurlint.diagnostic import Safety
from concurlint.model.blocking import (
    Blocking,
    BlockingAnalysis,
    LoopRunnerAnalysis,
    catalog_call,
)
from concurlint.model.symbols import Symbols
from concurlint.project import FileFacts
from concurlint.rule import NodeFix, Rule
from concurlint.screen import TreeFacts

# Statement positions where `await <call>` needs no parentheses.
_AWAIT_SAFE_PARENTS = (cst.Expr, cst.Assign, cst.AnnAssign, cst.Return)
# Task methods that return None: `create_task(...).add_done_callback(f)` still drops the task.
_TASK_METHODS_RETURNING_NONE = frozenset({"add_done_callback", "set_name"})


def _module_roots(names: frozenset[str]) -> frozenset[str]:
    return frozenset(name.split(".")[0] for name in names)


def _awaited(call: cst.Call) -> cst.Await:
    return cst.Await(expression=call)


class _CoroutineRule(Rule):
    """Shared helper: fixes that need the local name of ``asyncio``."""

    def asyncio_fix(
        self, at: cst.CSTNode, old: cst.CSTNode, build: type | object, safety: Safety
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
            return NodeFix(((old, build(alias)),), safety)  # type: ignore[operator]
        if (
            self.model.is_unbound("asyncio", at)
            and not self.model.scope_of_module()["asyncio"]
            and symbols.unbound_in_module("asyncio")
            and symbols.reaches_module("asyncio", at)
        ):
            return NodeFix(((old, build("asyncio")),), safety, imports=("asyncio",))  # type: ignore[operator]
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
        """An imported coroutine function of the project can be dropped anywhere."""
        return bool(facts.coroutines)

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
            ):
                return f"{function.name.value}()"
            return None
        matched = self.model.call_names(call) & self.catalog.names("coroutine-functions")
        if matched:
            return f"{min(matched)}()"
        return self.model.project.coroutine(self.model.qualified_names(call.func))


class TaskReferenceLost(_CoroutineRule):
    code = "CCL203"
    message = (
        "the task from `{call}` is discarded and may be garbage-collected before it finishes; "
        "keep a reference (e.g. in a set, removed in a done callback) or use `asyncio.TaskGroup`"
    )

    def screen_words(self) -> frozenset[str]:
        return frozenset(name.rpartition(".")[2] for name in self.catalog.names("task-factories"))

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A task factory is named by its last part in the code: imported, called or as the
        method of a receiver that looks like a loop."""
        return facts.mentions_any(self.screen_words())

    def visit_Expr(self, node: cst.Expr) -> None:
        call = _task_of_dropped_chain(node.value)
        if call is None:
            return
        name = catalog_call(self.model, call, "task-factories")
        if name is not None and not (name == "asyncio.ensure_future" and self._wraps_future(call)):
            self.report(call, call=f"{name}()")

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
