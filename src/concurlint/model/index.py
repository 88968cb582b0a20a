"""One traversal of a module that lists what the concurrency analyses look at.

Calls, functions, classes, writes and ``with`` items are collected once per module, so the
spawn, call-graph, lock and thread analyses never walk the whole tree again.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

import libcst as cst

from concurlint.model.module import FunctionNode, ModuleModel


def _unpacked(target: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _unpacked(element.value)
    else:
        yield target


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []
        self.functions: list[FunctionNode] = []
        self.classes: list[cst.ClassDef] = []
        self.with_items: list[cst.WithItem] = []
        # (target expression, writing statement, augmented)
        self.writes: list[tuple[cst.BaseExpression, cst.CSTNode, bool]] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.functions.append(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self.with_items.append(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.writes.append((node.target, node, True))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.writes.extend((e, node, False) for e in _unpacked(target.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.writes.append((node.target, node, False))

    def visit_Del(self, node: cst.Del) -> None:
        self.writes.extend((e, node, False) for e in _unpacked(node.target))


class ModuleIndex:
    """Get it with ``model.analysis(ModuleIndex)``; lists are in source order."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        collector = _Collector()
        model.module.visit(collector)
        self.calls = collector.calls
        self.functions = collector.functions
        self.classes = collector.classes
        self.with_items = collector.with_items
        self.writes = collector.writes

    @cached_property
    def _by_function(self) -> dict[FunctionNode | None, tuple[list[cst.WithItem], list[cst.Call]]]:
        grouped: dict[FunctionNode | None, tuple[list[cst.WithItem], list[cst.Call]]] = {}
        for item in self.with_items:
            grouped.setdefault(self.model.enclosing_function(item), ([], []))[0].append(item)
        for call in self.calls:
            grouped.setdefault(self.model.enclosing_function(call), ([], []))[1].append(call)
        return grouped

    def with_items_in(self, function: FunctionNode | None) -> list[cst.WithItem]:
        """The ``with`` items of a function's own body (``None``: module and class level)."""
        return self._by_function.get(function, ([], []))[0]

    def calls_in(self, function: FunctionNode | None) -> list[cst.Call]:
        return self._by_function.get(function, ([], []))[1]
