"""Walking a libcst tree in the order libcst's visitors do, at a fraction of their cost.

A ``CSTVisitor`` traversal rebuilds every node it passes (``_visit_and_replace_children``),
which makes it several times slower than reading the nodes' fields. A node's children are
exactly the CST nodes its fields hold, directly or in a sequence, but the fields are not
declared in the order libcst visits them (a function's decorators come before its body).
That order is read once from libcst itself (``children``) for each node type and set of
present fields, then reused: every walk here yields nodes in libcst's visit order.
"""

from __future__ import annotations

import dataclasses
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import cast

import libcst as cst
from libcst._batched_visitor import _BatchedCSTVisitor  # what MetadataWrapper.resolve walks with

_Key = tuple[type[cst.CSTNode], tuple[type, ...], tuple[bool, ...]]
# Positions of the fields holding nodes, in visit order, by node type and the type and
# truth of each field's value.
_ORDERS: dict[_Key, tuple[tuple[int, bool], ...]] = {}


@cache
def _getter(kind: type[cst.CSTNode]) -> Callable[[cst.CSTNode], tuple[object, ...]]:
    """Reads every field at once; the first is read twice so that one field still gives a
    tuple (callers drop that first value)."""
    names = [f.name for f in dataclasses.fields(kind)]
    if not names:
        return lambda node: (None,)
    return operator.attrgetter(names[0], *names)


def _learn(node: cst.CSTNode, values: tuple[object, ...]) -> tuple[tuple[int, bool], ...]:
    """The positions of ``node``'s fields in the order libcst visits them, read from the
    node's ``children`` (the field objects themselves, in visit order), each with whether
    it holds one node (else a sequence of them)."""
    owner: dict[int, int] = {}
    for position, value in enumerate(values):
        if isinstance(value, cst.CSTNode):
            owner[id(value)] = position
        elif isinstance(value, list | tuple):
            owner.update((id(item), position) for item in value if isinstance(item, cst.CSTNode))
    positions = dict.fromkeys(owner[id(child)] for child in node.children)
    return tuple((position, isinstance(values[position], cst.CSTNode)) for position in positions)


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node.children``, without rebuilding ``node`` as libcst does to list them. The
    order is learnt once per node type and shape: the type and truth of each field's value
    tell which fields hold a node, a sentinel, ``None`` or an empty sequence."""
    kind = type(node)
    values = _getter(kind)(node)[1:]
    key = (kind, tuple(map(type, values)), tuple(map(bool, values)))
    order = _ORDERS.get(key)
    if order is None:
        order = _ORDERS[key] = _learn(node, values)
    found: list[cst.CSTNode] = []
    for position, single in order:
        if single:
            found.append(cast(cst.CSTNode, values[position]))
        else:  # ``_learn`` keeps only fields holding a node or a sequence of them
            found.extend(cast("Sequence[cst.CSTNode]", values[position]))
    return found


def descendants(
    root: cst.CSTNode, boundaries: tuple[type[cst.CSTNode], ...] = ()
) -> Iterator[cst.CSTNode]:
    """The nodes below ``root`` in visit order; a node of a ``boundaries`` type is yielded
    but not entered (``(cst.FunctionDef, cst.ClassDef, cst.Lambda)`` keeps one scope)."""
    pending = children(root)
    pending.reverse()
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, boundaries):
            below = children(node)
            below.reverse()
            pending.extend(below)


def parents_and_order(
    module: cst.Module,
) -> tuple[dict[cst.CSTNode, cst.CSTNode], list[cst.CSTNode]]:
    """Every node's parent (as ``ParentNodeProvider`` gives it) and every node in visit
    order, from one walk."""
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    order: list[cst.CSTNode] = []
    pending: list[cst.CSTNode] = [module]
    while pending:
        node = pending.pop()
        order.append(node)
        below = children(node)
        for child in below:
            parents[child] = node
        below.reverse()
        pending.extend(below)
    return parents, order


@cache
def visitor_methods(kind: type) -> tuple[str, ...]:
    """The ``visit_*`` and ``leave_*`` methods of a visitor class, found once per class:
    libcst's ``get_visitors`` asks ``inspect.getmembers`` for them on every instance, which
    cost about a tenth of the analysis of a file that reaches libcst."""
    return tuple(
        name
        for name in dir(kind)
        if name.startswith(("visit_", "leave_"))
        and callable(method := getattr(kind, name))
        and not getattr(method, "_is_no_op", False)  # libcst's empty stubs
    )


def _methods(visitor: cst.BatchableCSTVisitor) -> Iterator[tuple[str, Callable[..., object]]]:
    """A visitor's methods by name: its own ``get_visitors`` where it overrides libcst's."""
    if type(visitor).get_visitors is not cst.BatchableCSTVisitor.get_visitors:
        yield from visitor.get_visitors().items()
    else:
        yield from ((name, getattr(visitor, name)) for name in visitor_methods(type(visitor)))


def visit_batched(
    order: Sequence[cst.CSTNode],
    parents: Mapping[cst.CSTNode, cst.CSTNode],
    visitors: Sequence[cst.BatchableCSTVisitor],
) -> None:
    """Call every visitor's ``visit_<Node>`` and ``leave_<Node>`` methods, like
    ``MetadataWrapper.visit_batched`` for visitors that declare no metadata (they ask the
    model instead), from a walk already made (``parents_and_order``): a node is left once
    the next node in visit order is no longer below it. Return values are ignored (every
    child is visited); attribute visitors (``visit_<Node>_<field>``) are not supported."""
    visits: dict[str, list[Callable[[cst.CSTNode], object]]] = {}
    leaves: dict[str, list[Callable[[cst.CSTNode], object]]] = {}
    for visitor in visitors:
        for name, method in _methods(visitor):
            when, _, kind = name.partition("_")
            (visits if when == "visit" else leaves).setdefault(kind, []).append(method)

    def leave(node: cst.CSTNode) -> None:
        for method in leaves.get(type(node).__name__, ()):
            method(node)

    entered: list[cst.CSTNode] = []
    for node in order:
        parent = parents.get(node)
        while entered and entered[-1] is not parent:
            leave(entered.pop())
        for visit in visits.get(type(node).__name__, ()):
            visit(node)
        entered.append(node)
    while entered:
        leave(entered.pop())


# -- libcst's own visitors (``ScopeProvider``), without rebuilding the tree -----------------

_LIBCST_VISIT = cst.CSTNode.visit
# ``fast``: inside ``read_only_visits``; ``hooks``: per visitor; ``children``: per node id
_STATE = threading.local()
_INSTALL = threading.Lock()


@contextmanager
def read_only_visits() -> Iterator[None]:
    """While inside, on this thread, ``node.visit(visitor)`` for a ``CSTVisitor`` calls the
    visitor's ``on_visit``/``on_leave`` on exactly the nodes and in exactly the order libcst
    would, from the nodes' fields (``children``), without rebuilding every node it passes
    as libcst does (a visitor cannot change the tree, so the rebuilt nodes were thrown
    away). ``ScopeProvider`` and the ``ExpressionContextProvider`` it needs walk the module
    three times through ``node.visit``, calls made inside libcst, so the method is replaced
    on the class (once per process; transformers, attribute hooks and other threads keep
    libcst's own)."""
    with _INSTALL:
        if cst.CSTNode.visit is _LIBCST_VISIT:
            setattr(cst.CSTNode, "visit", _visit)  # noqa: B010 - mypy rejects a plain assignment
    _STATE.fast, _STATE.hooks, _STATE.children = True, {}, {}
    try:
        yield
    finally:
        _STATE.fast, _STATE.hooks, _STATE.children = False, {}, {}


def _visit(node: cst.CSTNode, visitor: cst.CSTVisitor | cst.CSTTransformer) -> object:
    """``CSTNode.visit`` as installed by ``read_only_visits``."""
    hooks = _attribute_hooks(visitor) if getattr(_STATE, "fast", False) else _EVERYTHING
    if type(node).__name__ in hooks:
        return _LIBCST_VISIT(node, visitor)
    visitor = cast(cst.CSTVisitor, visitor)  # a transformer's hooks are every node type
    if visitor.on_visit(node):
        below = _STATE.children.get(id(node))
        if below is None:  # the three walks share each node's children
            below = _STATE.children[id(node)] = children(node)
        for child in below:
            _visit(child, visitor)
    visitor.on_leave(node)
    return node


def _attribute_hooks(visitor: cst.CSTVisitor | cst.CSTTransformer) -> frozenset[str] | _Everything:
    """The node types for which ``visitor`` has ``visit_<Node>_<field>`` or
    ``leave_<Node>_<field>`` hooks, which only libcst's own traversal calls (every type
    for a transformer); found once per visitor (the instance is kept, so that its id is not
    reused meanwhile)."""
    found: dict[int, tuple[object, frozenset[str] | _Everything]] = _STATE.hooks
    known = found.get(id(visitor))
    if known is None:
        hooks = _hooks_of(visitor) if isinstance(visitor, cst.CSTVisitor) else _EVERYTHING
        known = found[id(visitor)] = (visitor, hooks)
    return known[1]


def _hooks_of(visitor: cst.CSTVisitor) -> frozenset[str] | _Everything:
    if isinstance(visitor, _BatchedCSTVisitor):  # the metadata providers' shared traversal
        return _hooked_kinds(visitor.visitor_methods)
    kind = type(visitor)
    if (kind.on_visit_attribute, kind.on_leave_attribute) != (
        cst.CSTVisitor.on_visit_attribute, cst.CSTVisitor.on_leave_attribute
    ):
        return _EVERYTHING  # attribute hooks dispatched some other way: libcst's walk
    return _class_hooks(kind)


@cache
def _class_hooks(kind: type[cst.CSTVisitor]) -> frozenset[str]:
    """The attribute hooks a visitor class defines itself (libcst's empty stubs left out)."""
    return _hooked_kinds(
        name for name in dir(kind)
        if getattr(kind, name) is not getattr(cst.CSTVisitor, name, None)
    )


def _hooked_kinds(names: Iterable[str]) -> frozenset[str]:
    """``ClassDef`` for ``visit_ClassDef_bases``: node type names hold no underscore."""
    return frozenset(
        parts[1]
        for parts in (name.split("_") for name in names)
        if len(parts) >= 3 and parts[0] in ("visit", "leave")
    )


class _Everything:
    """Every node type: the answer for a visitor whose attribute hooks cannot be listed."""

    def __contains__(self, _kind: object) -> bool:
        return True


_EVERYTHING = _Everything()
