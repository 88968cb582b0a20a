"""State reserved under a lock before a ``yield`` and given back after it, outside ``finally``.

A hand-made lock (a reader count, a ``busy`` flag) is taken by writing state while holding a
real lock, and released by writing it again under the same lock. In a generator, and so in a
``@contextmanager``, the code after a ``yield`` runs only when the consumer resumes it: an
exception in the ``with`` body is thrown in at the ``yield``, and a consumer that stops early
closes the generator there, so a release written after the ``yield`` without ``try``/
``finally`` is skipped and the reservation is never given back.

Only the plain shape is recognized, precise by construction: in one block of the generator, a
``with L:`` that writes some state, the ``yield`` statement, and a later ``with L:`` (the same
lock, spelt the same) that writes some of the same state; the ``yield`` is in no ``try`` of
its function that has a ``finally`` or an ``except``.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from concurlint.model.index import ModuleIndex
from concurlint.model.locks import LockAnalysis
from concurlint.model.module import ModuleModel

_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


@dataclass(frozen=True)
class Reservation:
    """A ``yield`` after which ``lock`` gives back the state ``names``."""

    at: cst.CSTNode  # the `yield` expression
    lock: str  # the lock as spelt
    names: tuple[str, ...]  # the state both blocks write, as spelt


def reservations(model: ModuleModel) -> list[Reservation]:
    """Every yield of the module across which a reservation is held unprotected."""
    locks = model.analysis(LockAnalysis)
    written = _written_targets(model)
    found = []
    for node in model.nodes(cst.Yield):
        statement = _statement_of(model, node)
        if statement is None or _protected(model, statement):
            continue
        block = model.parent(statement)
        if not isinstance(block, cst.IndentedBlock):
            continue
        body = list(block.body)
        index = next(i for i, s in enumerate(body) if s is statement)
        before = _locked_writes(body[:index], locks, written)
        after = _locked_writes(body[index + 1 :], locks, written)
        for lock, names in after.items():
            shared = sorted(names & before.get(lock, set()))
            if shared:
                found.append(Reservation(node, lock, tuple(shared)))
                break
    return found


def _statement_of(model: ModuleModel, node: cst.Yield) -> cst.SimpleStatementLine | None:
    """The line of a ``yield`` used as a statement (``yield``, ``yield x``, ``v = yield``)."""
    parent = model.parent(node)
    if isinstance(parent, (cst.Expr, cst.Assign)):
        line = model.parent(parent)
        if isinstance(line, cst.SimpleStatementLine):
            return line
    return None


def _protected(model: ModuleModel, statement: cst.CSTNode) -> bool:
    """True when a ``try`` of the function around the ``yield`` has a handler or a
    ``finally``, where the author decides what happens on an exception."""
    for ancestor in model.ancestors(statement):
        if isinstance(ancestor, _BOUNDARIES):
            return False
        if isinstance(ancestor, cst.Try) and (ancestor.handlers or ancestor.finalbody):
            return True
    return False


def _written_targets(model: ModuleModel) -> dict[cst.CSTNode, str]:
    """Each writing statement of the module and the attribute it writes, as spelt (a local
    variable is no state another thread sees, and a subscript is a container's content, not
    a flag)."""
    return {
        statement: model.code(target)
        for target, statement, _ in model.analysis(ModuleIndex).writes
        if isinstance(target, cst.Attribute)
    }


def _locked_writes(
    statements: list[cst.BaseStatement],
    locks: LockAnalysis,
    written: dict[cst.CSTNode, str],
) -> dict[str, set[str]]:
    """For each lock a ``with`` of these statements takes, the state written in its body."""
    found: dict[str, set[str]] = {}
    for statement in statements:
        if not isinstance(statement, cst.With):
            continue
        for item in statement.items:
            if locks.looks_like_lock(item.item):
                lock = locks.model.code(item.item)
                found.setdefault(lock, set()).update(_writes_in(statement.body, written))
    return found


def _writes_in(body: cst.BaseSuite, written: dict[cst.CSTNode, str]) -> set[str]:
    collector = _Writes(written)
    body.visit(collector)
    return collector.names


class _Writes(cst.CSTVisitor):
    def __init__(self, written: dict[cst.CSTNode, str]) -> None:
        self.written = written
        self.names: set[str] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _BOUNDARIES):
            return False
        name = self.written.get(node)
        if name is not None:
            self.names.add(name)
        return True
