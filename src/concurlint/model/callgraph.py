"""Calls between the functions of one module, resolved both ways (callees and callers).

Only calls the model can resolve exactly are edges: a plain name bound once to a ``def``,
``self.method()`` inside the class defining ``method``, or ``obj.method()`` where ``obj`` is
bound once to an instance of a class of the module. Everything else (calls on other
objects, imported functions) is left out, so the graph under-approximates what can run.
"""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from concurlint.model.index import ModuleIndex
from concurlint.model.module import FunctionNode, ModuleModel


class CallGraph:
    """Get it with ``model.analysis(CallGraph)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model

    @property
    def functions(self) -> list[FunctionNode]:
        """Every ``def`` and ``lambda`` of the module, in source order."""
        return self.model.analysis(ModuleIndex).functions

    @cached_property
    def _callers(self) -> dict[cst.FunctionDef, list[cst.Call]]:
        callers: dict[cst.FunctionDef, list[cst.Call]] = {}
        for call in self.model.analysis(ModuleIndex).calls:
            callee = self.resolve(call)
            if callee is not None:
                callers.setdefault(callee, []).append(call)
        return callers

    def calls_to(self, function: cst.FunctionDef) -> list[cst.Call]:
        """The calls of this module that run ``function``."""
        return self._callers.get(function, [])

    def callees(self, function: FunctionNode) -> list[tuple[cst.Call, cst.FunctionDef]]:
        """The resolved calls ``function``'s own body makes (not its nested functions)."""
        found = []
        for call in self.model.calls_in(function):
            callee = self.resolve(call)
            if callee is not None:
                found.append((call, callee))
        return found

    def resolve(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function a call runs: ``f()``, ``self.m()``, or ``obj.m()`` on an instance of a
        class of the module."""
        return self.model.resolve_function(call) or self.model.resolve_instance_method(call.func)

    def shares_receiver(self, call: cst.Call) -> bool | None:
        """For ``obj.m()``: whether ``obj`` outlives the calling function (a global or a
        closure variable), so every run of the caller uses the same object; None when the
        call is not on such an instance (``f()``, ``self.m()``)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return None
        if self.model.class_of_instance(func.value) is None:
            return None
        scope = self.model.scope(func.value)
        assignments = list(scope[func.value.value]) if scope is not None else []
        return bool(assignments) and all(a.scope is not scope for a in assignments)
