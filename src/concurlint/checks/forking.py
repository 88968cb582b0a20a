"""CCL305: a fork in a program that has already started threads."""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from concurlint.checks.threads import starts_threads
from concurlint.model.module import ModuleModel
from concurlint.model.spawning import SpawnAnalysis, SpawnSite, spawn_identifiers
from concurlint.rule import FileContext, Rule
from concurlint.screen import TreeFacts

_THREAD_CLASSES = frozenset({"threading.Thread", "threading.Timer"})
_DEFAULT = "default"
_MULTIPROCESSING_ADVICE = (
    'use the `forkserver` or `spawn` start method (`multiprocessing.get_context("forkserver")`)'
)


class ForkWithThreads(Rule):
    code = "CCL305"
    message = (
        "`{call}` forks{how} after this program started threads (`{threads}`); the child gets "
        "copies of locks those threads may hold and can deadlock; {advice}"
    )
    keywords = ("fork", "preexec_fn", "multiprocessing", "Process")

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A report needs a fork and, in the same module, a thread started or a progress bar
        whose library runs one."""
        return facts.imports_any(
            frozenset({"os", "subprocess", "multiprocessing", "concurrent"})
        ) and (
            starts_threads(self, facts, self._spawners)
            or self.imports_lead_to(facts, self.catalog.names("threads-while-open"))
        )

    @cached_property
    def _spawners(self) -> frozenset[str]:
        return spawn_identifiers(self.catalog, "thread")

    @cached_property
    def _order(self) -> dict[cst.CSTNode, int]:
        """Source order of the module's calls (reset for each file by ``start``)."""
        return {call: index for index, call in enumerate(self.model.nodes(cst.Call))}

    def start(self, context: FileContext) -> None:
        super().start(context)
        self.__dict__.pop("_order", None)
        self.__dict__.pop("_thread_starts", None)
        self.__dict__.pop("_bars", None)

    def visit_Call(self, node: cst.Call) -> None:
        fork = self._fork(node)
        if fork is None:
            return
        how, advice = fork
        for start in [*self._thread_starts, *self._open_bars(node)]:
            if self._before(start, node):
                self.report(
                    node,
                    call=f"{self.model.code(node.func)}({'...' if node.args else ''})",
                    how=how,
                    threads=self._thread_text(start),
                    advice=advice,
                )
                return

    def _thread_text(self, start: cst.CSTNode) -> str:
        """The start as written, or ``tqdm(...)`` for a bar whose library runs the thread."""
        if isinstance(start, cst.Call) and start in set(self._bars):
            return f"{self.model.code(start.func)}(...)"
        return self.model.code(start)

    # -- forks --------------------------------------------------------------------------------

    def _fork(self, call: cst.Call) -> tuple[str, str] | None:
        """(how it forks, advice) when ``call`` forks this interpreter, else None."""
        names = self.model.call_names(call)
        if names & self.catalog.names("forks"):
            return "", "fork before starting threads, or start a new program (`subprocess`)"
        if names & self.catalog.names("forks-with-preexec") and any(
            arg.keyword is not None
            and arg.keyword.value == "preexec_fn"
            and not (isinstance(arg.value, cst.Name) and arg.value.value == "None")
            for arg in call.args
        ):
            return (
                " and runs `preexec_fn` in the child",
                "drop `preexec_fn` (use `start_new_session=True`, `process_group=`, `user=`, "
                "`umask=`)",
            )
        site = self.model.analysis(SpawnAnalysis).site(call)
        if site is None or site.kind != "process" or site.spawner.role == "task":
            return None
        method = self._start_method(site)
        if method == "fork":
            return " (start method `fork`)", _MULTIPROCESSING_ADVICE
        if method == _DEFAULT:
            return (
                " (the default start method on Linux before Python 3.14)",
                _MULTIPROCESSING_ADVICE,
            )
        return None

    def _start_method(self, site: SpawnSite) -> str | None:
        """``"fork"``, another method's name, ``_DEFAULT`` or None when unknown."""
        call = site.call
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "mp_context":
                return self._context_method(arg.value)
        func = call.func
        if isinstance(func, cst.Attribute) and not self.model.qualified_names(func):
            return self._context_method(func.value)
        return self._module_method()

    def _context_method(self, expression: cst.BaseExpression) -> str | None:
        if isinstance(expression, cst.Name):
            if expression.value == "None":
                return self._module_method()
            value = self.model.single_assigned_value(expression)
            if value is None:
                return None
            expression = value
        if not isinstance(expression, cst.Call) or not (
            self.model.call_names(expression) & self.catalog.names("start-method-contexts")
        ):
            return None
        if not expression.args:
            return self._module_method()
        return _string(expression.args[0].value)

    def _module_method(self) -> str | None:
        """What ``set_start_method(...)`` calls of this module choose; ``_DEFAULT`` if none."""
        chosen = {
            _string(call.args[0].value) if call.args else None
            for call in self.model.nodes(cst.Call)
            if self.model.call_names(call) & self.catalog.names("start-method-setters")
        }
        if not chosen:
            return _DEFAULT
        return chosen.pop() if len(chosen) == 1 else None

    # -- threads ------------------------------------------------------------------------------

    @cached_property
    def _thread_starts(self) -> list[cst.CSTNode]:
        """Calls that leave a thread running: ``Thread(...).start()`` (or ``t.start()``),
        ``start_new_thread``, executor work and ``to_thread``."""
        starts: list[cst.CSTNode] = []
        for site in self.model.analysis(SpawnAnalysis).of_kind("thread"):
            if site.spawner.role == "initializer":
                continue
            if site.api in _THREAD_CLASSES:
                starts.extend(self._started(site.call))
            else:
                starts.append(site.call)
        return starts

    @cached_property
    def _bars(self) -> list[cst.Call]:
        """Objects that run a thread of their library while they are open (a ``tqdm`` bar's
        monitor thread), unless the module switches that thread off (``monitor_interval``)."""
        if any(
            isinstance(target.target, cst.Attribute)
            and target.target.attr.value == "monitor_interval"
            for target in self.model.nodes(cst.AssignTarget)
        ):
            return []
        names = self.catalog.names("threads-while-open")
        return [call for call in self.model.nodes(cst.Call) if self.model.call_names(call) & names]

    def _open_bars(self, fork: cst.Call) -> list[cst.CSTNode]:
        """The bars of the fork's function still open at the fork: the ``with`` block or the
        ``for`` loop they head encloses it, or the name they were given is not closed before."""
        function = self.model.enclosing_function(fork)
        around_fork = set(self.model.ancestors(fork))
        open_bars: list[cst.CSTNode] = []
        for bar in self._bars:
            if self.model.enclosing_function(bar) is not function:
                continue
            parent = self.model.parent(bar)
            handle = _assigned_name(parent, bar)
            if (
                isinstance(parent, cst.WithItem)
                or (isinstance(parent, cst.For) and parent.iter is bar and parent in around_fork)
                or (handle is not None and not self._called_between(handle, "close", bar, fork))
            ):
                open_bars.append(bar)
        return open_bars

    def _started(self, constructor: cst.Call) -> list[cst.CSTNode]:
        parent = self.model.parent(constructor)
        if isinstance(parent, cst.Attribute) and parent.attr.value == "start":
            outer = self.model.parent(parent)
            return [outer] if isinstance(outer, cst.Call) else []
        handle = _assigned_name(parent, constructor)
        if handle is None:
            return []
        function = self.model.enclosing_function(constructor)
        return [
            call
            for call in self._method_calls(handle, "start")
            if self.model.enclosing_function(call) is function
        ]

    def _method_calls(self, handle: str, method: str) -> list[cst.Call]:
        return [
            call
            for call in self.model.nodes(cst.Call)
            if isinstance(call.func, cst.Attribute)
            and call.func.attr.value == method
            and isinstance(call.func.value, cst.Name)
            and call.func.value.value == handle
        ]

    def _before(self, start: cst.CSTNode, fork: cst.Call) -> bool:
        """The thread is running when the fork happens: started at import time (and the
        fork is in a function), or earlier in the same function and not joined since."""
        start_function = self.model.enclosing_function(start)
        fork_function = self.model.enclosing_function(fork)
        if start_function is None and fork_function is not None:
            return self.model.runs_at_import(start) and not self._executor_closed(start, fork)
        if start_function is not fork_function:
            return False
        order = self._order
        if order.get(start, -1) >= order.get(fork, -1) or _other_branches(self.model, start, fork):
            return False
        return not self._joined_between(start, fork) and not self._executor_closed(start, fork)

    def _joined_between(self, start: cst.CSTNode, fork: cst.Call) -> bool:
        """``t.start()`` ... ``t.join()`` ... fork: the thread has ended."""
        func = start.func if isinstance(start, cst.Call) else None
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return False
        return self._called_between(func.value.value, "join", start, fork)

    def _called_between(self, handle: str, method: str, start: cst.CSTNode, fork: cst.Call) -> bool:
        """``handle.method()`` is called after ``start`` and before ``fork``."""
        order = self._order
        return any(
            order.get(start, -1) < order[call] < order[fork]
            for call in self._method_calls(handle, method)
        )

    def _executor_closed(self, start: cst.CSTNode, fork: cst.Call) -> bool:
        """Work given to an executor of a ``with`` block that the fork is outside of: the
        block's end waited for the executor's threads."""
        around_fork = set(self.model.ancestors(fork))
        return any(
            isinstance(ancestor, cst.With) and ancestor not in around_fork
            for ancestor in self.model.ancestors(start)
        )


def _string(expression: cst.BaseExpression) -> str | None:
    if isinstance(expression, cst.SimpleString):
        value = expression.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _assigned_name(statement: cst.CSTNode | None, value: cst.BaseExpression) -> str | None:
    if (
        isinstance(statement, cst.Assign)
        and statement.value is value
        and len(statement.targets) == 1
        and isinstance(statement.targets[0].target, cst.Name)
    ):
        return statement.targets[0].target.value
    return None


def _other_branches(model: ModuleModel, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """True when the nearest statement holding both nodes is an ``if`` with one of them in
    its body and the other in its ``else``: only one of them runs."""
    second_path: dict[cst.CSTNode, cst.CSTNode] = {}
    child = second
    for ancestor in model.ancestors(second):
        second_path[ancestor] = child
        child = ancestor
    child = first
    for ancestor in model.ancestors(first):
        if ancestor in second_path:
            return isinstance(ancestor, cst.If) and child is not second_path[ancestor]
        child = ancestor
    return False
