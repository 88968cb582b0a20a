"""Which calls block the calling thread: directly (catalog) or through plain helpers.

A helper is a plain ``def`` of the same module (or a method of a class of the module) whose
body makes a blocking call, directly or through further helpers. Generators and functions
with unknown decorators are not helpers: calling them does not run their body as written.
A synchronous ``with`` item blocks when entering it does: the catalog lists
``Type.__enter__`` (``with threading.Lock():`` waits like ``acquire()``), and a class of the
module blocks through its own ``__enter__``/``__exit__`` methods.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """Memoized blocking facts for one module; get it with ``model.analysis(BlockingAnalysis)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.groups = model.catalog.blocking
        self._functions: dict[cst.FunctionDef, Blocking | None] = {}

    def of_call(self, call: cst.Call) -> Blocking | None:
        direct = self.direct(call)
        if direct is not None:
            return direct
        function = self.model.resolve_function(call)
        if function is not None:
            return self._through(f"{function.name.value}()", function)
        klass = self.model.constructed_class(call)
        initializer = self.model.method_of(klass, "__init__") if klass is not None else None
        if klass is not None and initializer is not None:
            return self._through(f"{klass.name.value}()", initializer)
        return None

    def of_with_item(self, item: cst.WithItem) -> Blocking | None:
        """Blocking done by entering (or leaving) the context manager of ``item``."""
        types = self.model.infer_types(item.item)
        entered = frozenset(f"{owner}.__enter__" for owner in types)
        for group in self.groups:
            matched = entered & group.names
            if matched:
                name = min(matched)
                return Blocking((f"with {name.rpartition('.')[0]}",), name, group)
        klass = self.model.receiver_class(item.item)
        if klass is None:
            return None
        for method in ("__enter__", "__exit__"):
            function = self.model.method_of(klass, method)
            if function is not None:
                found = self._through(f"with {klass.name.value}", function)
                if found is not None:
                    return found
        return None

    def of_site(self, site: cst.Call | cst.WithItem) -> Blocking | None:
        return self.of_call(site) if isinstance(site, cst.Call) else self.of_with_item(site)

    def _through(self, step: str, function: cst.FunctionDef) -> Blocking | None:
        """``step`` blocks because it runs ``function``, a helper that blocks."""
        if not self.is_plain_helper(function):
            return None
        inner = self.of_function(function)
        if inner is None:
            return None
        return Blocking((step, *inner.chain), inner.name, inner.group)

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
        """The first blocking call or ``with`` (in source order) the function's own body makes."""
        if function in self._functions:
            return self._functions[function]
        self._functions[function] = None  # recursion terminates: a cycle adds nothing
        for site in self.model.sites_in(function):
            found = self.of_site(site)
            if found is not None:
                self._functions[function] = found
                break
        return self._functions[function]

    def _nonblocking_arguments(self, call: cst.Call, forms: tuple[ArgumentForm, ...]) -> bool:
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        for form in forms:
            values = [
                arg.value
                for arg in call.args
                if arg.keyword is not None and arg.keyword.value == form.keyword
            ]
            if form.position is not None and form.position < len(positional):
                values.append(positional[form.position])
            if any(self.model.code(value).strip() == form.value for value in values):
                return True
        return False
