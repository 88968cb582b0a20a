"""One parsed module seen through libcst metadata: names, scopes, functions and types.

Rules ask this model questions ("what does this call resolve to?", "which function am I
in?") instead of matching syntax. Answers are memoized per module, so several rules asking
the same question pay once.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeGuard, TypeVar, cast

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    Assignment,
    GlobalScope,
    MetadataWrapper,
    QualifiedName,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from concurlint import guards
from concurlint.fragments import FRAGMENT_MODULES
from concurlint.limits import parse_quietly
from concurlint.model import walk
from concurlint.model.catalog import Catalog
from concurlint.project import NO_FACTS, FileFacts
from concurlint.summary_classes import METHODLESS_BASES, ClassFacts, ProjectMethod

FunctionNode = cst.FunctionDef | cst.Lambda
_Analysis = TypeVar("_Analysis")
_Node = TypeVar("_Node", bound=cst.CSTNode)
_RESOLVED_SOURCES = (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)
_INFERENCE_DEPTH = 6
# Whether a class chain defines a name, and what: a ``def`` of this module, a coroutine
# method of another module, or None (anything else, or unknown).
_Found = tuple[bool, "cst.FunctionDef | ProjectMethod | None"]
_CONTAINER_DISPLAYS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)
# `with lock as x` binds the result of acquire() (a bool), not the lock.
_ENTER_RETURNS_OTHER = frozenset(
    {"threading.Lock", "threading.RLock", "threading.Semaphore", "threading.Condition"}
)
# Decorators that leave a function's call behaviour as it is.
TRANSPARENT_DECORATORS = frozenset(
    {
        "builtins.staticmethod", "builtins.classmethod", "functools.cache",
        "functools.lru_cache", "functools.wraps", "abc.abstractmethod", "typing.override",
        "typing_extensions.override",
    }
)
# Annotation wrappers whose members are the possible types (`Optional[T]`, `Union[T, U]`).
# Generic forms whose first parameter is what the annotated name holds.
_QUALIFIER_FORMS = frozenset({
    "typing.Final", "typing.ClassVar", "typing.Annotated", "typing_extensions.Final",
    "typing_extensions.Annotated",
})
# Generic forms that declare a class object rather than an instance.
_CLASS_FORMS = frozenset({"builtins.type", "typing.Type", "typing_extensions.Type"})
_UNION_FORMS = frozenset(
    {"typing.Optional", "typing.Union", "typing_extensions.Optional", "typing_extensions.Union"}
)
# Decorators that turn a method into an attribute whose value is what the method returns.
_PROPERTIES = frozenset({"builtins.property", "functools.cached_property"})
# Bases whose methods only declare what implementations provide.
_DECLARING_BASES = frozenset(
    {"typing.Protocol", "typing_extensions.Protocol", "abc.ABC"}
)
_ABSTRACT = frozenset({"abc.abstractmethod"})
# Prefix of the type name given to instances of classes defined in the linted module.
LOCAL_TYPE_PREFIX = "<local>."


_TYPE_CHECKING = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})


def parameter_names(function: cst.FunctionDef) -> set[str]:
    """Every name ``function`` takes as a parameter (``*args`` and ``**kwargs`` too)."""
    params = function.params
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    found.extend(p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param))
    return {param.name.value for param in found}


def is_preamble(
    statement: cst.CSTNode, module: cst.Module
) -> TypeGuard[cst.SimpleStatementLine]:
    """The module docstring or a ``from __future__`` import: code that must stay first."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom):
        return isinstance(small.module, cst.Name) and small.module.value == "__future__"
    return (
        statement is module.body[0]
        and isinstance(small, cst.Expr)
        and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString))
    )


@dataclass
class _Body:
    """The calls, ``with`` items, returns and yields of one function body, not of nested
    functions/classes. ``sites`` keeps calls and synchronous ``with`` items in source
    order: both run code (``__enter__``) in the function's frame."""

    calls: list[cst.Call] = field(default_factory=list)
    sites: list[cst.Call | cst.WithItem] = field(default_factory=list)
    returns: list[cst.Return] = field(default_factory=list)
    yields: bool = False
    returns_value: bool = False

    @classmethod
    def of(cls, body: cst.CSTNode) -> _Body:
        found = cls()
        for node in (body, *walk.descendants(body, (cst.FunctionDef, cst.ClassDef))):
            if isinstance(node, cst.Call):
                found.calls.append(node)
                found.sites.append(node)
            elif isinstance(node, cst.With) and node.asynchronous is None:
                found.sites.extend(node.items)
            elif isinstance(node, cst.Return):
                found.returns.append(node)
                found.returns_value = found.returns_value or node.value is not None
            elif isinstance(node, cst.Yield):
                found.yields = True
        return found


class ModuleModel:
    """Metadata-backed answers about one module. Built once per file by the engine."""

    def __init__(
        self, wrapper: MetadataWrapper, catalog: Catalog, project: FileFacts = NO_FACTS
    ) -> None:
        self.wrapper = wrapper
        self.module = wrapper.module
        self.catalog = catalog
        self.project = project  # what the other modules of the project say about imports
        self._bodies: dict[cst.CSTNode, _Body] = {}
        self._types: dict[cst.CSTNode, frozenset[str]] = {}
        self._attribute_types: dict[tuple[cst.ClassDef, str], frozenset[str]] = {}
        self._local_classes: dict[str, cst.ClassDef] = {}
        self._attributes: dict[cst.ClassDef, _Attributes] = {}
        self._wrapping: dict[cst.FunctionDef, bool] = {}
        self._analyses: dict[Callable[[ModuleModel], object], object] = {}
        self._qualified: dict[cst.CSTNode, frozenset[str]] = {}
        self._of_kinds: dict[tuple[type[cst.CSTNode], ...], list[cst.CSTNode]] = {}
        self._truths: dict[cst.BaseExpression, bool | None] = {}

    def analysis(self, kind: Callable[[ModuleModel], _Analysis]) -> _Analysis:
        """A per-module analysis (built from this model on first use) shared by all rules."""
        if kind not in self._analyses:
            self._analyses[kind] = kind(self)
        return cast(_Analysis, self._analyses[kind])  # stored under its own class just above

    # -- raw metadata -------------------------------------------------------------------------

    @cached_property
    def syntax_tree(self) -> ast.Module:
        """The module read with Python's ``ast``, for the analyses that share the project
        summaries' reading of it (parsed once per model, however many ask)."""
        return parse_quietly(self.module.code)

    @cached_property
    def _walked(self) -> tuple[dict[cst.CSTNode, cst.CSTNode], list[cst.CSTNode]]:
        return walk.parents_and_order(self.module)

    @property
    def _parents(self) -> dict[cst.CSTNode, cst.CSTNode]:
        return self._walked[0]

    def visit_batched(self, visitors: Sequence[cst.BatchableCSTVisitor]) -> None:
        """Run the visitors' ``visit_<Node>``/``leave_<Node>`` methods over the module, from
        the model's own walk (``model.walk.visit_batched``): the tree is walked once."""
        parents, order = self._walked
        walk.visit_batched(order, parents, visitors)

    def nodes(self, *kinds: type[_Node]) -> list[_Node]:
        """Every node of the module of one of ``kinds``, in visit (source) order."""
        if kinds not in self._of_kinds:
            # one subclass test per node type, not an (abc) isinstance test per node
            wanted = {kind: issubclass(kind, kinds) for kind in self._node_types}
            self._of_kinds[kinds] = [node for node in self._walked[1] if wanted[type(node)]]
        return cast("list[_Node]", self._of_kinds[kinds])  # filtered by ``kinds`` just above

    @cached_property
    def _node_types(self) -> frozenset[type[cst.CSTNode]]:
        return frozenset(map(type, self._walked[1]))

    @cached_property
    def _scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        with walk.read_only_visits():  # libcst's scopes, from three walks that rebuild nothing
            return self.wrapper.resolve(ScopeProvider)

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
        return self.catalog.canonical(name)

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        """Names of imported or builtin objects that ``node`` refers to, e.g. ``time.sleep``
        for ``nap`` after ``from time import sleep as nap``. Local names are left out."""
        if isinstance(node, cst.Attribute) and not _is_dotted_name(node):
            return frozenset()  # libcst names `open(p).read` after `open`: not a name at all
        names = self._qualified.get(node)
        if names is None:
            names = frozenset(
                self.canonical(qualified.name)
                for qualified in self._qualified_names(node)
                if qualified.source in _RESOLVED_SOURCES
            )
            self._qualified[node] = names
        return names

    def _qualified_names(self, node: cst.CSTNode) -> Iterable[QualifiedName]:
        """What ``QualifiedNameProvider`` would give, computed for this node only: the
        provider asks the node's scope for every node of the module."""
        scope = self.scope(node)
        if scope is None:
            return ()
        names = scope.get_qualified_names_for(node)
        if names or not isinstance(node, (cst.Name, cst.Attribute)):
            return names
        return self._implicit_names(get_full_name_for_node(node))

    def _implicit_names(self, dotted: str | None) -> set[QualifiedName]:
        """A dotted name headed by a module a fragment uses without importing it
        (``threading.Thread`` with no ``import threading``): that module's name, when the
        head is bound in no scope of the file (``concurlint.fragments``)."""
        head = dotted.partition(".")[0] if dotted else ""
        if dotted is None or head not in FRAGMENT_MODULES or head in self._bound_anywhere:
            return set()
        return {QualifiedName(dotted, QualifiedNameSource.IMPORT)}

    @cached_property
    def _bound_anywhere(self) -> frozenset[str]:
        """Every name bound in some scope of the module."""
        scopes = {scope for scope in self._scopes.values() if scope is not None}
        return frozenset(assignment.name for scope in scopes for assignment in scope.assignments)

    def call_names(self, call: cst.Call) -> frozenset[str]:
        """What a call can resolve to: its qualified names, plus ``Type.method`` when the
        receiver's type is known (``lock.acquire`` -> ``threading.Lock.acquire``) and is no
        class of this module."""
        return self.callable_names(call.func)

    def callable_names(self, expression: cst.BaseExpression) -> frozenset[str]:
        """What a callable expression (called or passed along) can resolve to."""
        names = set(self.qualified_names(expression))
        if isinstance(expression, cst.Name) and not names:
            names.update(self._alias_target_names(expression))
        if isinstance(expression, cst.Attribute):
            method = expression.attr.value
            owners = self.infer_types(expression.value)
            own = self.receiver_class(expression.value)
            klass = own or self._super_class(expression.value)
            if klass is not None:
                # A class of this module runs its own methods, else (and through `super()`)
                # those it inherits from catalog types.
                if own is None or self.method_of(klass, method) is None:
                    names.update(f"{base}.{method}" for base in self.catalog_bases(klass))
            elif not any(owner.startswith(LOCAL_TYPE_PREFIX) for owner in owners):
                names.update(f"{owner}.{method}" for owner in owners)
        return frozenset(self.canonical(name) for name in names)

    def _super_class(self, receiver: cst.BaseExpression) -> cst.ClassDef | None:
        """The class whose method calls ``super()``: its bases' methods run."""
        if not (
            isinstance(receiver, cst.Call)
            and "builtins.super" in self.qualified_names(receiver.func)
        ):
            return None
        function = self.enclosing_function(receiver)
        return self.enclosing_class(function) if isinstance(function, cst.FunctionDef) else None

    def catalog_bases(self, klass: cst.ClassDef, depth: int = 0) -> frozenset[str]:
        """Catalog types a class of this module derives from, directly or through its
        other bases of this module (``class Worker(threading.Thread)``)."""
        bases: set[str] = set()
        for base in klass.bases:
            if base.keyword is not None or depth > _INFERENCE_DEPTH:
                continue
            bases.update(self.qualified_names(base.value) & self.catalog.known_types)
            if isinstance(base.value, cst.Name):
                parent = self.definition_bound_to(base.value.value, klass)
                if isinstance(parent, cst.ClassDef):
                    bases.update(self.catalog_bases(parent, depth + 1))
        return frozenset(bases)

    def assigned_value(self, target: cst.CSTNode | None) -> cst.BaseExpression | None:
        """The value of ``target = value`` (or ``target: T = value``) when ``target`` is a
        whole assignment target."""
        parent = self.parent(target) if target is not None else None
        if isinstance(parent, cst.AnnAssign) and parent.target is target:
            return parent.value
        if not isinstance(parent, cst.AssignTarget) or parent.target is not target:
            return None
        statement = self.parent(parent)
        return statement.value if isinstance(statement, cst.Assign) else None

    def _alias_target_names(self, name: cst.Name) -> frozenset[str]:
        """Names of what a variable bound once to another callable calls:
        ``fetch = requests.get`` or ``fetch = functools.partial(requests.get, timeout=5)``."""
        value = self.single_assigned_value(name)
        if value is None:
            return frozenset()
        if (
            isinstance(value, cst.Call)
            and value.args
            and value.args[0].keyword is None
            and not value.args[0].star
            and "functools.partial" in self.qualified_names(value.func)
        ):
            value = value.args[0].value
        return self.qualified_names(value) if _is_dotted_name(value) else frozenset()

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
            isinstance(a, Assignment)
            and isinstance(a.node, cst.Import)
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

    def runs_at_import(self, node: cst.CSTNode) -> bool:
        """True when ``node`` runs while the module is imported: outside every function body
        and not in the body of ``if TYPE_CHECKING:``."""
        if self.enclosing_function(node) is not None:
            return False
        child = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.If) and child is ancestor.body and self._is_type_checking(
                ancestor.test
            ):
                return False
            child = ancestor
        return True

    def never_runs(self, node: cst.CSTNode, arguments: guards.Arguments = ()) -> bool:
        """True when ``node`` sits in a branch that cannot run: under ``if False:``, the
        ``else`` of ``if True:``, ``if TYPE_CHECKING:``, a test of a module constant never
        rebound, a ``while`` whose test is always false or a ``for`` that never iterates
        (decided by ``concurlint.guards``, as in module summaries). ``arguments`` are the
        literals one call passes to the function holding ``node``: its parameters' values
        for that call."""
        child = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
                arguments = ()  # outside the function, its parameters are not in scope
            elif isinstance(ancestor, cst.If | cst.IfExp | cst.While) and (
                child is not ancestor.test
            ):
                truth = self._truth(ancestor.test, arguments)
                if isinstance(ancestor, cst.While):
                    if truth is False and child is ancestor.body:
                        return True
                elif truth is not None and (child is ancestor.orelse) == truth:
                    return True
            elif isinstance(ancestor, cst.For) and child is ancestor.body and (
                guards.source_never_iterates(
                    self.code(ancestor.iter), self._constants(ancestor.iter, arguments)
                )
            ):
                return True
            child = ancestor
        return False

    def _truth(self, test: cst.BaseExpression, arguments: guards.Arguments) -> bool | None:
        if arguments:
            return guards.source_truth(self.code(test), self._constants(test, arguments))
        if test not in self._truths:
            self._truths[test] = guards.source_truth(self.code(test), self._constants(test, ()))
        return self._truths[test]

    def _constants(self, at: cst.CSTNode, arguments: guards.Arguments) -> guards.Constants:
        """Module constants at ``at``, and the parameters a call fixes (``arguments``)."""
        fixed = dict(arguments)
        return lambda name: fixed[name] if name in fixed else self._constant(name, at)

    def _constant(self, name: str, at: cst.CSTNode) -> object:
        """The literal a module-level name is bound to at ``at``, when that is its only
        binding anywhere (no ``global`` rebinds it), else ``guards.UNKNOWN``."""
        scope = self.scope(at)
        assignments = list(scope[name]) if scope is not None else []
        if len(assignments) != 1 or not isinstance(assignments[0].scope, GlobalScope):
            return guards.UNKNOWN
        value = self.assigned_value(getattr(assignments[0], "node", None))
        if value is None:
            return guards.UNKNOWN
        try:
            return guards.literal_value(ast.parse(self.code(value).strip(), mode="eval").body)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return guards.UNKNOWN

    def _is_type_checking(self, test: cst.BaseExpression) -> bool:
        if isinstance(test, cst.Name) and test.value == "TYPE_CHECKING":
            return True
        return bool(self.qualified_names(test) & _TYPE_CHECKING)

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

    def sites_in(self, function: FunctionNode) -> list[cst.Call | cst.WithItem]:
        """Calls and synchronous ``with`` items the function's own body runs, in order."""
        return self._body(function).sites

    def returns_in(self, function: FunctionNode) -> list[cst.Return]:
        """The ``return`` statements of the function's own body."""
        return self._body(function).returns

    def is_generator(self, function: FunctionNode) -> bool:
        return self._body(function).yields

    def returns_value(self, function: FunctionNode) -> bool:
        """True when some ``return`` of the function's own body gives a value."""
        return self._body(function).returns_value

    def _body(self, function: FunctionNode) -> _Body:
        if function not in self._bodies:
            self._bodies[function] = _Body.of(function.body)
        return self._bodies[function]

    def has_transparent_decorators(self, function: cst.FunctionDef) -> bool:
        """True when no decorator could change what calling the function does: known ones,
        and decorators of this module whose wrapper calls the function in the caller's
        thread (``@retry``, ``@retry(times=3)``)."""
        return all(
            self.qualified_names(_decorator_callee(d.decorator)) & TRANSPARENT_DECORATORS
            or self._is_wrapping_decorator(d.decorator)
            for d in function.decorators
        )

    def _is_wrapping_decorator(self, decorator: cst.BaseExpression) -> bool:
        callee = _decorator_callee(decorator)
        if not isinstance(callee, cst.Name):
            return False
        outer = self.definition_bound_to(callee.value, callee)
        if isinstance(decorator, cst.Call) and isinstance(outer, cst.FunctionDef):
            outer = self._returned_def(outer)  # a factory: `@retry(times=3)`
        return isinstance(outer, cst.FunctionDef) and self._wraps_by_calling(outer)

    def _wraps_by_calling(self, decorator: cst.FunctionDef) -> bool:
        """``def deco(fn): def wrapper(*a): ... fn(*a) ...; return wrapper`` with a plain
        ``wrapper`` that calls the parameter ``fn`` itself."""
        if decorator in self._wrapping:
            return self._wrapping[decorator]
        self._wrapping[decorator] = False  # a decorator that decorates its own wrapper
        params = decorator.params.params
        wrapper = self._returned_def(decorator)
        if decorator.asynchronous is None and params and wrapper is not None:
            wrapped = params[0]
            self._wrapping[decorator] = (
                wrapper.asynchronous is None
                and self.has_transparent_decorators(wrapper)
                and any(
                    isinstance(call.func, cst.Name)
                    and any(
                        getattr(a, "node", None) is wrapped
                        for a in self._assignments_of(call.func)
                    )
                    for call in self.calls_in(wrapper)
                )
            )
        return self._wrapping[decorator]

    def _returned_def(self, function: cst.FunctionDef) -> cst.FunctionDef | None:
        """The nested ``def`` a function returns by name (``return wrapper``), if that is
        all it returns."""
        values = self.returned_values(function)
        if len(values) != 1 or not isinstance(values[0], cst.Name):
            return None
        bound = self.definition_bound_to(values[0].value, values[0])
        return bound if isinstance(bound, cst.FunctionDef) else None

    def _assignments_of(self, name: cst.Name) -> Iterable[object]:
        scope = self.scope(name)
        return scope[name.value] if scope is not None else ()

    def is_declaration(self, function: cst.FunctionDef) -> bool:
        """A method that only declares a signature for implementations to provide: a stub
        body (a docstring, ``...``, ``pass``, ``raise NotImplementedError``) that is
        abstract or belongs to a ``Protocol`` or an abstract base."""
        klass = self.enclosing_class(function)
        if klass is None or not all(map(_is_stub, _statements(function.body))):
            return False
        if any(self.qualified_names(_decorator_callee(d.decorator)) & _ABSTRACT
               for d in function.decorators):
            return True
        bases = {
            name
            for base in klass.bases
            for name in self.qualified_names(
                base.value.value if isinstance(base.value, cst.Subscript) else base.value
            )
        }
        return bool(bases & _DECLARING_BASES) or any(
            arg.keyword is not None and arg.keyword.value == "metaclass"
            and self.qualified_names(arg.value) & {"abc.ABCMeta"}
            for arg in (*klass.bases, *klass.keywords)
        )

    def self_name(self, function: cst.FunctionDef) -> str | None:
        """The name of the instance (or class) parameter of a method, if ``function`` is one."""
        if self.enclosing_class(function) is None or not function.params.params:
            return None
        if any(self.qualified_names(_decorator_callee(d.decorator)) & {"builtins.staticmethod"}
               for d in function.decorators):
            return None
        return function.params.params[0].name.value

    def resolve_function(self, call: cst.Call, depth: int = 0) -> cst.FunctionDef | None:
        """The single ``def`` of this module a call runs (see ``resolve_callee``)."""
        return self.resolve_callee(call.func, depth)

    def resolve_callee(self, func: cst.BaseExpression, depth: int = 0) -> cst.FunctionDef | None:
        """The single ``def`` of this module that calling ``func`` runs: a plain name bound
        only to a def, or ``receiver.method`` where the receiver is ``self`` inside a method or
        an instance of a class of this module (``Store().save``, ``self.store.save``)."""
        if isinstance(func, cst.Name):
            bound = self.definition_bound_to(func.value, func)
            return bound if isinstance(bound, cst.FunctionDef) else None
        if isinstance(func, cst.Attribute):
            klass = self.receiver_class(func.value, depth)
            if klass is not None:
                return self.method_of(klass, func.attr.value)
            heir = self._super_class(func.value)
            if heir is not None:  # `super().save()`: the first base defining it
                found = self._method_in_bases(heir, func.attr.value)[1]
                return found if isinstance(found, cst.FunctionDef) else None
        return None

    def project_coroutine(self, func: cst.BaseExpression) -> ProjectMethod | None:
        """The coroutine method of another module's class that calling ``receiver.method``
        runs: through ``super()``, through the bases of a class of this module
        (``self.update()`` inherited), or on an instance of a project class
        (``Bday(bot).initialize()``, a parameter annotated with one)."""
        if not isinstance(func, cst.Attribute) or not self.project.classes:
            return None
        method = func.attr.value
        heir = self._super_class(func.value)
        own = self.receiver_class(func.value) if heir is None else None
        if heir is not None:
            found = self._method_in_bases(heir, method)[1]
        elif own is not None:
            found = self._method_in_class(own, method)[1]
        else:
            types = self.infer_types(func.value)
            facts = self.project.project_class(types) if len(types) == 1 else None
            found = facts.lookup(method)[1] if facts is not None else None
        return found if isinstance(found, ProjectMethod) else None

    def _method_in_class(self, klass: cst.ClassDef, name: str, depth: int = 0) -> _Found:
        """What ``klass`` (of this module) runs for ``name``: nothing known when an
        attribute of that name hides it (``self.update = debounce(self.update)``), else its
        own single ``def``, else the first base defining it, depth first, left to right."""
        if name in self._class_attributes(klass).values or depth > _INFERENCE_DEPTH:
            return True, None  # an attribute hides it, or the chain is too deep to follow
        own = [s for s in klass.body.body if isinstance(s, cst.FunctionDef)
               and s.name.value == name]
        if own:
            return True, own[0] if len(own) == 1 else None
        return self._method_in_bases(klass, name, depth)

    def _method_in_bases(self, klass: cst.ClassDef, name: str, depth: int = 0) -> _Found:
        """The first base of ``klass`` that defines ``name``: a ``def`` of this module or
        another module's coroutine method (None: something else)."""
        for base in self._bases(klass):
            if base is None:
                return True, None
            found = (self._method_in_class(base, name, depth + 1)
                     if isinstance(base, cst.ClassDef) else base.lookup(name))
            if found[0]:
                return found
        return False, None

    def _bases(self, klass: cst.ClassDef) -> Iterator[cst.ClassDef | ClassFacts | None]:
        """The bases of ``klass`` in order, as classes of this module or method tables of
        the project; None for a base that neither shows (it may define anything), after
        which the search stops. ``object``, ``Generic``, ``Protocol``, ``ABC`` define
        nothing and are skipped."""
        for base in klass.bases:
            if base.keyword is not None:
                continue
            value = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            local = (self.definition_bound_to(value.value, klass)
                     if isinstance(value, cst.Name) else None)
            if isinstance(local, cst.ClassDef):
                yield local
                continue
            names = self.qualified_names(value)
            if not (names and names <= METHODLESS_BASES):
                yield self.project.project_class(names)

    def class_bound_to(self, name: cst.Name) -> cst.ClassDef | None:
        """The ``class`` statement of this module that ``name`` refers to, if it is the only
        binding of the name."""
        bound = self.definition_bound_to(name.value, name)
        return bound if isinstance(bound, cst.ClassDef) else None

    def single_assigned_value(self, name: cst.Name) -> cst.BaseExpression | None:
        """The value of ``name = value`` when that is the only binding of ``name``."""
        scope = self.scope(name)
        assignments = scope[name.value] if scope is not None else ()
        if len(assignments) != 1:
            return None
        (assignment,) = assignments
        return self.assigned_value(getattr(assignment, "node", None))

    def definition_bound_to(self, name: str, at: cst.CSTNode) -> cst.CSTNode | None:
        """The ``def`` or ``class`` statement that is the only binding of ``name`` at ``at``."""
        scope = self.scope(at)
        return _definition_in(scope, name) if scope is not None else None

    def constructed_class(self, call: cst.Call) -> cst.ClassDef | None:
        """The class of this module that ``call`` instantiates (``Store()``, or a generic
        class given its parameters, ``Store[int]()``), if any."""
        func = _unparametrized(call.func)
        if not isinstance(func, cst.Name):
            return None
        bound = self.definition_bound_to(func.value, func)
        return bound if isinstance(bound, cst.ClassDef) else None

    def receiver_class(self, receiver: cst.BaseExpression, depth: int = 0) -> cst.ClassDef | None:
        """The class of this module whose instance ``receiver`` holds (or that it names):
        the enclosing class for a method's ``self``/``cls``, a class named directly, else the
        one local type inferred for it."""
        if _is_class_of_instance(receiver):  # `self.__class__._pool`: the class of `self`
            assert isinstance(receiver, cst.Attribute)
            return self.receiver_class(receiver.value, depth)
        if isinstance(receiver, cst.Name):
            owner = self.enclosing_function(receiver)
            while isinstance(owner, cst.Lambda):
                owner = self.enclosing_function(owner)
            if isinstance(owner, cst.FunctionDef) and receiver.value == self.self_name(owner):
                return self.enclosing_class(owner)
            bound = self.definition_bound_to(receiver.value, receiver)
            if isinstance(bound, cst.ClassDef):
                return bound  # `Store.load()`: a static or class method, or an explicit self
        types = self.infer_types(receiver, depth + 1)
        if len(types) == 1:
            return self._local_classes.get(next(iter(types)))
        return None

    def is_container_value(self, value: cst.BaseExpression | None) -> bool:
        """A new mutable container: a list/dict/set display or comprehension, or a call of a
        catalog ``[containers]`` type (``dict()``, ``collections.Counter()``, ...)."""
        if isinstance(value, _CONTAINER_DISPLAYS):
            return True
        return isinstance(value, cst.Call) and bool(
            self.qualified_names(value.func) & self.catalog.names("containers")
        )

    def class_of_instance(self, expression: cst.BaseExpression | None) -> cst.ClassDef | None:
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
        """The one ``def`` of this module that ``name`` runs on ``klass``: in its body (None
        if ambiguous or hidden by an attribute), else in its bases, depth first, left to
        right, up to a base that may define anything (``_method_in_class``)."""
        found = self._method_in_class(klass, name)[1]
        return found if isinstance(found, cst.FunctionDef) else None

    def local_type(self, klass: cst.ClassDef) -> str:
        """The type name the model gives instances of ``klass`` (a class of this module)."""
        name = f"{LOCAL_TYPE_PREFIX}{klass.name.value}#{id(klass)}"
        self._local_classes[name] = klass
        return name

    def returned_values(self, function: cst.FunctionDef) -> list[cst.BaseExpression]:
        """The expressions the function's own ``return`` statements give back."""
        return [r.value for r in self._body(function).returns if r.value is not None]

    # -- types --------------------------------------------------------------------------------

    def infer_types(self, expression: cst.BaseExpression, depth: int = 0) -> frozenset[str]:
        """Types ``expression`` may hold: catalog types, or ``local_type`` names for classes
        of this module; empty when unknown. Every binding of a name must agree on a known
        type, so an unknown binding makes the answer unknown."""
        if depth > _INFERENCE_DEPTH:
            return frozenset()
        cached = self._types.get(expression)
        if cached is None:
            # A cycle (`x = x.next()` asks for x's type again through call_names) finds the
            # placeholder and ends as unknown instead of recursing without bound.
            self._types[expression] = frozenset()
            cached = frozenset(self.canonical(t) for t in self._infer(expression, depth))
            self._types[expression] = cached
        return cached

    def _infer(self, expression: cst.BaseExpression, depth: int) -> Iterable[str]:
        if isinstance(expression, cst.Call):
            return self._call_result_types(expression, depth)
        if isinstance(expression, cst.Name):
            return self._name_types(expression, depth)
        if isinstance(expression, cst.Attribute):
            return self._attribute_types_of(expression, depth) or self._returned_by(
                expression.value, expression.attr.value, depth
            )
        if isinstance(expression, cst.BinaryOperation) and isinstance(
            expression.operator, cst.Divide
        ):
            return self._returned_by(expression.left, "__truediv__", depth)
        if isinstance(expression, cst.Await):
            awaited = self.awaited_types(expression)
            return awaited[0] if len(awaited) == 1 else ()
        if isinstance(expression, cst.IfExp):  # `Path(p) if local else None`
            return self._agreed_types([expression.body, expression.orelse], depth)
        return ()

    def awaited_types(self, expression: cst.Await) -> tuple[frozenset[str], ...]:
        """What ``await f(...)`` gives, by catalog: one type set, or one per tuple element."""
        call = expression.expression
        if not isinstance(call, cst.Call):
            return ()
        found = {self.catalog.awaits[n] for n in self.call_names(call) if n in self.catalog.awaits}
        if len(found) != 1:
            return ()
        return tuple(frozenset({self.canonical(t)}) for t in found.pop())

    def _returned_by(self, owner: cst.BaseExpression, member: str, depth: int) -> set[str]:
        """Catalog types of ``owner.member`` (a property) or ``owner / x``
        (``__truediv__``): ``path.parent`` and ``path / "name"`` are paths."""
        returns = self.catalog.returns
        return {
            returns[f"{t}.{member}"]
            for t in self.infer_types(owner, depth + 1)
            if f"{t}.{member}" in returns
        }

    def _call_result_types(self, call: cst.Call, depth: int) -> set[str]:
        """Catalog types a call returns or constructs; an instance of a class of this module;
        or what a function of this module returns."""
        types: set[str] = set()
        for name in self.call_names(call):
            if name in self.catalog.returns:
                types.add(self.catalog.returns[name])
            elif name in self.catalog.known_types:
                types.add(name)
        if types:
            return types
        lock = self.project.lock_class(self.qualified_names(call.func))
        if lock is not None:
            return {lock}
        if isinstance(call.func, cst.Attribute):
            items = self.element_types(call.func.value, call.func.attr.value)
            if items:
                return set(items)
        klass = self.constructed_class(call)
        if klass is not None:
            return {self.local_type(klass)}
        function = self.resolve_function(call, depth + 1)
        if function is not None:
            return set(self._return_types(function, depth))
        constructed = self.project.project_class(self.qualified_names(call.func))
        if constructed is not None:
            return {constructed.name}
        declared = self.project.returned(self.qualified_names(call.func))
        if declared is None:
            return set()
        known = declared in self.catalog.known_types or self.project.project_class(
            frozenset({declared})) is not None
        return {declared} if known else set()

    def _return_types(self, function: cst.FunctionDef, depth: int) -> frozenset[str]:
        """What calling a plain function of this module gives back: its return annotation,
        else the types every returned value agrees on (``return None`` aside)."""
        if (
            function.asynchronous is not None
            or self.is_generator(function)
            or not self.has_transparent_decorators(function)
        ):
            return frozenset()
        return self._body_result_types(function, depth)

    def _body_result_types(self, function: cst.FunctionDef, depth: int) -> frozenset[str]:
        if function.returns is not None:
            return self.annotation_types(function.returns.annotation, function)
        return self._agreed_types(self.returned_values(function), depth)

    def _agreed_types(self, values: list[cst.BaseExpression], depth: int) -> frozenset[str]:
        """The types of several values that may flow into one place: unknown (empty) as
        soon as one of them is unknown; ``None`` values aside, as in ``_name_types``."""
        types: set[str] = set()
        for value in values:
            if _is_none(value):
                continue
            found = self.infer_types(value, depth + 1)
            if not found:
                return frozenset()
            types |= found
        return frozenset(types)

    def _name_types(self, name: cst.Name, depth: int) -> set[str]:
        """What every binding of the name agrees on; ``x = None`` bindings aside (a method
        called on ``None`` fails anyway, so the other bindings are what the call sees)."""
        scope = self.scope(name)
        if scope is None:
            return set()
        types: set[str] = set()
        for assignment in scope[name.value]:
            if not isinstance(assignment, Assignment):
                return set()
            value = self.assigned_value(assignment.node)
            if value is not None and _is_none(value):
                continue
            found = self._binding_types(assignment.node, depth)
            if not found:
                return set()
            types |= found
        return types

    def _binding_types(self, target: cst.CSTNode, depth: int) -> frozenset[str]:
        """The types a binding site gives its name: ``x = T()``, ``x: T``, ``with T() as x``."""
        parent = self.parent(target)
        if isinstance(parent, cst.AnnAssign) and parent.target is target:
            declared = self.annotation_types(parent.annotation.annotation, parent)
            if declared or parent.value is None:
                return declared
            return self.infer_types(parent.value, depth + 1)
        value = self.assigned_value(target)
        if value is not None:
            return self.infer_types(value, depth + 1)
        if isinstance(parent, cst.Element):
            return self._unpacked_types(parent)
        if isinstance(target, cst.Param) and target.annotation is not None:
            return self.annotation_types(target.annotation.annotation, target)
        if isinstance(parent, cst.AsName) and parent.name is target:
            item = self.parent(parent)
            if isinstance(item, cst.WithItem):
                return self.infer_types(item.item, depth + 1) - _ENTER_RETURNS_OTHER
        return frozenset()

    def _unpacked_types(self, element: cst.Element) -> frozenset[str]:
        """``a, b = await f(...)``: the type of one element, when the catalog knows the
        tuple ``f`` returns."""
        sequence = self.parent(element)
        target = self.parent(sequence) if isinstance(sequence, (cst.Tuple, cst.List)) else None
        statement = self.parent(target) if isinstance(target, cst.AssignTarget) else None
        if not isinstance(statement, cst.Assign) or not isinstance(statement.value, cst.Await):
            return frozenset()
        assert isinstance(sequence, (cst.Tuple, cst.List))
        elements = sequence.elements
        awaited = self.awaited_types(statement.value)
        if len(awaited) != len(elements) or any(
            isinstance(e, cst.StarredElement) for e in elements
        ):
            return frozenset()
        return awaited[list(elements).index(element)]

    def annotation_types(self, annotation: cst.BaseExpression, at: cst.CSTNode) -> frozenset[str]:
        """Types an annotation declares: ``T``, ``Optional[T]``, ``T | None``,
        ``Union[T, U]``, ``"T"``, where each ``T`` is a catalog type or a class of this
        module. Unknown (empty) when one member is neither."""
        scope = self.scope(at)
        if scope is None:
            return frozenset()
        types: set[str] = set()
        for member in self._annotation_members(annotation, scope):
            if _is_none(member):
                continue
            found = self._annotated_type(member, scope)
            if found is None:
                return frozenset()
            types.add(found)
        return frozenset(types)

    def _annotation_members(
        self, annotation: cst.BaseExpression, scope: Scope
    ) -> list[cst.BaseExpression]:
        """The alternatives an annotation allows, ``None`` included, strings parsed."""
        if isinstance(annotation, cst.BinaryOperation) and isinstance(
            annotation.operator, cst.BitOr
        ):
            return [
                *self._annotation_members(annotation.left, scope),
                *self._annotation_members(annotation.right, scope),
            ]
        if isinstance(annotation, cst.Subscript) and (
            self._names_in(annotation.value, scope) & _UNION_FORMS
        ):
            return [
                member
                for element in annotation.slice
                if isinstance(element.slice, cst.Index)
                for member in self._annotation_members(element.slice.value, scope)
            ]
        text = annotation.evaluated_value if isinstance(annotation, cst.SimpleString) else None
        if isinstance(text, str):
            try:
                parsed = cst.parse_expression(text)
            except Exception:  # a string that is no expression (any parser error) declares nothing
                return [annotation]
            if not isinstance(parsed, cst.SimpleString):
                return self._annotation_members(parsed, scope)
        return [annotation]

    def _names_in(self, expression: cst.BaseExpression, scope: Scope) -> frozenset[str]:
        """Qualified names of a dotted name, also for nodes parsed from string annotations
        (which carry no metadata): those are resolved in ``scope`` by their text."""
        if not isinstance(expression, (cst.Name, cst.Attribute)):
            return frozenset()
        text = self.code(expression)
        return frozenset(
            self.canonical(qualified.name)
            for qualified in scope.get_qualified_names_for(text) or self._implicit_names(text)
            if qualified.source in _RESOLVED_SOURCES
        )

    def _annotated_type(self, member: cst.BaseExpression, scope: Scope) -> str | None:
        if isinstance(member, cst.Subscript):
            return self._parametrized_type(member, scope)
        known = self._names_in(member, scope) & self.catalog.known_types
        if known:
            return min(known)
        if isinstance(member, cst.Name):
            bound = _definition_in(scope, member.value)
            if isinstance(bound, cst.ClassDef):
                return self.local_type(bound)
        declared = self.project.project_class(self._names_in(member, scope))
        return declared.name if declared is not None else None

    def _parametrized_type(self, member: cst.Subscript, scope: Scope) -> str | None:
        """A generic given its parameters is an instance of the generic class
        (``asyncio.Future[int]``, ``Chan[Frame]``); a qualifier (``Final[T]``,
        ``ClassVar[T]``, ``Annotated[T, ...]``) declares its first parameter; ``type[T]``
        declares a class, not an instance, and nothing the model knows."""
        forms = self._names_in(member.value, scope)
        if forms & _CLASS_FORMS:
            return None
        if forms & _QUALIFIER_FORMS:
            first = member.slice[0].slice if member.slice else None
            if not isinstance(first, cst.Index):
                return None
            members = self._annotation_members(first.value, scope)
            if len(members) != 1:
                return None
            return self._annotated_type(members[0], scope)
        return self._annotated_type(member.value, scope)

    def element_types(self, container: cst.BaseExpression, method: str) -> frozenset[str]:
        """Types of the item ``container.method()`` hands back, as the container's
        declaration gives them: a name or ``self.`` attribute declared ``deque[T]``,
        ``list[T]``, ``queue.Queue[T]`` whose type lists ``method`` in the catalog's
        ``[item-methods]``; empty when unknown or declared more than one way."""
        declared = self._declarations(container)
        if len(declared) != 1:
            return frozenset()
        annotation, at = declared[0]
        scope = self.scope(at)
        if not isinstance(annotation, cst.Subscript) or scope is None:
            return frozenset()
        names = self._names_in(annotation.value, scope)
        item_methods = self.catalog.item_methods
        if len(annotation.slice) != 1 or not any(
            method in item_methods.get(name, ()) for name in names
        ):
            return frozenset()
        element = annotation.slice[0].slice
        if not isinstance(element, cst.Index):
            return frozenset()
        return self.annotation_types(element.value, at)

    def _declarations(
        self, expression: cst.BaseExpression
    ) -> list[tuple[cst.BaseExpression, cst.CSTNode]]:
        """The annotations declaring ``expression`` (a parameter or annotated name, or an
        attribute of ``self``), each with the node its names are resolved at."""
        if isinstance(expression, cst.Attribute):
            klass = self.receiver_class(expression.value)
            if klass is None:
                return []
            return [(a, klass) for a in self.attribute_annotations(klass, expression.attr.value)]
        if not isinstance(expression, cst.Name):
            return []
        scope = self.scope(expression)
        if scope is None:
            return []
        found: list[tuple[cst.BaseExpression, cst.CSTNode]] = []
        for assignment in scope[expression.value]:
            if not isinstance(assignment, Assignment):
                return []
            node, parent = assignment.node, self.parent(assignment.node)
            if isinstance(node, cst.Param) and node.annotation is not None:
                found.append((node.annotation.annotation, node))
            elif isinstance(parent, cst.AnnAssign) and parent.target is node:
                found.append((parent.annotation.annotation, parent))
            else:
                return []
        return found

    def _attribute_types_of(self, attribute: cst.Attribute, depth: int) -> set[str]:
        """Types of ``receiver.attr`` where the receiver is ``self`` or an instance of a
        class of this module: its declared type, else what every assignment agrees on."""
        klass = self.receiver_class(attribute.value, depth)
        if klass is None:
            types = self.infer_types(attribute.value, depth + 1)
            facts = self.project.project_class(types) if len(types) == 1 else None
            return set(self._declared_type(facts, attribute.attr.value)[1])
        key = (klass, attribute.attr.value)
        if key not in self._attribute_types:
            self._attribute_types[key] = frozenset()  # guards against recursion
            self._attribute_types[key] = self._class_attribute_types(klass, key[1], depth)
        return set(self._attribute_types[key])

    def _class_attribute_types(self, klass: cst.ClassDef, attr: str, depth: int) -> frozenset[str]:
        declared = [
            self.annotation_types(a, klass) for a in self.attribute_annotations(klass, attr)
        ]
        if declared and all(declared):
            return frozenset().union(*declared)
        values = list(self.attribute_assignments(klass, attr))
        if values:
            return self._agreed_types(values, depth)
        getter = self.method_of(klass, attr)
        if getter is not None and self.is_property(getter):
            return self._body_result_types(getter, depth)
        if not declared and not self._binds(klass, attr):
            return self._inherited_attribute_types(klass, attr, depth)[1]
        return frozenset()

    def _binds(self, klass: cst.ClassDef, name: str) -> bool:
        """The body or the methods of ``klass`` bind ``name``."""
        attributes = self._class_attributes(klass)
        return name in attributes.values or name in attributes.annotations or any(
            isinstance(s, cst.FunctionDef | cst.ClassDef) and s.name.value == name
            for s in klass.body.body
        )

    def _inherited_attribute_types(
        self, klass: cst.ClassDef, name: str, depth: int
    ) -> tuple[bool, frozenset[str]]:
        """The type of ``name`` in the first base of ``klass`` that binds it (the bases
        searched as for methods, ``_bases``): whether one does, and its type."""
        if depth > _INFERENCE_DEPTH:
            return True, frozenset()
        for base in self._bases(klass):
            if base is None:
                return True, frozenset()
            if isinstance(base, cst.ClassDef):
                if self._binds(base, name):
                    return True, self._class_attribute_types(base, name, depth + 1)
                found = self._inherited_attribute_types(base, name, depth + 1)
            else:
                found = self._declared_type(base, name)
            if found[0]:
                return found
        return False, frozenset()

    def _declared_type(self, facts: ClassFacts | None, name: str) -> tuple[bool, frozenset[str]]:
        """What a project class's table says of attribute ``name``: whether it binds it,
        and its type when that is a catalog type or a project class."""
        if facts is None:
            return False, frozenset()
        binds, declared = facts.attribute(name)
        known = self.canonical(declared) if declared else ""
        known = self.catalog.returns.get(known, known)  # `sqlite3.connect()` constructs none
        if known in self.catalog.known_types or self.project.project_class(frozenset({known})):
            return binds, frozenset({known})
        return binds, frozenset()

    def is_property(self, function: cst.FunctionDef) -> bool:
        return any(
            self.qualified_names(_decorator_callee(d.decorator)) & _PROPERTIES
            for d in function.decorators
        )

    def instance_attributes(self, method: cst.FunctionDef) -> list[tuple[str, cst.BaseExpression]]:
        """``(attr, value)`` for each ``self.<attr> = value`` in the body of ``method``."""
        self_name = self.self_name(method)
        if self_name is None:
            return []
        found = _Attributes()
        method.body.visit(_SelfAssignments(self_name, found))
        return [(attr, value) for attr, values in found.values.items() for value in values]

    def attribute_assignments(self, klass: cst.ClassDef, attr: str) -> Iterator[cst.BaseExpression]:
        """Values assigned to ``self.<attr>`` in the methods of ``klass`` and to ``attr`` in
        its body."""
        yield from self._class_attributes(klass).values.get(attr, ())

    def attribute_annotations(self, klass: cst.ClassDef, attr: str) -> Iterator[cst.BaseExpression]:
        """Annotations declared for ``attr``: ``attr: T`` in the class body, ``self.attr: T``
        in its methods."""
        yield from self._class_attributes(klass).annotations.get(attr, ())

    def _class_attributes(self, klass: cst.ClassDef) -> _Attributes:
        """Every attribute binding of a class, indexed by name in one pass over its body."""
        found = self._attributes.get(klass)
        if found is None:
            found = _Attributes()
            for statement in klass.body.body:
                if isinstance(statement, cst.FunctionDef):
                    self_name = self.self_name(statement)
                    if self_name is not None:
                        statement.body.visit(_SelfAssignments(self_name, found))
                elif isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        found.add_class_level(small)
            self._attributes[klass] = found
        return found


@dataclass
class _Attributes:
    """Values and annotations bound to each attribute name of one class."""

    values: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    annotations: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)

    def add(
        self, attr: str, value: cst.BaseExpression | None, annotation: cst.Annotation | None
    ) -> None:
        if value is not None:
            self.values.setdefault(attr, []).append(value)
        if annotation is not None:
            self.annotations.setdefault(attr, []).append(annotation.annotation)

    def add_class_level(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name):
                    self.add(target.target.value, small.value, None)
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            self.add(small.target.value, small.value, small.annotation)


class _SelfAssignments(cst.CSTVisitor):
    """Records ``self.x = v`` and ``self.x: T = v`` of one method (not nested functions)."""

    def __init__(self, self_name: str, into: _Attributes) -> None:
        self.self_name = self_name
        self.into = into

    def _attr(self, target: cst.BaseExpression) -> str | None:
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == self.self_name
        ):
            return target.attr.value
        return None

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            attr = self._attr(target.target)
            if attr is not None:
                self.into.add(attr, node.value, None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        attr = self._attr(node.target)
        if attr is not None:
            self.into.add(attr, node.value, node.annotation)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _definition_in(scope: Scope, name: str) -> cst.CSTNode | None:
    """The ``def`` or ``class`` statement that is the only binding of ``name`` in ``scope``."""
    assignments = scope[name]
    if len(assignments) != 1:
        return None
    (assignment,) = assignments
    node = getattr(assignment, "node", None)
    return node if isinstance(node, (cst.FunctionDef, cst.ClassDef)) else None


def _statements(body: cst.BaseSuite) -> list[cst.CSTNode]:
    if isinstance(body, cst.IndentedBlock):
        return [
            small
            for line in body.body
            for small in (line.body if isinstance(line, cst.SimpleStatementLine) else [line])
        ]
    return list(body.body) if isinstance(body, cst.SimpleStatementSuite) else []


def _is_stub(statement: cst.CSTNode) -> bool:
    """``...``, ``pass``, a docstring or ``raise NotImplementedError``."""
    if isinstance(statement, cst.Pass):
        return True
    if isinstance(statement, cst.Expr):
        return isinstance(statement.value, cst.Ellipsis | cst.SimpleString
                          | cst.ConcatenatedString)
    if isinstance(statement, cst.Raise) and statement.exc is not None:
        raised = statement.exc.func if isinstance(statement.exc, cst.Call) else statement.exc
        return isinstance(raised, cst.Name) and raised.value == "NotImplementedError"
    return False


def _is_dotted_name(expression: cst.BaseExpression) -> bool:
    while isinstance(expression, cst.Attribute):
        expression = expression.value
    return isinstance(expression, cst.Name)


def _unparametrized(expression: cst.BaseExpression) -> cst.BaseExpression:
    """``Store`` for ``Store[int]``: the class a generic alias instantiates."""
    return expression.value if isinstance(expression, cst.Subscript) else expression


def _is_class_of_instance(expression: cst.BaseExpression) -> bool:
    """``obj.__class__``."""
    return isinstance(expression, cst.Attribute) and expression.attr.value == "__class__"


def _is_none(expression: cst.BaseExpression) -> bool:
    return isinstance(expression, cst.Name) and expression.value == "None"


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
