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
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import cast

import libcst as cst

_Key = tuple[type[cst.CSTNode], tuple[type, ...], tuple[bool, ...]]
# Positions of the fields holding nodes, in visit order, by node type and the type and
# truth of each field's value.
_ORDERS: dict[_Key, tuple[int, ...]] = {}


@cache
def _getter(kind: type[cst.CSTNode]) -> Callable[[cst.CSTNode], tuple[object, ...]]:
    """Reads every field at once; the first is read twice so that one field still gives a
    tuple (callers drop that first value)."""
    names = [f.name for f in dataclasses.fields(kind)]
    if not names:
        return lambda node: (None,)
    return operator.attrgetter(names[0], *names)


def _learn(node: cst.CSTNode, values: tuple[object, ...]) -> tuple[int, ...]:
    """The positions of ``node``'s fields in the order libcst visits them, read from the
    node's ``children`` (the field objects themselves, in visit order)."""
    owner: dict[int, int] = {}
    for position, value in enumerate(values):
        if isinstance(value, cst.CSTNode):
            owner[id(value)] = position
        elif isinstance(value, list | tuple):
            owner.update((id(item), position) for item in value if isinstance(item, cst.CSTNode))
    return tuple(dict.fromkeys(owner[id(child)] for child in node.children))


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
    for position in order:
        value = values[position]
        if isinstance(value, cst.CSTNode):
            found.append(value)
        else:
            # ``_learn`` keeps only fields holding a node or a sequence of them
            found.extend(cast("Sequence[cst.CSTNode]", value))
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
