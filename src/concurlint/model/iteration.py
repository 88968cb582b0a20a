"""Iterations of a shared dict or set on a thread while another thread can change its size.

Iterating a dict or set whose size another thread changes meanwhile fails with
``RuntimeError: dictionary changed size during iteration``. What counts follows CPython's
thread-safety guarantees for built-in types: a ``for`` loop, a comprehension or a reduction
(``sum(d.values())``) over the container or one of its views is never atomic, while
``list(d)``, ``d.copy()`` and ``dict(d)`` take their snapshot in one step and are not
iterations here. Only writers that can change the size count (a key stored or deleted,
``add``, ``pop``, ``setdefault``, ...): replacing the whole attribute leaves the iterated
object as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from concurlint.model.index import ModuleIndex
from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.threads import (
    Race,
    StateKey,
    StateWrite,
    ThreadAnalysis,
    display_name,
    written,
)

ITERATION = "iteration"
_VIEWS = frozenset({"items", "keys", "values"})
_REDUCERS = frozenset(
    {"builtins.sum", "builtins.any", "builtins.all", "builtins.min", "builtins.max"}
)
# Methods of a dict or set that can add or remove an element.
_RESIZERS = frozenset({
    "add", "discard", "remove", "pop", "popitem", "setdefault", "update", "clear",
    "difference_update", "intersection_update", "symmetric_difference_update",
})
_RESIZABLE_DISPLAYS = (cst.Dict, cst.Set, cst.DictComp, cst.SetComp)


@dataclass(frozen=True)
class _Iterated:
    container: cst.Name | cst.Attribute  # ``d`` in ``for k in d.items()``
    node: cst.BaseExpression  # the iterated expression, where the report goes
    function: FunctionNode


class IterationAnalysis:
    """Get it with ``model.analysis(IterationAnalysis)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.threads = model.analysis(ThreadAnalysis)
        self.index = model.analysis(ModuleIndex)
        self.types = model.catalog.names("resized-iteration-types")

    def _resizable_value(self, value: cst.BaseExpression | None) -> bool:
        """A new dict or set: a display, a comprehension, or a call of a catalog type."""
        if isinstance(value, _RESIZABLE_DISPLAYS):
            return True
        return isinstance(value, cst.Call) and bool(
            self.model.qualified_names(value.func) & self.types
        )

    def _iterated(self) -> list[_Iterated]:
        """Every ``for`` loop, comprehension and reduction of a module's function."""
        found = []
        loops: list[cst.For | cst.CompFor] = [
            *self.model.nodes(cst.For), *self.model.nodes(cst.CompFor)
        ]
        # `async for` walks an asynchronous iterator, never a dict or set
        iterables = [loop.iter for loop in loops if loop.asynchronous is None]
        iterables.extend(
            call.args[0].value
            for call in self.index.calls
            if len(call.args) == 1
            and not call.args[0].star
            and self.model.qualified_names(call.func) & _REDUCERS
        )
        for iterable in iterables:
            function = self.model.enclosing_function(iterable)
            if function is None:
                continue
            container: cst.BaseExpression = iterable
            if (
                isinstance(iterable, cst.Call)
                and not iterable.args
                and isinstance(iterable.func, cst.Attribute)
                and iterable.func.attr.value in _VIEWS
            ):
                container = iterable.func.value
            if isinstance(container, (cst.Name, cst.Attribute)):
                found.append(_Iterated(container, iterable, function))
        return found

    @cached_property
    def iterations(self) -> tuple[StateWrite, ...]:
        """Iterations of shared dicts and sets, as accesses of their state."""
        found = []
        for iterated in self._iterated():
            container = iterated.container
            key = self.threads.state_key(container)
            if key is None or not self.threads.holds_container(container, self._resizable_value):
                continue
            found.append(StateWrite(key, iterated.node, iterated.function, ITERATION))
        return tuple(found)

    @cached_property
    def resizers(self) -> dict[StateKey, list[StateWrite]]:
        """Writes that can change a shared container's size, by the container's state: an
        element stored or deleted (``d[k] = v``, ``del d[k]``) or a resizing method call."""
        found: dict[StateKey, list[StateWrite]] = {}
        for target, statement, augmented in self.index.writes:
            if augmented or not isinstance(target, cst.Subscript):
                continue
            self._add(found, target.value, statement, "write")
        for call in self.index.calls:
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in _RESIZERS:
                self._add(found, func.value, call, "mutation")
        return found

    def _add(
        self,
        found: dict[StateKey, list[StateWrite]],
        container: cst.BaseExpression,
        node: cst.CSTNode,
        operation: str,
    ) -> None:
        if not isinstance(container, (cst.Name, cst.Attribute)):
            return  # `d[k][j] = v` changes the inner container, not `d`
        key = self.threads.state_key(container)
        if key is not None:
            function = self.model.enclosing_function(node)
            found.setdefault(key, []).append(StateWrite(key, node, function, operation))

    @cached_property
    def races(self) -> tuple[Race, ...]:
        """Unguarded iterations that another thread can resize at the same time."""
        found = []
        for iteration in self.iterations:
            resizers = self.resizers.get(iteration.key, [])
            if not resizers or self.threads.guarded(iteration.node):
                continue
            race = self._race(iteration, resizers)
            if race is not None:
                found.append(race)
        return tuple(found)

    def _race(self, iteration: StateWrite, resizers: list[StateWrite]) -> Race | None:
        """Only a walk in thread-run code: on the callers' side of a thread-owning object the
        walk may run where that thread never does (a forked child, after the thread ended)."""
        function = iteration.function
        assert function is not None
        if not self.threads.runs_in_thread(function):
            return None
        elsewhere = self._concurrent_resizer(iteration, resizers)
        return None if elsewhere is None else Race(iteration, function, elsewhere)

    def _concurrent_resizer(
        self, iteration: StateWrite, resizers: list[StateWrite]
    ) -> str | None:
        """Where a resizer runs at the same time as the thread iterating: on the same code
        started on several threads at once, on another thread, or on the main thread."""
        threads = self.threads
        ours = set(threads.entries_reaching(iteration.function))
        twice = threads.runs_twice(iteration)
        for resizer in resizers:
            if resizer.function is None:
                continue
            if twice is not None and ours & set(threads.entries_reaching(resizer.function)):
                name = display_name(self.model, resizer.function)
                return f"{_resized(resizer)} in `{name}` on the same threads, and {twice}"
            where = threads.concurrent_writer(iteration, resizer)
            if where is not None:
                return f"{_resized(resizer)} in {where}"
        return None


def _resized(resizer: StateWrite) -> str:
    """How another function changes the container's size."""
    if isinstance(resizer.node, cst.Del):
        return f"an element of `{resizer.key.label}` is deleted"
    if resizer.operation == "write":
        return f"a key of `{resizer.key.label}` is stored"
    return written(resizer)
