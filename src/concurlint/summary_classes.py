"""Classes across modules: which method a call on an instance runs, through its bases.

``super()._update()`` in ``class V3(System)``, ``cog.initialize()`` on ``cog = Bday(bot)``
and ``db.is_empty(...)`` on a parameter annotated ``db: TaskQueueDB`` all run a method that
another module defines, possibly in a base class of a third module. A module's summary
lists its module-level classes (``ClassSummary``: bases as absolute names, the names its
body or its methods bind otherwise than by one plain ``def``, and the methods that only
declare a signature); the project joins them into one method table per class
(``ClassFacts``), searching the bases depth first, left to right, and stops at the first base
it cannot see (a third-party class may define any name). A file receives the tables of the
classes it names through its imports.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from concurlint.summary import (
    FunctionSummary,
    ModuleSummary,
    Resolver,
    module_level,
    scope_nodes,
)

# Bases that define no method a call of a project class could run.
METHODLESS_BASES = frozenset({
    "builtins.object", "typing.Generic", "typing.Protocol", "typing_extensions.Protocol",
    "abc.ABC",
})
# A class deriving from one of these (or with this metaclass) declares abstract stubs.
_DECLARING = frozenset({"typing.Protocol", "typing_extensions.Protocol", "abc.ABC"})
_ABSTRACT_METHOD = "abc.abstractmethod"
_ABSTRACT_META = "abc.ABCMeta"
_PROPERTIES = frozenset({"builtins.property", "functools.cached_property"})
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class ClassSummary:
    """A module-level class as other modules see it."""

    name: str
    bases: tuple[str, ...]  # absolute names; "" for a base the names cannot pin down
    opaque: tuple[str, ...]  # bound otherwise than by one plain ``def``: may be anything
    declared: tuple[str, ...]  # methods with a stub body in an abstract class or a Protocol
    # attributes with one declared type: ``attr: T``, ``self.attr: T``, a property's return
    attributes: tuple[tuple[str, str], ...] = ()


class ProjectMethod(NamedTuple):
    """A coroutine method of a project class, as a call of it is reported."""

    shown: str  # ``bday.Bday.initialize()``
    declared: bool  # a stub body in an abstract class or a Protocol


@dataclass(frozen=True)
class ClassFacts:
    """The method table of a project class: each name its chain defines, with how to show
    it when it is a coroutine function (``""`` when it is anything else) and whether it only
    declares a signature. ``closed`` when every base is known, so a name missing here is
    defined nowhere up the chain."""

    name: str  # absolute, after re-exports
    closed: bool
    methods: tuple[tuple[str, str, bool], ...]
    attributes: tuple[tuple[str, str], ...] = ()  # name -> the absolute type it declares
    _index: dict[str, tuple[str, bool]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update((name, (shown, declared)) for name, shown, declared in self.methods)

    def attribute(self, name: str) -> tuple[bool, str]:
        """Whether the chain binds ``name`` (as far as it is known), and the absolute type
        it declares for it (``""`` when none)."""
        declared = dict(self.attributes).get(name)
        if declared is not None:
            return True, declared
        return name in self._index or not self.closed, ""

    def lookup(self, method: str) -> tuple[bool, ProjectMethod | None]:
        """Whether the chain defines ``method`` (as far as it is known), and the coroutine
        function it is, if it is one."""
        found = self._index.get(method)
        if found is None:
            return not self.closed, None
        return True, ProjectMethod(*found) if found[0] else None

    @property
    def has_coroutines(self) -> bool:
        return any(shown for _, shown, _ in self.methods)


def summarize_classes(
    tree: ast.Module, module: str, is_package: bool
) -> tuple[tuple[ClassSummary, ...], tuple[str, ...]]:
    """The module-level classes of ``tree``, read as ``module``, and the absolute names it
    passes to calls at import time (``wrap(Methods)``: a class handed to a function then
    may have its methods replaced, as pyrogram's ``sync`` module does)."""
    package = module if is_package else module.rpartition(".")[0]
    resolver = Resolver.of_names(tree, module, package)
    classes = tuple(
        _summary(statement, resolver)
        for statement in module_level(tree.body)
        if isinstance(statement, ast.ClassDef)
    )
    handed = {
        name
        for node in scope_nodes(tree.body)
        if isinstance(node, ast.Call)
        for argument in (*node.args, *(keyword.value for keyword in node.keywords))
        if isinstance(argument, ast.Name | ast.Attribute)
        and (name := resolver.target(argument, frozenset(), None, None))
        and not name.startswith("builtins.")
    }
    return classes, tuple(sorted(handed))


def summarize_returns(
    tree: ast.Module, module: str, is_package: bool
) -> tuple[tuple[str, str], ...]:
    """The module-level plain functions whose return annotation names one type (``def
    make_loop() -> IOLoop``): name -> the type's absolute name, so that another module's
    ``loop = make_loop()`` has a type."""
    package = module if is_package else module.rpartition(".")[0]
    resolver = Resolver.of_names(tree, module, package)
    found = (
        (statement.name, _annotated(statement.returns, resolver))
        for statement in module_level(tree.body)
        if isinstance(statement, ast.FunctionDef) and statement.returns is not None
        and not statement.decorator_list
    )
    return tuple((name, kind) for name, kind in found if kind)


def _summary(klass: ast.ClassDef, resolver: Resolver) -> ClassSummary:
    bases = tuple(_base(base, resolver) for base in klass.bases)
    defs: dict[str, int] = {}
    opaque: set[str] = set()
    stores: list[tuple[str, str, ast.expr | None]] = []  # ``self.attr`` in the methods
    for statement in klass.body:
        if isinstance(statement, _Function):
            defs[statement.name] = defs.get(statement.name, 0) + 1
            stores.extend(_instance_attributes(statement))
        else:
            opaque.update(_bound_in(statement))
    opaque.update(attr for attr, _, _ in stores)
    opaque.update(name for name, count in defs.items() if count > 1)
    declaring = bool(set(bases) & _DECLARING) or any(
        keyword.arg == "metaclass" and _base(keyword.value, resolver) == _ABSTRACT_META
        for keyword in klass.keywords
    )
    declared = tuple(
        statement.name
        for statement in klass.body
        if isinstance(statement, _Function) and all(map(_is_stub, statement.body)) and (
            declaring or any(_base(d, resolver) == _ABSTRACT_METHOD
                             for d in statement.decorator_list)
        )
    )
    return ClassSummary(klass.name, bases, tuple(sorted(opaque)), declared,
                        _attribute_types(klass, stores, resolver))


def _attribute_types(
    klass: ast.ClassDef, stores: list[tuple[str, str, ast.expr | None]], resolver: Resolver
) -> tuple[tuple[str, str], ...]:
    """The attributes with one known type: what every annotation names (``attr: T`` in the
    body, ``self.attr: T`` in a method, ``@property def attr(self) -> T``), else, when every
    store is ``self.attr = Name(...)`` (``None`` aside), the one class they all construct."""
    annotated: dict[str, list[ast.expr]] = {}
    values: dict[str, list[ast.expr]] = {}
    stored: dict[str, int] = {}
    for attr, kind, expression in stores:
        if kind == "store":
            stored[attr] = stored.get(attr, 0) + 1
        elif expression is not None:
            (annotated if kind == "annotation" else values).setdefault(attr, []).append(
                expression)
    for statement in klass.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            annotated.setdefault(statement.target.id, []).append(statement.annotation)
        elif isinstance(statement, _Function) and statement.returns is not None and any(
            _base(d, resolver) in _PROPERTIES for d in statement.decorator_list
        ):
            annotated.setdefault(statement.name, []).append(statement.returns)
    found = {attr: {_annotated(a, resolver) for a in declared}
             for attr, declared in annotated.items()}
    for attr, assigned in values.items():
        if attr not in found and len(assigned) == stored.get(attr, 0):
            found[attr] = {_constructed(value, resolver) for value in assigned
                           if not _is_none(value)}
    return tuple(sorted(
        (name, types.pop()) for name, types in found.items() if len(types) == 1 and "" not in types
    ))


def _constructed(value: ast.expr, resolver: Resolver) -> str:
    """What ``Name(...)`` calls, as an absolute name (the project decides whether it is a
    class)."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name | ast.Attribute):
        return resolver.target(value.func, frozenset(), None, None) or ""
    return ""


def _annotated(annotation: ast.expr, resolver: Resolver) -> str:
    """The one type an annotation names: ``T``, ``"T"``, ``T | None``, ``Optional[T]``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return ""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        kept = [m for m in (annotation.left, annotation.right) if not _is_none(m)]
        return _annotated(kept[0], resolver) if len(kept) == 1 else ""
    if isinstance(annotation, ast.Subscript):
        if _base(annotation.value, resolver) not in _OPTIONAL:
            return ""
        return _annotated(annotation.slice, resolver)
    if isinstance(annotation, ast.Name | ast.Attribute):
        return resolver.target(annotation, frozenset(), None, None) or ""
    return ""


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _base(expression: ast.expr, resolver: Resolver) -> str:
    """A base (``Base``, ``pkg.Base``, ``Generic[T]``) as an absolute name, or ``""``."""
    if isinstance(expression, ast.Subscript):
        expression = expression.value
    return resolver.target(expression, frozenset(), None, None) or ""


def _bound_in(statement: ast.stmt) -> Iterator[str]:
    """Names a class-body statement other than a plain ``def`` binds (a nested class, an
    assignment, a ``def`` under an ``if``)."""
    for node in ast.walk(statement):
        if isinstance(node, _Function | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id


def _instance_attributes(method: _Function) -> Iterator[tuple[str, str, ast.expr | None]]:
    """Every ``self.attr`` a method stores (``"store"``: the attribute hides a method of
    that name), and, for the same stores, ``self.attr: T`` (``"annotation"``, with ``T``) and
    ``self.attr = value`` with one target (``"value"``, with the value)."""
    positional = [*method.args.posonlyargs, *method.args.args]
    if not positional:
        return
    instance = positional[0].arg

    def attr_of(target: ast.expr) -> str | None:
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == instance
        ):
            return target.attr
        return None

    for node in ast.walk(method):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if (attr := attr_of(node)) is not None:
                yield attr, "store", None
        elif isinstance(node, ast.AnnAssign) and (attr := attr_of(node.target)) is not None:
            yield attr, "annotation", node.annotation
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and (
            attr := attr_of(node.targets[0])
        ) is not None:
            yield attr, "value", node.value


def _is_stub(statement: ast.stmt) -> bool:
    """``...``, ``pass``, a docstring or ``raise NotImplementedError``."""
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Constant) and (
            statement.value.value is Ellipsis or isinstance(statement.value.value, str)
        )
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"
    return False


class MethodTables:
    """The method table of every module-level class of the project, made on demand."""

    def __init__(
        self,
        modules: Mapping[str, ModuleSummary],
        resolve: Callable[[str], str],
        shown: Callable[[str, FunctionSummary], str],
    ) -> None:
        self._resolve = resolve
        self._classes: dict[str, tuple[ClassSummary, list[tuple[str, str]]]] = {}
        for name, summary in modules.items():
            methods: dict[str, list[tuple[str, str]]] = {}
            for function in summary.functions:
                owner, _, method = function.qualname.rpartition(".")
                if owner and "." not in owner:
                    methods.setdefault(owner, []).append(
                        (method, shown(name, function) if function.coroutine else "")
                    )
            for klass in summary.classes:
                self._classes[f"{name}.{klass.name}"] = (klass, methods.get(klass.name, []))
        # A class handed to a call at import time may have its methods replaced: all its
        # methods, inherited ones too, are then of unknown kind.
        self._handed = {resolve(name) for summary in modules.values() for name in summary.handed}
        self._tables: dict[str, ClassFacts] = {}

    def of(self, name: str) -> ClassFacts | None:
        """The table of the class ``name`` (absolute, re-exports followed), if it is one."""
        if name not in self._classes:
            return None
        if name not in self._tables:
            self._tables[name] = self._table(name, frozenset())
        return self._tables[name]

    def _table(self, name: str, visiting: frozenset[str]) -> ClassFacts:
        klass, methods = self._classes[name]
        declared = set(klass.declared)
        table = {method: ("", False) for method in klass.opaque}
        for method, shown in methods:
            table.setdefault(method, (shown, method in declared))
        attributes = dict(klass.attributes)
        closed = True
        for base in klass.bases:
            resolved = self._resolve(base) if base else ""
            if resolved in METHODLESS_BASES:
                continue
            if resolved not in self._classes or resolved in visiting:
                closed = False
                break
            inherited = self._tables.get(resolved) or self._table(resolved, visiting | {name})
            for attr, kind in inherited.attributes:
                if attr not in table and attr not in attributes:
                    attributes[attr] = kind
            for method, shown, stub in inherited.methods:
                table.setdefault(method, (shown, stub))
            if not inherited.closed:
                closed = False
                break
        if name in self._handed:  # every method it has may be replaced
            table = {method: ("", stub) for method, (_, stub) in table.items()}
        return ClassFacts(
            name,
            closed,
            tuple(sorted((method, *found) for method, found in table.items())),
            tuple(sorted((attr, self._resolve(kind)) for attr, kind in attributes.items())),
        )

    def used_by(self, uses: Iterable[str]) -> tuple[tuple[str, ClassFacts], ...]:
        """The tables of the classes among ``uses`` (names as a module imports them), and of
        the project classes their attributes declare, so that ``self.store.save()`` finds
        ``save`` too."""
        found = []
        pending = [(name, self._resolve(name)) for name in uses]
        seen: set[tuple[str, str]] = set()
        while pending:
            name, resolved = pending.pop()
            facts = self.of(resolved)
            if facts is None or (name, resolved) in seen:
                continue
            seen.add((name, resolved))
            found.append((name, facts))
            pending.extend((kind, kind) for _, kind in facts.attributes)
        return tuple(sorted(found, key=lambda item: item[0]))
