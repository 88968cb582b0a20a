"""One parsed module seen through libcst metadata: names, scopes, functions and types.

Rules ask this model questions ("what does this call resolve to?", "which function am I
in?") instead of matching syntax. Answers are memoized per module, so several rules asking
the same question pay once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Any, TypeVar

import libcst as cst
from libcst._metadata_dependent import LazyValue
from libcst.metadata import (
    Assignment,
    MetadataWrapper,
    ParentNodeProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from concurlint.model.catalog import Catalog

FunctionNode = cst.FunctionDef | cst.Lambda
_Analysis = TypeVar("_Analysis")
_RESOLVED_SOURCES = (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)
_INFERENCE_DEPTH = 6
_CONTAINER_DISPLAYS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)
# `with lock as x` binds the result of acquire() (a bool), not the lock.
_ENTER_RETURNS_OTHER = frozenset(
    {"threading.Lock", "threading.RLock", "threading.Semaphore", "threading.Condition"}
)
# Decorators that leave a function's call behaviour as it is.
TRANSPARENT_DECORATORS = frozenset(
    {
        "builtins.staticmethod", "builtins.classmethod", "functools.cache",
        "functools.lru_cache", "abc.abstractmethod", "typing.override", "typing_extensions.override",
    }
)


def _unwrap(value: Any) -> Any:
    return value() if isinstance(value, LazyValue) else value


class _BodyWalker(cst.CSTVisitor):
    """Collects the calls, yields and returns of one function body, not of nested
    functions/classes."""

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []
        self.yields = False
        self.returns_value = False

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields = True

    def visit_Return(self, node: cst.Return) -> None:
        self.returns_value = self.returns_value or node.value is not None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


class ModuleModel:
    """Metadata-backed answers about one module. Built once per file by the engine."""

    def __init__(self, wrapper: MetadataWrapper, catalog: Catalog) -> None:
        self.wrapper = wrapper
        self.module = wrapper.module
        self.catalog = catalog
        self._bodies: dict[cst.CSTNode, _BodyWalker] = {}
        self._types: dict[cst.CSTNode, frozenset[str]] = {}
        self._attribute_types: dict[tuple[cst.ClassDef, str], frozenset[str]] = {}
        self._analyses: dict[type, Any] = {}

    def analysis(self, kind: type[_Analysis]) -> _Analysis:
        """A per-module analysis (built from this model on first use) shared by all rules."""
        if kind not in self._analyses:
            self._analyses[kind] = kind(self)  # type: ignore[call-arg]
        return self._analyses[kind]  # type: ignore[no-any-return]

    # -- raw metadata -------------------------------------------------------------------------

    @cached_property
    def _parents(self) -> Any:
        return self.wrapper.resolve(ParentNodeProvider)

    @cached_property
    def _scopes(self) -> Any:
        return self.wrapper.resolve(ScopeProvider)

    @cached_property
    def _qualified(self) -> Any:
        return self.wrapper.resolve(QualifiedNameProvider)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self._scopes.get(node)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # -- names --------------------------------------------------------------------------------

    def canonical(self, name: str) -> str:
        """Fold private submodules into their public module (`asyncio.tasks.x` -> `asyncio.x`)."""
        modules = self.catalog.canonical_modules
        for _ in range(_INFERENCE_DEPTH):  # a chain of foldings, bounded
            prefix = name
            while prefix and prefix not in modules:
                prefix = prefix.rpartition(".")[0]
            if not prefix:
                return name
            name = modules[prefix] + name[len(prefix):]
        return name

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        """Names of imported or builtin objects that ``node`` refers to, e.g. ``time.sleep``
        for ``nap`` after ``from time import sleep as nap``. Local names are left out."""
        names = _unwrap(self._qualified.get(node, ())) or ()
        return frozenset(
            self.canonical(qualified.name)
            for qualified in names
            if qualified.source in _RESOLVED_SOURCES
        )

    def call_names(self, call: cst.Call) -> frozenset[str]:
        """What a call can resolve to: its qualified names, plus ``Type.method`` when the
        receiver's type is known (``lock.acquire`` -> ``threading.Lock.acquire``)."""
        names = set(self.qualified_names(call.func))
        if isinstance(call.func, cst.Attribute):
            method = call.func.attr.value
            names.update(f"{owner}.{method}" for owner in self.infer_types(call.func.value))
        return frozenset(self.canonical(name) for name in names)

    def module_alias(self, module: str, at: cst.CSTNode) -> str | None:
        """The local name under which ``module`` is imported and visible at ``at``, if any."""
        scope = self.scope(at)
        if scope is None:
            return None
        for assignment in self.scope_of_module().assignments:
            node = getattr(assignment, "node", None)
            if isinstance(node, cst.Import):
                for alias in node.names:
                    if alias.evaluated_name == module:
                        local = alias.evaluated_alias or module
                        if self.binds_only_module(scope, local, module):
                            return local
        return None

    def binds_only_module(self, scope: Scope, local: str, module: str) -> bool:
        """True when every binding of ``local`` visible in ``scope`` is ``import module``."""
        assignments = scope[local]
        return bool(assignments) and all(
            isinstance(getattr(a, "node", None), cst.Import)
            and any(
                alias.evaluated_name == module and (alias.evaluated_alias or module) == local
                for alias in a.node.names
            )
            for a in assignments
        )

    def is_unbound(self, name: str, at: cst.CSTNode) -> bool:
        scope = self.scope(at)
        return scope is not None and not scope[name]

    def scope_of_module(self) -> Scope:
        scope = self.scope(self.module)
        assert scope is not None
        return scope

    # -- functions ----------------------------------------------------------------------------

    def enclosing_function(self, node: cst.CSTNode) -> FunctionNode | None:
        """The innermost ``def``/``async def``/``lambda`` whose body contains ``node``."""
        child = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.Lambda) and child is ancestor.body:
                return ancestor
            if isinstance(ancestor, cst.FunctionDef) and child is ancestor.body:
                return ancestor
            if isinstance(ancestor, cst.ClassDef) and child is ancestor.body:
                return None
            child = ancestor
        return None

    def in_main_guard(self, node: cst.CSTNode) -> bool:
        """True when ``node`` runs only as the main script: inside the body of
        ``if __name__ == "__main__":`` (or the ``else`` of ``if __name__ != "__main__":``)."""
        child = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.If):
                if child is ancestor.body and _is_main_test(ancestor.test, cst.Equal):
                    return True
                if child is ancestor.orelse and _is_main_test(ancestor.test, cst.NotEqual):
                    return True
            child = ancestor
        return False

    def enclosing_coroutine(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        """The ``async def`` that runs ``node`` directly (not through a nested def/lambda)."""
        function = self.enclosing_function(node)
        if isinstance(function, cst.FunctionDef) and function.asynchronous is not None:
            return function
        return None

    def enclosing_class(self, function: cst.FunctionDef) -> cst.ClassDef | None:
        parent = self.parent(function)
        grandparent = self.parent(parent) if parent is not None else None
        return grandparent if isinstance(grandparent, cst.ClassDef) else None

    def calls_in(self, function: FunctionNode) -> list[cst.Call]:
        return self._body(function).calls

    def is_generator(self, function: FunctionNode) -> bool:
        return self._body(function).yields

    def returns_value(self, function: FunctionNode) -> bool:
        """True when some ``return`` of the function's own body gives a value."""
        return self._body(function).returns_value

    def _body(self, function: FunctionNode) -> _BodyWalker:
        walker = self._bodies.get(function)
        if walker is None:
            walker = _BodyWalker()
            function.body.visit(walker)
            self._bodies[function] = walker
        return walker

    def has_transparent_decorators(self, function: cst.FunctionDef) -> bool:
        """True when no decorator could change what calling the function does."""
        return all(
            self.qualified_names(_decorator_callee(d.decorator)) & TRANSPARENT_DECORATORS
            for d in function.decorators
        )

    def self_name(self, function: cst.FunctionDef) -> str | None:
        """The name of the instance (or class) parameter of a method, if ``function`` is one."""
        if self.enclosing_class(function) is None or not function.params.params:
            return None
        if any(self.qualified_names(_decorator_callee(d.decorator)) & {"builtins.staticmethod"}
               for d in function.decorators):
            return None
        return function.params.params[0].name.value

    def resolve_function(self, call: cst.Call) -> cst.FunctionDef | None:
        """The single ``def`` of this module a call runs (see ``resolve_callee``)."""
        return self.resolve_callee(call.func)

    def resolve_callee(self, func: cst.BaseExpression) -> cst.FunctionDef | None:
        """The single ``def`` of this module that calling ``func`` runs: a plain name bound
        only to a def, or ``self.method`` inside a method of the class defining ``method``."""
        if isinstance(func, cst.Name):
            return self._function_bound_to(func)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            owner = self.enclosing_function(func)
            while isinstance(owner, cst.Lambda):
                owner = self.enclosing_function(owner)
            if owner is not None and func.value.value == self.self_name(owner):
                klass = self.enclosing_class(owner)
                if klass is not None:
                    return self.method_of(klass, func.attr.value)
        return None

    def _function_bound_to(self, name: cst.Name) -> cst.FunctionDef | None:
        node = self._single_binding(name)
        return node if isinstance(node, cst.FunctionDef) else None

    def class_bound_to(self, name: cst.Name) -> cst.ClassDef | None:
        """The ``class`` statement of this module that ``name`` refers to, if it is the only
        binding of the name."""
        node = self._single_binding(name)
        return node if isinstance(node, cst.ClassDef) else None

    def _single_binding(self, name: cst.Name) -> cst.CSTNode | None:
        """The node that binds ``name`` when exactly one binding is visible from it."""
        scope = self.scope(name)
        if scope is None:
            return None
        assignments = scope[name.value]
        if len(assignments) != 1:
            return None
        (assignment,) = assignments
        return getattr(assignment, "node", None)

    def single_assigned_value(self, name: cst.Name) -> cst.BaseExpression | None:
        """The value of ``name = value`` when that is the only binding of ``name``."""
        binding = self._single_binding(name)
        return self.assigned_value(binding) if binding is not None else None

    def assigned_value(self, target: cst.CSTNode) -> cst.BaseExpression | None:
        """The value a plain assignment gives ``target`` (``x = v`` or ``x: T = v``)."""
        parent = self.parent(target)
        if isinstance(parent, cst.AssignTarget) and parent.target is target:
            statement = self.parent(parent)
            if isinstance(statement, cst.Assign):
                return statement.value
        if isinstance(parent, cst.AnnAssign) and parent.target is target:
            return parent.value
        return None

    def is_container_value(self, value: cst.BaseExpression | None) -> bool:
        """A new mutable container: a list/dict/set display or comprehension, or a call of a
        catalog ``[containers]`` type (``dict()``, ``collections.Counter()``, ...)."""
        if isinstance(value, _CONTAINER_DISPLAYS):
            return True
        return isinstance(value, cst.Call) and bool(
            self.qualified_names(value.func) & self.catalog.names("containers")
        )

    def class_of_instance(self, expression: cst.BaseExpression) -> cst.ClassDef | None:
        """The class of this module that ``expression`` is an instance of: ``Klass(...)``, or a
        name whose only binding is ``name = Klass(...)``."""
        if isinstance(expression, cst.Name):
            expression = self.single_assigned_value(expression)
        if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Name):
            return self.class_bound_to(expression.func)
        return None

    def resolve_instance_method(self, func: cst.BaseExpression) -> cst.FunctionDef | None:
        """``obj.method`` or ``Klass(...).method`` for a class of this module: that method."""
        if isinstance(func, cst.Attribute):
            klass = self.class_of_instance(func.value)
            if klass is not None:
                return self.method_of(klass, func.attr.value)
        return None

    def method_of(self, klass: cst.ClassDef, name: str) -> cst.FunctionDef | None:
        """The one method called ``name`` defined in the body of ``klass`` (None if ambiguous)."""
        found = [
            statement
            for statement in klass.body.body
            if isinstance(statement, cst.FunctionDef) and statement.name.value == name
        ]
        return found[0] if len(found) == 1 else None

    # -- types --------------------------------------------------------------------------------

    def infer_types(self, expression: cst.BaseExpression, depth: int = 0) -> frozenset[str]:
        """Catalog types ``expression`` may hold; empty when unknown. Every binding of a name
        must agree on a known type, so an unknown binding makes the answer unknown."""
        if depth > _INFERENCE_DEPTH:
            return frozenset()
        cached = self._types.get(expression)
        if cached is None:
            cached = frozenset(self.canonical(t) for t in self._infer(expression, depth))
            self._types[expression] = cached
        return cached

    def _infer(self, expression: cst.BaseExpression, depth: int) -> Iterable[str]:
        if isinstance(expression, cst.Call):
            return self._call_result_types(expression)
        if isinstance(expression, cst.Name):
            return self._name_types(expression, depth)
        if isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Name):
            return self._self_attribute_types(expression, depth)
        return ()

    def _call_result_types(self, call: cst.Call) -> set[str]:
        types: set[str] = set()
        for name in self.call_names(call):
            if name in self.catalog.returns:
                types.add(self.catalog.returns[name])
            elif name in self.catalog.known_types:
                types.add(name)
        return types

    def _name_types(self, name: cst.Name, depth: int) -> set[str]:
        scope = self.scope(name)
        if scope is None:
            return set()
        assignments = scope[name.value]
        types: set[str] = set()
        for assignment in assignments:
            if not isinstance(assignment, Assignment):
                return set()
            found = self._binding_types(assignment.node, depth)
            if not found:
                return set()
            types |= found
        return types

    def _binding_types(self, target: cst.CSTNode, depth: int) -> frozenset[str]:
        """The types a binding site gives its name: ``x = T()``, ``x: T``, ``with T() as x``."""
        value = self.assigned_value(target)
        if value is not None:
            return self.infer_types(value, depth + 1)
        parent = self.parent(target)
        if isinstance(parent, cst.AnnAssign) and parent.target is target:
            return self._annotation_types(parent.annotation)
        if isinstance(target, cst.Param) and target.annotation is not None:
            return self._annotation_types(target.annotation)
        if isinstance(parent, cst.AsName) and parent.name is target:
            item = self.parent(parent)
            if isinstance(item, cst.WithItem):
                return self.infer_types(item.item, depth + 1) - _ENTER_RETURNS_OTHER
        return frozenset()

    def _annotation_types(self, annotation: cst.Annotation) -> frozenset[str]:
        return frozenset(
            name
            for name in self.qualified_names(annotation.annotation)
            if name in self.catalog.known_types
        )

    def _self_attribute_types(self, attribute: cst.Attribute, depth: int) -> set[str]:
        receiver = attribute.value
        assert isinstance(receiver, cst.Name)
        function = self.enclosing_function(attribute)
        if not isinstance(function, cst.FunctionDef) or receiver.value != self.self_name(function):
            return set()
        klass = self.enclosing_class(function)
        assert klass is not None
        key = (klass, attribute.attr.value)
        if key not in self._attribute_types:
            self._attribute_types[key] = frozenset()  # guards against recursion
            self._attribute_types[key] = self._attribute_values_types(klass, key[1], depth)
        return set(self._attribute_types[key])

    def _attribute_values_types(self, klass: cst.ClassDef, attr: str, depth: int) -> frozenset[str]:
        values = list(self.attribute_assignments(klass, attr))
        types: set[str] = set()
        for value in values:
            found = self.infer_types(value, depth + 1)
            if not found:
                return frozenset()
            types |= found
        return frozenset(types)

    def attribute_assignments(self, klass: cst.ClassDef, attr: str) -> Iterator[cst.BaseExpression]:
        """Values assigned to ``self.<attr>`` in the methods of ``klass`` and to ``attr`` in
        its body."""
        for statement in klass.body.body:
            if isinstance(statement, cst.FunctionDef):
                self_name = self.self_name(statement)
                if self_name is not None:
                    yield from _self_assignments(statement, self_name, attr)
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign):
                        for target in small.targets:
                            if isinstance(target.target, cst.Name) and target.target.value == attr:
                                yield small.value


class _SelfAssignments(cst.CSTVisitor):
    def __init__(self, self_name: str, attr: str) -> None:
        self.self_name = self_name
        self.attr = attr
        self.values: list[cst.BaseExpression] = []

    def _matches(self, target: cst.BaseExpression) -> bool:
        return (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == self.self_name
            and target.attr.value == self.attr
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(self._matches(target.target) for target in node.targets):
            self.values.append(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and self._matches(node.target):
            self.values.append(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _self_assignments(function: cst.FunctionDef, self_name: str, attr: str) -> list[cst.BaseExpression]:
    visitor = _SelfAssignments(self_name, attr)
    function.body.visit(visitor)
    return visitor.values


def _is_main_test(test: cst.BaseExpression, operator: type[cst.BaseCompOp]) -> bool:
    """``__name__ == "__main__"`` (either way round, or one side of an ``and`` for ``==``)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return operator is cst.Equal and (
            _is_main_test(test.left, operator) or _is_main_test(test.right, operator)
        )
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    comparison = test.comparisons[0]
    if not isinstance(comparison.operator, operator):
        return False
    sides = {_main_side(test.left), _main_side(comparison.comparator)}
    return sides == {"name", "main"}


def _main_side(expression: cst.BaseExpression) -> str | None:
    if isinstance(expression, cst.Name) and expression.value == "__name__":
        return "name"
    if isinstance(expression, cst.SimpleString) and expression.evaluated_value == "__main__":
        return "main"
    return None


def _decorator_callee(decorator: cst.BaseExpression) -> cst.BaseExpression:
    return decorator.func if isinstance(decorator, cst.Call) else decorator
