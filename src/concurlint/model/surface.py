"""Objects that run some of their own code on threads, and the code the rest of the program
calls on them meanwhile.

RacerD's insight, applied to Python classes: a class whose object starts a thread on one of
its own methods (``Thread(target=self._run)``, a closure or lambda of a method, the ``run``
of a ``Thread`` subclass) is written to be used from several threads. While that thread
runs, the program that holds the object calls its public methods (names without a leading
underscore, and the methods of the class they call) on its own threads. Those two sides of
the same object are what CCL101 pairs up: an update on one side and a write on the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from concurlint.model.callgraph import CallGraph
from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.spawning import EntryPoint, SpawnAnalysis


@dataclass(frozen=True)
class CallerSide:
    """A function the rest of the program runs on an object whose class runs threads:
    ``public`` is the public method it is reached from, ``entry`` the object's thread."""

    klass: cst.ClassDef
    public: cst.FunctionDef
    entry: EntryPoint


class ThreadOwners:
    """Get it with ``model.analysis(ThreadOwners)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.spawns = model.analysis(SpawnAnalysis)
        self.graph = model.analysis(CallGraph)
        self.initializers = model.catalog.names("initializer-methods")

    @cached_property
    def entries(self) -> dict[cst.ClassDef, tuple[EntryPoint, ...]]:
        """For each class: the thread entry points that run on its objects themselves."""
        found: dict[cst.ClassDef, list[EntryPoint]] = {}
        for entry in self.spawns.entry_points("thread"):
            klass = self._object_class(entry)
            if klass is not None:
                found.setdefault(klass, []).append(entry)
        return {
            klass: tuple(entries)
            for klass, entries in found.items()
            if klass in self.spawns.spawner_classes or self._starts_itself(klass)
        }

    def _starts_itself(self, klass: cst.ClassDef) -> bool:
        """True when a method of the class calls ``start()``: the object runs its thread
        while its owner goes on using it. A thread the class only builds may never run
        while the owner calls it (it may be started and joined in one place)."""
        return any(
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "start"
            and any(a is klass for a in self.model.ancestors(call))
            for call in self.model.nodes(cst.Call)
        )

    def _object_class(self, entry: EntryPoint) -> cst.ClassDef | None:
        """The class whose object the entry's thread works on: the class of a ``Thread``
        subclass's ``run``, of a method started as ``self.method``, or of the method that
        defines a started closure or lambda."""
        function = entry.function
        method = function if isinstance(function, cst.FunctionDef) else None
        klass = self.model.enclosing_class(method) if method is not None else None
        if klass is not None and klass in self.spawns.spawner_classes:
            return klass
        site = entry.site
        if site is None or site.target is None:
            return None
        starter = self.model.enclosing_function(site.call)
        if not isinstance(starter, cst.FunctionDef):
            return None
        owner = self.model.enclosing_class(starter)
        if owner is None:
            return None
        expression = site.target.expression
        if site.target.through_partial and isinstance(expression, cst.Call) and expression.args:
            expression = expression.args[0].value
        if (
            klass is owner
            and isinstance(expression, cst.Attribute)
            and isinstance(expression.value, cst.Name)
            and expression.value.value == self.model.self_name(starter)
        ):
            return owner
        if self.model.enclosing_function(function) is starter:
            return owner  # a closure or lambda of the method: it reads the same `self`
        return None

    @cached_property
    def _callers(self) -> dict[FunctionNode, CallerSide]:
        """Every function the caller side of a thread-owning class runs, with the first
        public method reaching it."""
        started = {e.function for entries in self.entries.values() for e in entries}
        found: dict[FunctionNode, CallerSide] = {}
        for klass, entries in self.entries.items():
            thread_side = self._reached({entry.function for entry in entries})
            for public in self._public_methods(klass, started):
                calls = self.graph.calls_to(public)
                if calls and all(
                    self.model.enclosing_function(call) in thread_side for call in calls
                ):
                    continue  # a helper of the thread that happens to have a public name
                side = CallerSide(klass, public, entries[0])
                pending: list[FunctionNode] = [public]
                while pending:
                    function = pending.pop()
                    if function in found or function in started:
                        continue
                    found[function] = side
                    pending.extend(callee for _, callee in self.graph.callees(function))
        return found

    def _reached(self, functions: set[FunctionNode]) -> set[FunctionNode]:
        """``functions`` and every function of the module they call, transitively."""
        reached: set[FunctionNode] = set()
        pending = list(functions)
        while pending:
            function = pending.pop()
            if function not in reached:
                reached.add(function)
                pending.extend(callee for _, callee in self.graph.callees(function))
        return reached

    def _public_methods(
        self, klass: cst.ClassDef, started: set[FunctionNode]
    ) -> list[cst.FunctionDef]:
        body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
        return [
            statement
            for statement in body
            if isinstance(statement, cst.FunctionDef)
            and not statement.name.value.startswith("_")
            and statement.name.value not in self.initializers
            and statement.asynchronous is None
            and statement not in started
        ]

    def caller_side(self, function: FunctionNode | None) -> CallerSide | None:
        """How the rest of the program reaches ``function`` on a thread-owning object."""
        return self._callers.get(function) if function is not None else None
