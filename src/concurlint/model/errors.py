"""Which functions of the linted module may fail in a way worth seeing (CCL209).

The judgement is the project pass's (``concurlint.summary_errors``), made on this module's
own ``ast`` so that a file linted alone is judged as it is within its project; whether the
functions of other modules it calls may fail comes from the project's facts.
"""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from concurlint.model.module import ModuleModel
from concurlint.screen import TreeFacts
from concurlint.summary_errors import failing, summarize_failures

_INITIALIZER = ".__init__"


class ErrorHandling:
    """Get it with ``model.analysis(ErrorHandling)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        # imported project functions: whether each may fail
        self.imported = dict(model.project.failures)

    @cached_property
    def _module(self) -> str:
        return self.model.project.linted_module

    @cached_property
    def _failing(self) -> frozenset[str]:
        tree = self.model.syntax_tree
        implicit = TreeFacts(tree).implicit_modules
        failures = [
            (f"{self._module}.{qualname}", here, needs)
            for qualname, here, needs in summarize_failures(
                tree, self._module, False, self.model.catalog.failing_calls, implicit
            )
        ]
        own = {name for name, _, _ in failures}

        def callee(name: str) -> str | None:
            if name in own or name in self.imported:
                return name
            return name + _INITIALIZER if name + _INITIALIZER in own else None

        given = (name for name, fails in self.imported.items() if fails)
        return failing(failures, callee, given)

    def fails(self, function: cst.FunctionDef) -> bool | None:
        """Whether ``function`` (of the module, of a module-level class, or nested in one of
        those) may fail in a way worth seeing; None for another function."""
        qualname = self._qualname(function)
        return None if qualname is None else f"{self._module}.{qualname}" in self._failing

    def _qualname(self, function: cst.FunctionDef) -> str | None:
        """``Class.method.<locals>.inner``, as Python names it."""
        scopes = [node for node in self.model.ancestors(function)
                  if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda)]
        qualname = function.name.value
        for position, scope in enumerate(scopes):
            if isinstance(scope, cst.Lambda) or (
                isinstance(scope, cst.ClassDef) and position != len(scopes) - 1
            ):
                return None
            joint = "." if isinstance(scope, cst.ClassDef) else ".<locals>."
            qualname = f"{scope.name.value}{joint}{qualname}"
        return qualname
