"""CCL209: executor work whose exception nobody will ever see."""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from concurlint.model.errors import ErrorHandling
from concurlint.model.module import parameter_names
from concurlint.model.spawning import SpawnAnalysis
from concurlint.model.suspension import SCOPES
from concurlint.model.walk import descendants
from concurlint.rule import Rule
from concurlint.screen import TreeFacts


class ExecutorExceptionLost(Rule):
    code = "CCL209"
    message = "{outcome}, so an exception raised by the work is never seen; {advice}"
    keywords = ("submit", "map")

    @cached_property
    def _submits(self) -> frozenset[str]:
        return self.catalog.names("executor-submits")

    @cached_property
    def _maps(self) -> frozenset[str]:
        return self.catalog.names("executor-maps")

    def screen_tree(self, facts: TreeFacts) -> bool:
        return self.imports_lead_to(facts, self._submits | self._maps)

    def visit_Call(self, node: cst.Call) -> None:
        names = self.model.call_names(node)
        if (names & self._submits or names & self._maps) and (
            self._work_catches_all(node) or self._work_from_caller(node)
            or self._work_cannot_fail(node)
        ):
            return
        if names & self._submits:
            if self._future_lost(node):
                self.report(
                    node,
                    outcome=f"the future of `{self._shown(node)}` is dropped",
                    advice="keep it and call `.result()` on it (or use `as_completed`)",
                )
        elif names & self._maps and self._unused(node):
            self.report(
                node,
                outcome=f"the iterator of `{self._shown(node)}` is never consumed",
                advice="iterate over it (`for result in ...`, `list(...)`)",
            )

    def _work_catches_all(self, call: cst.Call) -> bool:
        """The submitted function of this module has a catch-all handler (bare,
        ``Exception``, ``BaseException``) in its own body: it deals with its own errors, so
        the future is not where they were meant to be seen."""
        function = self._submitted_function(call)
        if function is None:
            return False
        return any(
            isinstance(node, cst.ExceptHandler) and self._catch_all(node)
            for node in descendants(function.body, SCOPES)
        )

    def _work_cannot_fail(self, call: cst.Call) -> bool:
        """The work is a function of this module or of another project module whose body
        shows no failure worth seeing (``summary_errors``). Work whose body is unknown (a
        method of a value of unknown type, a library function) is not exempt: the dropped
        future is then the only place its errors can go."""
        if not call.args:
            return False
        work = call.args[0].value
        errors = self.model.analysis(ErrorHandling)
        function = self._submitted_function(call) or self.model.resolve_callee(work)
        if function is not None:
            return errors.fails(function) is False
        names = self.model.qualified_names(work)
        return any(
            errors.imported.get(self.model.project.absolute(name) or "") is False for name in names
        )

    def _work_from_caller(self, call: cst.Call) -> bool:
        """The work is a callable the enclosing function's caller supplies: submitted as is
        (``pool.submit(task)``), or called by a function defined in the enclosing one
        (``def runner(): task()``). Whether its errors are handled is decided by the callers."""
        enclosing = self.model.enclosing_function(call)
        if not isinstance(enclosing, cst.FunctionDef) or not call.args:
            return False
        supplied = parameter_names(enclosing)
        work = call.args[0].value
        if isinstance(work, cst.Name) and work.value in supplied:
            return True
        function = self._submitted_function(call)
        if function is None or enclosing not in self.model.ancestors(function):
            return False
        supplied -= parameter_names(function)
        return any(
            isinstance(node, cst.Call)
            and any(isinstance(value, cst.Name) and value.value in supplied
                    for value in (node.func, *(arg.value for arg in node.args)))
            for node in descendants(function.body, SCOPES)
        )

    def _submitted_function(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function of this module that the submit or map call runs, if it is one."""
        site = self.model.analysis(SpawnAnalysis).site(call)
        target = site.target if site is not None else None
        function = target.function if target is not None else None
        return function if isinstance(function, cst.FunctionDef) else None

    def _catch_all(self, handler: cst.ExceptHandler) -> bool:
        if handler.type is None:
            return True
        return bool(
            self.model.qualified_names(handler.type) & self.catalog.names("catch-all-exceptions")
        )

    def _shown(self, call: cst.Call) -> str:
        return f"{self.model.code(call.func)}(...)"

    def _unused(self, call: cst.Call) -> bool:
        """The call's value is dropped, or bound to a local name that is never read."""
        parent = self.model.parent(call)
        if isinstance(parent, cst.Expr):
            return True
        target = _single_name_target(parent, call)
        return target is not None and self._references(target) == []

    def _future_lost(self, call: cst.Call) -> bool:
        parent = self.model.parent(call)
        if isinstance(parent, cst.Expr):
            return True
        if isinstance(parent, cst.Attribute) and parent.value is call:
            return self._callback_ignores(parent)
        target = _single_name_target(parent, call)
        references = self._references(target) if target is not None else None
        if references is None:
            return False
        uses = [self.model.parent(reference) for reference in references]
        return all(
            isinstance(use, cst.Attribute) and self._callback_ignores(use) for use in uses
        )

    def _references(self, target: cst.Name) -> list[cst.CSTNode] | None:
        """Every node reading the name ``target`` binds, or None when the name has other
        bindings in its scope (then what reaches a read is unknown)."""
        scope = self.model.scope(target)
        if scope is None:
            return None
        assignments = list(scope[target.value])
        if len(assignments) != 1 or getattr(assignments[0], "node", None) is not target:
            return None
        return [reference.node for reference in assignments[0].references]

    def _callback_ignores(self, attribute: cst.Attribute) -> bool:
        """``future.add_done_callback(f)`` where ``f`` is a function of this module that
        never calls ``.result()``/``.exception()``; anything else may see the exception."""
        call = self.model.parent(attribute)
        if (
            attribute.attr.value != "add_done_callback"
            or not isinstance(call, cst.Call)
            or not isinstance(self.model.parent(call), cst.Expr)
            or len(call.args) != 1
        ):
            return False
        callback = self.model.resolve_callee(call.args[0].value)
        if callback is None:
            return False
        inspections = self.catalog.names("future-inspections")
        return not any(
            isinstance(node, cst.Attribute) and node.attr.value in inspections
            for node in descendants(callback.body)
        )


def _single_name_target(statement: cst.CSTNode | None, value: cst.Call) -> cst.Name | None:
    """``name = value``: the one plain name the call is bound to."""
    if not isinstance(statement, cst.Assign) or statement.value is not value:
        return None
    if len(statement.targets) != 1 or not isinstance(statement.targets[0].target, cst.Name):
        return None
    return statement.targets[0].target
