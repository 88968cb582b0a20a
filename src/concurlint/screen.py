"""What Python's C parser says about a file, for deciding cheaply which rules can report.

libcst costs tens of times more than ``ast.parse``; most files cannot produce a single
report. The engine parses every file with ``ast`` anyway (a syntax error is a CCL001), so
rules get one more, sharper chance to say "not this file" before libcst runs: a file with
no ``async def`` cannot block an event loop from inside one. The facts are computed lazily,
in one walk over the tree, only for files that passed every rule's word screen.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from concurlint.fragments import implicit_modules

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class _Scan:
    node_types: frozenset[type[ast.AST]]
    imported: frozenset[str]
    identifiers: frozenset[str]
    beside_builtins: frozenset[str]  # identifiers, less names that can only mean a builtin
    calls: Mapping[str, tuple[ast.Call, ...]]  # calls by the callee's last name
    implicit: frozenset[str]  # fragment modules used and never imported or bound
    import_texts: frozenset[str]  # every module and name an import names, relative ones too


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

    @property
    def implicit_modules(self) -> frozenset[str]:
        """The fragment modules the code uses without importing or binding them."""
        return self._scan.implicit

    def imports_mention(self, words: Iterable[str]) -> bool:
        """True when a module or name that an import statement names (relative imports
        too) contains one of ``words``: ``from .proto import hello_pb2_grpc`` for
        ``("_pb2_grpc",)``."""
        texts = self._scan.import_texts
        return any(word in text for text in texts for word in words)

    def mentions_any(self, identifiers: Iterable[str]) -> bool:
        """True when one of ``identifiers`` occurs as a name in the code (a variable, an
        attribute, an imported or defined name, a parameter or keyword), not merely in a
        string or comment."""
        present = self._scan.identifiers
        return any(identifier in present for identifier in identifiers)

    def mentions_any_beside_builtins(self, identifiers: Iterable[str]) -> bool:
        """``mentions_any``, where a name the module never binds and that Python provides
        as a builtin (``map(f, items)``) does not count: it cannot be ``executor.map``."""
        present = self._scan.beside_builtins
        return any(identifier in present for identifier in identifiers)

    def calls_any(self, callees: Iterable[str]) -> bool:
        """True when the code calls one of ``callees`` (by the last name of what is called,
        a builtin excepted): ``lock.acquire()`` for ``("acquire",)``."""
        calls = self._scan.calls
        return any(callee in calls for callee in callees)

    def calls_with_argument(
        self, callees: Iterable[str], *argument_types: type[ast.AST]
    ) -> bool:
        """True when a call of one of ``callees`` (by the last name of what is called, a
        builtin excepted) passes an argument, positional or by keyword, of one of
        ``argument_types``: ``Thread(target=work())`` for ``("Thread",), ast.Call``."""
        calls = self._scan.calls
        return any(
            isinstance(value, argument_types)
            for callee in callees
            for call in calls.get(callee, ())
            for value in (*call.args, *(keyword.value for keyword in call.keywords))
        )

    @cached_property
    def _scan(self) -> _Scan:
        types: set[type[ast.AST]] = set()
        imported: set[str] = set()
        identifiers: set[str] = set()
        loaded: set[str] = set()  # names read, which may be builtins
        bound: set[str] = set()
        calls: dict[str, list[ast.Call]] = {}
        aliases: dict[str, set[str]] = {}  # ``T`` -> {"Thread"} for ``import Thread as T``
        import_texts: set[str] = set()
        for node in ast.walk(self.tree):
            types.add(type(node))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                loaded.add(node.id)
            else:
                identifiers.update(_identifiers(node))
                bound.update(_bound(node))
            if isinstance(node, ast.Call):
                callee = last_name(node.func)
                if callee is not None:
                    calls.setdefault(callee, []).append(node)
            elif alias := _alias(node):
                aliases.setdefault(alias[0], set()).add(alias[1])
            if isinstance(node, ast.Import | ast.ImportFrom):
                import_texts.update(alias.name for alias in node.names)
                import_texts.add(getattr(node, "module", None) or "")
            if isinstance(node, ast.Import):
                for imported_name in node.names:
                    imported.update(_prefixes(imported_name.name))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.update(_prefixes(node.module))
        builtin = (loaded - bound) & _BUILTINS
        implicit = implicit_modules(loaded, bound)
        imported.update(implicit)  # a fragment's unimported modules
        beside = identifiers | (loaded - builtin)
        for name, meant in _closure(aliases).items():
            by_name = [call for call in calls.get(name, ()) if isinstance(call.func, ast.Name)]
            for original in meant:
                calls.setdefault(original, []).extend(by_name)
        return _Scan(
            frozenset(types),
            frozenset(imported),
            frozenset(identifiers | loaded),
            frozenset(beside),
            {
                name: kept
                for name, found in calls.items()
                if (kept := tuple(
                    call for call in found
                    if not (name in builtin and isinstance(call.func, ast.Name))
                ))
            },
            implicit,
            frozenset(import_texts),
        )


def _prefixes(dotted: str) -> Iterable[str]:
    parts = dotted.split(".")
    return (".".join(parts[: count + 1]) for count in range(len(parts)))


def _alias(node: ast.AST) -> tuple[str, str] | None:
    """``(new, old)`` for a statement that gives a callable a second name: ``import x as
    new``, ``from m import old as new`` or ``new = m.old``."""
    if isinstance(node, ast.alias) and node.asname:
        return node.asname, node.name.rpartition(".")[2]
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], last_name(node.value)
        if isinstance(target, ast.Name) and value is not None:
            return target.id, value
    return None


def _closure(aliases: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Every name each alias can stand for, through aliases of aliases."""
    closed: dict[str, set[str]] = {}
    for name in aliases:
        seen: set[str] = set()
        pending = [name]
        while pending:
            for meant in aliases.get(pending.pop(), ()):
                if meant not in seen:
                    seen.add(meant)
                    pending.append(meant)
        closed[name] = seen
    return closed


def last_name(func: ast.expr) -> str | None:
    """``Thread`` for ``threading.Thread`` or ``Thread``: what a call names last."""
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _bound(node: ast.AST) -> Iterable[str]:
    """Names ``node`` binds in some scope (a builtin of that name is then not certain)."""
    if isinstance(node, ast.Name):
        return (node.id,)  # stored or deleted: loads are handled by the caller
    if isinstance(node, ast.alias):
        return (node.asname or node.name.partition(".")[0],)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return (node.name,)
    if isinstance(node, ast.arg):
        return (node.arg,)
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
        return (node.name,)
    if isinstance(node, ast.MatchMapping) and node.rest:
        return (node.rest,)
    return ()


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
