"""CCL207: asyncio's non-thread-safe methods called from code that runs on another thread."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import libcst as cst

from concurlint.checks.threads import ThreadRule
from concurlint.diagnostic import Safety
from concurlint.model.blocking import catalog_call
from concurlint.model.module import FunctionNode
from concurlint.model.spawning import EntryPoint
from concurlint.model.threads import ThreadAnalysis, display_name
from concurlint.project import FileFacts
from concurlint.rule import NodeFix
from concurlint.screen import TreeFacts


class AsyncioApiFromThread(ThreadRule):
    code = "CCL207"
    message = (
        "`{call}` is not thread-safe, and `{function}` runs on another thread ({started}); "
        "{advice}"
    )

    @cached_property
    def _groups(self) -> tuple[dict[str, Any], ...]:
        return tuple(self.catalog.section("thread-unsafe-asyncio"))

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(name for group in self._groups for name in group["names"])

    @cached_property
    def _methods(self) -> frozenset[str]:
        return frozenset(name.rpartition(".")[2] for name in self._names)

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A report needs code this module runs on a thread it starts (the thread screen)
        and one of the methods by name; a method name alone (``set``) is in most files."""
        return super().screen_tree(facts) and facts.mentions_any(self._methods)

    def screen_facts(self, facts: FileFacts) -> bool:
        """Or another module of the project starts functions of this one on threads."""
        return bool(facts.threads.started)

    def visit_Call(self, node: cst.Call) -> None:
        name = self._unsafe_name(node)
        if name is None:
            return
        function = self.model.enclosing_function(node)
        if isinstance(function, cst.FunctionDef) and function.asynchronous is not None:
            return  # a coroutine runs on its own event loop's thread
        threads = self.model.analysis(ThreadAnalysis)
        entries = threads.entries_reaching(function)
        if not entries or self._runs_own_loop(function):
            return
        group = next(g for g in self._groups if name in g["names"])
        self.report(
            node,
            fix=self._fix(node, group),
            call=f"{self.model.code(node.func)}(...)",
            function=display_name(self.model, function),
            started=_started(entries[0]),
            advice=group["advice"],
        )

    def _unsafe_name(self, call: cst.Call) -> str | None:
        matched = self.model.call_names(call) & self._names
        if matched:
            return min(matched)
        return catalog_call(self.model, call, "thread-unsafe-loop-methods")

    def _runs_own_loop(self, function: FunctionNode | None) -> bool:
        if function is None:
            return False
        own = self.catalog.names("own-loop") | self.catalog.names("loop-runners")
        return any(self.model.call_names(call) & own for call in self.model.calls_in(function))

    def _fix(self, call: cst.Call, group: dict[str, Any]) -> NodeFix | None:
        renamed = group.get("threadsafe")
        if renamed is None or not isinstance(call.func, cst.Attribute):
            return None
        return NodeFix(((call.func.attr, cst.Name(renamed)),), Safety.SAFE)


def _started(entry: EntryPoint) -> str:
    if entry.started_in is not None:
        return f"started on a thread by `{entry.started_in}`"
    if entry.site is not None:
        return f"`{entry.name}` is started by `{entry.site.api}`"
    return f"`{entry.name}` is a thread's `run`"
