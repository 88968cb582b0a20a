"""The catalog's ``[[spawner]]`` entries as values: where a spawner takes its target and
arguments. A leaf (no libcst at run time), so that the ``ast`` summaries and the libcst
model read the same entries without importing each other."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import libcst as cst


@dataclass(frozen=True)
class ArgumentSlot:
    """Where a spawner takes one of its parameters: by position and/or by keyword."""

    position: int | None = None
    keyword: str | None = None

    def find(self, call: cst.Call) -> cst.Arg | None:
        positional = 0
        for arg in call.args:
            if arg.keyword is not None:
                if arg.keyword.value == self.keyword:
                    return arg
            elif arg.star:
                return None  # positions after a star argument are unknown
            else:
                if positional == self.position:
                    return arg
                positional += 1
        return None

    def find_in_ast(self, call: ast.Call) -> ast.expr | None:
        """What a call passes in this slot, read on Python's ``ast`` (the summaries')."""
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.arg == self.keyword:
                return keyword.value
        for position, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return None  # positions after a star argument are unknown
            if position == self.position:
                return arg
        return None


@dataclass(frozen=True)
class Spawner:
    """One ``[[spawner]]`` entry of the catalog."""

    kind: str  # "thread" or "process"
    names: frozenset[str]
    target: ArgumentSlot
    args: ArgumentSlot | None
    kwargs: ArgumentSlot | None
    iterable: ArgumentSlot | None
    rest: str | None
    role: str = "entry"  # "entry", "initializer" or "task" (see rules/spawning.toml)
    executor: ArgumentSlot | None = None  # where the executor that decides the kind is passed
    repeats: str | None = None  # e.g. "once per item": one call runs the target many times

    @classmethod
    def from_catalog(cls, entry: Mapping[str, Any]) -> Spawner:
        def slot(key: str) -> ArgumentSlot | None:
            return ArgumentSlot(**entry[key]) if key in entry else None

        return cls(
            kind=entry["kind"],
            names=frozenset(entry["names"]),
            target=ArgumentSlot(**entry["target"]),
            args=slot("args"),
            kwargs=slot("kwargs"),
            iterable=slot("iterable"),
            rest=entry.get("rest"),
            role=entry.get("role", "entry"),
            executor=slot("executor"),
            repeats=entry.get("repeats"),
        )

    @classmethod
    def for_subclass(cls, kind: str, base: str) -> Spawner:
        """Constructing a subclass of ``base``: its ``run`` is the entry point and every
        constructor argument travels with the instance."""
        return cls(kind, frozenset({base}), ArgumentSlot(), None, None, None, "arguments")
