"""Which functions of the linted module handle their own exceptions (CCL209).

The judgement is the project pass's (``concurlint.summary_errors``), made on this module's
own ``ast`` so that a file linted alone is judged as it is within its project; the
functions of other modules it relies on come from the project's facts.
"""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from concurlint.limits import parse_quietly
from concurlint.model.module import ModuleModel
from concurlint.screen import TreeFacts
from concurlint.summary_errors import handling, summarize_errors
from concurlint.summary_threads import ThreadCatalog


class ErrorHandling:
    """Get it with ``model.analysis(ErrorHandling)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.imported = frozenset(model.project.handling)

    @cached_property
    def _module(self) -> str:
        return self.model.project.linted_module

    @cached_property
    def _handling(self) -> frozenset[str]:
        tree = parse_quietly(self.model.module.code)
        catalog = ThreadCatalog.from_catalog(self.model.catalog)
        implicit = TreeFacts(tree).implicit_modules
        relies = {
            f"{self._module}.{qualname}": needs
            for qualname, needs in summarize_errors(tree, self._module, False, catalog, implicit)
        }
        return handling(relies, lambda name: name, self.imported)

    def handles(self, function: cst.FunctionDef) -> bool:
        """``function`` (a module-level function or a method of a module-level class) lets
        no exception out."""
        qualname = self._qualname(function)
        return qualname is not None and f"{self._module}.{qualname}" in self._handling

    def _qualname(self, function: cst.FunctionDef) -> str | None:
        scopes = [node for node in self.model.ancestors(function)
                  if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda | cst.Module)]
        if len(scopes) == 1:
            return function.name.value
        if len(scopes) == 2 and isinstance(scopes[0], cst.ClassDef):
            return f"{scopes[0].name.value}.{function.name.value}"
        return None
