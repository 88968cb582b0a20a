"""What Python's C parser says about a file, for deciding cheaply which rules can report.

libcst costs tens of times more than ``ast.parse``; most files cannot produce a single
report. The engine parses every file with ``ast`` anyway (a syntax error is a CCL001), so
rules get one more, sharper chance to say "not this file" before libcst runs: a file with
no ``async def`` cannot block an event loop from inside one. The facts are computed lazily,
in one walk over the tree, only for files that passed every rule's word screen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class _Scan:
    node_types: frozenset[type[ast.AST]]
    imported: frozenset[str]
    identifiers: frozenset[str]


@dataclass(frozen=True)
class TreeFacts:
    """Syntax-level facts about one module; ``tree`` is its ``ast.parse`` result."""

    tree: ast.Module = field(repr=False)

    def has(self, *node_types: type[ast.AST]) -> bool:
        """True when the module contains a node of one of ``node_types``."""
        present = self._scan.node_types
        return any(kind in present for kind in node_types)

    def imports_any(self, modules: Iterable[str]) -> bool:
        """True when an absolute import (anywhere, even inside a function) names one of
        ``modules`` or a submodule of one: ``import a.b`` and ``from a.b import c`` both
        count for ``a`` and for ``a.b``."""
        imported = self._scan.imported
        return any(module in imported for module in modules)

    def mentions_any(self, identifiers: Iterable[str]) -> bool:
        """True when one of ``identifiers`` occurs as a name in the code (a variable, an
        attribute, an imported or defined name, a parameter or keyword), not merely in a
        string or comment."""
        present = self._scan.identifiers
        return any(identifier in present for identifier in identifiers)

    @cached_property
    def _scan(self) -> _Scan:
        types: set[type[ast.AST]] = set()
        imported: set[str] = set()
        identifiers: set[str] = set()
        for node in ast.walk(self.tree):
            types.add(type(node))
            identifiers.update(_identifiers(node))
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imported.update(_prefixes(alias.name))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.update(_prefixes(node.module))
        return _Scan(frozenset(types), frozenset(imported), frozenset(identifiers))


def _prefixes(dotted: str) -> Iterable[str]:
    parts = dotted.split(".")
    return (".".join(parts[: count + 1]) for count in range(len(parts)))


def _identifiers(node: ast.AST) -> Iterable[str]:
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return (node.attr,)
    if isinstance(node, ast.alias):
        return (*node.name.split("."), *((node.asname,) if node.asname else ()))
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return (node.name,)
    if isinstance(node, ast.arg):
        return (node.arg,)
    if isinstance(node, ast.keyword) and node.arg is not None:
        return (node.arg,)
    return ()
