"""Which calls block the calling thread: directly (catalog) or through plain helpers.

A helper is a plain ``def`` of the same module (or a method of the same class) whose body
makes a blocking call, directly or through further helpers. Generators and functions with
unknown decorators are not helpers: calling them does not run their body as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from concurlint.model.catalog import ArgumentForm, BlockingGroup
from concurlint.model.module import ModuleModel


@dataclass(frozen=True)
class Blocking:
    """Why a call blocks: the call chain down to the catalog entry, and its catalog group."""

    chain: tuple[str, ...]  # e.g. ("save()", "_write()", "builtins.open()")
    name: str  # the catalog entry at the end of the chain
    group: BlockingGroup

    @property
    def is_direct(self) -> bool:
        return len(self.chain) == 1


class BlockingAnalysis:
    """Memoized blocking facts for one module; get it with ``model.analysis(BlockingAnalysis)``.
    Subclasses name another catalog ``section`` of blocking calls."""

    section: ClassVar[str] = "blocking"

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.groups = model.catalog.blocking_groups(self.section)
        self._functions: dict[cst.FunctionDef, Blocking | None] = {}

    def of_call(self, call: cst.Call) -> Blocking | None:
        direct = self.direct(call)
        if direct is not None:
            return direct
        function = self.model.resolve_function(call)
        if function is None or not self.is_plain_helper(function):
            return None
        inner = self.of_function(function)
        if inner is None:
            return None
        return Blocking((f"{function.name.value}()", *inner.chain), inner.name, inner.group)

    def direct(self, call: cst.Call) -> Blocking | None:
        names = self.model.call_names(call)
        for group in self.groups:
            matched = names & group.names
            if matched and not self._nonblocking_arguments(call, group.nonblocking):
                name = min(matched)
                return Blocking((f"{name}()",), name, group)
        return None

    def is_plain_helper(self, function: cst.FunctionDef) -> bool:
        return (
            function.asynchronous is None
            and not self.model.is_generator(function)
            and self.model.has_transparent_decorators(function)
        )

    def of_function(self, function: cst.FunctionDef) -> Blocking | None:
        """The first blocking call (in source order) the function's own body makes."""
        if function in self._functions:
            return self._functions[function]
        self._functions[function] = None  # recursion terminates: a cycle adds nothing
        for call in self.model.calls_in(function):
            found = self.of_call(call)
            if found is not None:
                self._functions[function] = found
                break
        return self._functions[function]

    def _nonblocking_arguments(self, call: cst.Call, forms: tuple[ArgumentForm, ...]) -> bool:
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        for form in forms:
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == form.keyword:
                    if self.model.code(arg.value).strip() == form.value:
                        return True
            if form.position is not None and form.position < len(positional):
                if self.model.code(positional[form.position].value).strip() == form.value:
                    return True
        return False
