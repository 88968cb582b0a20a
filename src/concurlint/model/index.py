"""What the concurrency analyses look at in a module, listed once from the model's walk.

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


def _writes(statement: cst.CSTNode) -> Iterator[tuple[cst.BaseExpression, cst.CSTNode, bool]]:
    if isinstance(statement, cst.AugAssign):
        yield statement.target, statement, True
    elif isinstance(statement, cst.Assign):
        for target in statement.targets:
            yield from ((e, statement, False) for e in _unpacked(target.target))
    elif isinstance(statement, cst.AnnAssign):
        if statement.value is not None:
            yield statement.target, statement, False
    elif isinstance(statement, cst.Del):
        yield from ((e, statement, False) for e in _unpacked(statement.target))


class ModuleIndex:
    """Get it with ``model.analysis(ModuleIndex)``; lists are in source order."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.calls = model.nodes(cst.Call)
        self.functions: list[FunctionNode] = model.nodes(cst.FunctionDef, cst.Lambda)
        self.classes = model.nodes(cst.ClassDef)
        self.with_items = model.nodes(cst.WithItem)
        # (target expression, writing statement, augmented)
        self.writes: list[tuple[cst.BaseExpression, cst.CSTNode, bool]] = [
            write
            for statement in model.nodes(cst.AugAssign, cst.Assign, cst.AnnAssign, cst.Del)
            for write in _writes(statement)
        ]

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
