"""Which values handed to another process cannot be pickled, and why.

A value sent to a process is pickled with everything it contains: the members of a tuple,
list or dict display, the items of an iterable given to ``map``. The catalog's
``[[unpicklable]]`` groups name the types (and objects such as ``sys.stdout``) that pickle
rejects; lambdas, local functions and generator objects are recognized from the code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import libcst as cst

from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.spawning import PARTIAL, CallableKind, SpawnAnalysis, SpawnSite

_DEPTH = 4
# Callables pickle can only store by an importable module-level name.
LOCAL_KINDS = frozenset(
    {CallableKind.LAMBDA, CallableKind.NESTED, CallableKind.LOCAL_CLASS_METHOD}
)
# Calls whose items are the items of their arguments (``zip``) or the argument itself.
_ITEMS_OF_ARGUMENTS = frozenset({"builtins.zip", "builtins.enumerate", "builtins.reversed",
                                 "builtins.sorted", "builtins.list", "builtins.tuple"})
_REPEATED_ARGUMENT = frozenset({"itertools.repeat"})
# Methods through which a class chooses what pickle stores of its instances.
_CUSTOM_PICKLING = frozenset({"__getstate__", "__reduce__", "__reduce_ex__"})
_GET_CONTEXT = frozenset({"multiprocessing.get_context"})
_SET_START_METHOD = frozenset({"multiprocessing.set_start_method"})
_CONTEXT_KEYWORDS = frozenset({"mp_context", "context"})
_GENERATOR_ADVICE = "send a list, or the data the worker should generate from"
_FUNCTION_ADVICE = "use a module-level function"


@dataclass(frozen=True)
class UnpicklableGroup:
    """One ``[[unpicklable]]`` catalog entry."""

    what: str
    advice: str
    types: frozenset[str]
    values: frozenset[str]

    @classmethod
    def from_catalog(cls, entry: Mapping[str, Any]) -> UnpicklableGroup:
        return cls(
            entry["what"],
            entry["advice"],
            frozenset(entry.get("types", ())),
            frozenset(entry.get("values", ())),
        )


@dataclass(frozen=True)
class Unpicklable:
    """A value that cannot be sent: the expression, what it is, and what to do instead."""

    expression: cst.BaseExpression
    what: str
    advice: str


@dataclass(frozen=True)
class UnpicklableState:
    """An instance sent along with a bound method or a process object: its class, and the
    attribute set in ``__init__`` that cannot be pickled."""

    klass: cst.ClassDef
    attribute: str
    value: Unpicklable


class PicklingAnalysis:
    """Get it with ``model.analysis(PicklingAnalysis)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.spawn = model.analysis(SpawnAnalysis)
        catalog = model.catalog
        self.groups = tuple(
            UnpicklableGroup.from_catalog(entry) for entry in catalog.section("unpicklable")
        )
        inherit = catalog.section("inherit-only")
        self.inherit_only = UnpicklableGroup(
            "a multiprocessing object that a process can only inherit",
            inherit.get("advice", ""),
            frozenset(inherit.get("types", ())),
            frozenset(),
        )

    def pickles(self, site: SpawnSite) -> bool:
        """Whether what the site sends is pickled. Pool tasks always are; a process's target
        and arguments are not under an explicitly chosen ``fork`` start method."""
        return site.spawner.role == "task" or not (
            self._forks(site.call) or self._fork_everywhere
        )

    def _forks(self, call: cst.Call) -> bool:
        """``ctx.Process(...)``/``ctx.Pool(...)`` or ``mp_context=ctx`` with a fork context."""
        contexts = [
            a.value for a in call.args if a.keyword and a.keyword.value in _CONTEXT_KEYWORDS
        ]
        if isinstance(call.func, cst.Attribute):
            contexts.append(call.func.value)
        return any(self._is_fork_context(context) for context in contexts)

    def _is_fork_context(self, expression: cst.BaseExpression, depth: int = 0) -> bool:
        if isinstance(expression, cst.Name) and depth < _DEPTH:
            value = self.model.single_assigned_value(expression)
            return value is not None and self._is_fork_context(value, depth + 1)
        return isinstance(expression, cst.Call) and _fork_argument(
            self.model.qualified_names(expression.func) & _GET_CONTEXT, expression
        )

    @cached_property
    def _fork_everywhere(self) -> bool:
        """The module selects its start method only with ``set_start_method("fork")``."""
        finder = _CallsNamed("set_start_method")
        self.model.module.visit(finder)
        calls = [c for c in finder.calls if self.model.qualified_names(c.func) & _SET_START_METHOD]
        return bool(calls) and all(_fork_argument(_SET_START_METHOD, call) for call in calls)

    def unpicklable_state(self, site: SpawnSite) -> UnpicklableState | None:
        """When the target is a bound method (or the site a process subclass), pickling it
        pickles the instance: the first attribute its ``__init__`` sets that cannot be
        pickled. Classes that choose their pickled state, or have bases of unknown code,
        are left alone."""
        target = site.target
        if target is None or target.kind is not CallableKind.METHOD:
            return None
        klass = self._instance_class(target.expression, target.function)
        init = self.model.method_of(klass, "__init__") if klass is not None else None
        if klass is None or init is None or not self._default_pickling(klass):
            return None
        for attribute, value in self.model.instance_attributes(init):
            found = self.classify(value, by_task=site.spawner.role == "task")
            if found is not None:
                return UnpicklableState(klass, attribute, found)
        return None

    def _instance_class(
        self, expression: cst.BaseExpression, function: FunctionNode | None
    ) -> cst.ClassDef | None:
        """The class of the instance a target carries: ``Worker`` for ``Worker(...)`` sites,
        the method's class for ``self.method``/``obj.method`` (never a static method)."""
        if isinstance(expression, cst.Name):
            return self.model.class_bound_to(expression)
        if not isinstance(expression, cst.Attribute) or not isinstance(function, cst.FunctionDef):
            return None
        if self.model.self_name(function) is None or function.decorators:
            return None
        return self.model.enclosing_class(function)

    def _default_pickling(self, klass: cst.ClassDef) -> bool:
        """The class pickles its ``__dict__`` as is: it defines no pickling method, and its
        bases are ``object``, spawner classes, or module classes that qualify too."""
        if any(self.model.method_of(klass, name) for name in _CUSTOM_PICKLING):
            return False
        for base in klass.bases:
            value = base.value
            if isinstance(value, cst.Name) and value.value == "object":
                continue
            if self.spawn.names_spawner_base(value):
                continue
            parent = self.model.class_bound_to(value) if isinstance(value, cst.Name) else None
            if parent is None or parent is klass or not self._default_pickling(parent):
                return False
        return True

    def unpicklable_values(self, site: SpawnSite) -> Iterator[Unpicklable]:
        """Every value the site sends that is known to be unpicklable, once each."""
        seen: set[cst.CSTNode] = set()
        candidates = [
            *(v for a in site.sent_arguments() for v in self.pickled_values(a)),
            *(v for a in self._named_containers(site) for v in self.pickled_values(a)),
            *(
                v
                for iterable in site.sent_iterables()
                for item in self.iterated_items(iterable)
                for v in self.pickled_values(item)
            ),
        ]
        for value in candidates:
            if value in seen:
                continue
            seen.add(value)
            found = self.classify(value, by_task=site.spawner.role == "task")
            if found is not None and self.pickles(site):
                yield found

    def _named_containers(self, site: SpawnSite) -> Iterator[cst.BaseExpression]:
        """The display bound to a name given as ``args``/``kwargs`` (``args=job``)."""
        for slot in (site.spawner.args, site.spawner.kwargs):
            arg = slot.find(site.call) if slot is not None else None
            if arg is not None and isinstance(arg.value, cst.Name):
                value = self.model.single_assigned_value(arg.value)
                if isinstance(value, (cst.Tuple, cst.List, cst.Dict)):
                    yield value

    def pickled_values(
        self, expression: cst.BaseExpression, depth: int = 0
    ) -> Iterator[cst.BaseExpression]:
        """``expression`` and, for a tuple/list/set/dict display, its members, recursively."""
        if depth > _DEPTH:
            return
        if isinstance(expression, (cst.Tuple, cst.List, cst.Set)):
            for element in expression.elements:
                if isinstance(element, cst.Element):
                    yield from self.pickled_values(element.value, depth + 1)
        elif isinstance(expression, cst.Dict):
            for entry in expression.elements:
                if isinstance(entry, cst.DictElement):
                    yield from self.pickled_values(entry.key, depth + 1)
                    yield from self.pickled_values(entry.value, depth + 1)
        else:
            yield expression

    def iterated_items(
        self, iterable: cst.BaseExpression, depth: int = 0
    ) -> Iterator[cst.BaseExpression]:
        """Expressions for the items an iterable yields, where the code shows them."""
        if depth > _DEPTH:
            return
        if isinstance(iterable, (cst.Tuple, cst.List, cst.Set)):
            yield from (e.value for e in iterable.elements if isinstance(e, cst.Element))
        elif isinstance(iterable, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            yield iterable.elt
        elif isinstance(iterable, cst.Name):
            value = self.model.single_assigned_value(iterable)
            if value is not None:
                yield from self.iterated_items(value, depth + 1)
        elif isinstance(iterable, cst.Call):
            names = self.model.qualified_names(iterable.func)
            arguments = [a.value for a in iterable.args if not a.star and a.keyword is None]
            if names & _ITEMS_OF_ARGUMENTS:
                for argument in arguments:
                    yield from self.iterated_items(argument, depth + 1)
            elif names & _REPEATED_ARGUMENT and arguments:
                yield arguments[0]

    def classify(
        self, value: cst.BaseExpression, by_task: bool, depth: int = 0
    ) -> Unpicklable | None:
        """Why ``value`` cannot be pickled, or None when it can or nothing is known.
        ``by_task``: sent as a pool task, where inherit-only objects are rejected too."""
        if isinstance(value, cst.GeneratorExp) or self._generator_call(value):
            return Unpicklable(value, "a generator object", _GENERATOR_ADVICE)
        if isinstance(value, (cst.Lambda, cst.Name, cst.Attribute)) or (
            isinstance(value, cst.Call) and self.model.qualified_names(value.func) & PARTIAL
        ):
            target = self.spawn.resolve_callable(value)
            if target.kind in LOCAL_KINDS:
                return Unpicklable(value, f"a {target.kind.value}", _FUNCTION_ADVICE)
        if isinstance(value, cst.Name) and depth < _DEPTH:
            bound = self.model.single_assigned_value(value)
            if isinstance(bound, (cst.GeneratorExp, cst.Call)):
                inner = self.classify(bound, by_task, depth + 1)
                if inner is not None and inner.what == "a generator object":
                    return Unpicklable(value, inner.what, inner.advice)
        return self._by_type(value, by_task)

    def _by_type(self, value: cst.BaseExpression, by_task: bool) -> Unpicklable | None:
        types = self.model.infer_types(value)
        names = self.model.qualified_names(value)
        groups = (*self.groups, self.inherit_only) if by_task else self.groups
        for group in groups:
            if types & group.types or names & group.values:
                return Unpicklable(value, group.what, group.advice)
        return None

    def _generator_call(self, value: cst.BaseExpression) -> bool:
        if not isinstance(value, cst.Call):
            return False
        function = self.model.resolve_function(value)
        return (
            function is not None
            and function.asynchronous is None
            and self.model.is_generator(function)
            and self.model.has_transparent_decorators(function)
        )


def _fork_argument(matched: frozenset[str], call: cst.Call) -> bool:
    """``call`` is one of ``matched`` and its first argument is the string ``"fork"``."""
    if not matched or not call.args:
        return False
    first = call.args[0].value
    return isinstance(first, cst.SimpleString) and first.evaluated_value == "fork"


class _CallsNamed(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
        if last == self.name:
            self.calls.append(node)
