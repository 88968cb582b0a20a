"""Python's own symbol table of the module: where a name that a fix writes would resolve.

libcst's scopes miss some bindings that Python's compiler sees (a ``match`` capture, a
``global`` declared after the line a fix edits), so a fix that writes a module's name into
a function asks the table built by ``symtable``, the compiler's own pass, instead. A node
of libcst is found in the table by the kind, name and line of the scopes around it.
"""

from __future__ import annotations

import symtable
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from concurlint.positions import Positions

if TYPE_CHECKING:
    from concurlint.model.module import ModuleModel

_COMPREHENSIONS = {
    cst.ListComp: "listcomp",
    cst.SetComp: "setcomp",
    cst.DictComp: "dictcomp",
    cst.GeneratorExp: "genexpr",
}


class Symbols:
    """Answers from the compiler's symbol table; a file it cannot build a table for (newer
    syntax that libcst reads) gets the cautious answer: the name is not free."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self._child_index: dict[int, dict[tuple[str, str, int], list[symtable.SymbolTable]]] = {}

    @cached_property
    def _code(self) -> str:
        return self.model.module.code

    @cached_property
    def _table(self) -> symtable.SymbolTable | None:
        try:
            return symtable.symtable(self._code, "<module>", "exec")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    @cached_property
    def _positions(self) -> Positions:
        return Positions(self.model.module, self._code)

    def unbound_in_module(self, name: str) -> bool:
        """True when nothing binds ``name`` as a global: no assignment, import, definition
        or deletion at module level, and no ``global`` declaration in any function."""
        table = self._table
        if table is None:
            return False
        if name not in table.get_identifiers():
            return True
        symbol = table.lookup(name)
        return not (symbol.is_assigned() or symbol.is_imported() or symbol.is_declared_global())

    def reaches_module(self, name: str, at: cst.CSTNode) -> bool:
        """True when ``name`` written at ``at`` would be looked up among the module's
        globals: no scope it passes through on the way (the one holding ``at``, then the
        enclosing functions) binds it, takes it as a parameter or declares it ``global``
        or ``nonlocal``."""
        tables = self._scopes_around(at)
        if tables is None:
            return False
        return not any(_claims(table, name) for table in tables)

    def _scopes_around(self, at: cst.CSTNode) -> list[symtable.SymbolTable] | None:
        """The tables of the scopes a lookup at ``at`` passes through below the module,
        innermost first (a class body only when ``at`` is directly in it); None when one
        cannot be found. Scopes that share a kind, name and line are all taken."""
        if self._table is None:
            return None
        levels: list[list[symtable.SymbolTable]] = []
        parents = [self._table]
        for node in reversed(list(self._enclosing_scopes(at))):
            identity = (*_identity(node), self._positions[_named_part(node)].start.line)
            parents = [child for table in parents for child in self._children(table, identity)]
            if not parents:
                return None
            levels.append(parents)
        if not levels:
            return []
        *outer, innermost = levels
        return [*innermost, *(t for level in outer for t in level if t.get_type() != "class")]

    def _children(
        self, table: symtable.SymbolTable, identity: tuple[str, str, int]
    ) -> list[symtable.SymbolTable]:
        """``table``'s child scopes of that kind, name and line, indexed once per table: a
        module of thousands of functions would otherwise be scanned once per fix."""
        index = self._child_index.get(table.get_id())
        if index is None:
            index = self._child_index[table.get_id()] = {}
            for child in table.get_children():
                key = (child.get_type(), child.get_name(), child.get_lineno())
                index.setdefault(key, []).append(child)
        return index.get(identity, [])

    def _enclosing_scopes(self, at: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The nodes whose scope holds ``at``, innermost first. A comprehension's first
        iterable is evaluated by the enclosing scope, not by the comprehension's."""
        child = at
        outside: cst.CSTNode | None = None
        for ancestor in self.model.ancestors(at):
            if isinstance(ancestor, cst.CompFor) and child is ancestor.iter:
                outside = self.model.parent(ancestor)
            elif (
                isinstance(ancestor, tuple(_COMPREHENSIONS)) and ancestor is not outside
            ) or (
                isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
                and child is ancestor.body
            ):
                yield ancestor
            child = ancestor


def _identity(node: cst.CSTNode) -> tuple[str, str]:
    if isinstance(node, cst.FunctionDef):
        return "function", node.name.value
    if isinstance(node, cst.ClassDef):
        return "class", node.name.value
    if isinstance(node, cst.Lambda):
        return "function", "lambda"
    return "function", _COMPREHENSIONS[type(node)]


def _named_part(node: cst.CSTNode) -> cst.CSTNode:
    """The part of ``node`` on the line Python gives its scope (after any decorators)."""
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return node.name
    return node


def _claims(table: symtable.SymbolTable, name: str) -> bool:
    """True when ``table``'s scope binds ``name`` or declares where it comes from."""
    if name not in table.get_identifiers():
        return False
    symbol = table.lookup(name)
    return (
        symbol.is_assigned()
        or symbol.is_imported()
        or symbol.is_parameter()
        or symbol.is_local()
        or symbol.is_declared_global()
        or symbol.is_nonlocal()
        or symbol.is_free()
        or symbol.is_namespace()
    )
