"""Who holds a thread lock, and whether some holder waits while holding it.

Taking a ``threading.Lock`` in a coroutine waits only as long as the current holder keeps
it. When every holder only updates a few attributes, that is as short as a GIL switch and
the event loop never notices; the loop stalls (or the program deadlocks) when some holder
blocks while holding the lock, or holds it across an ``await``. Holders are the ``with``
blocks of the module on the same lock (``LockAnalysis.identity``: a module-level name or an
attribute of one class); a lock whose identity is unknown has holders that cannot be seen,
and is not reported (a miss rather than a false report).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeGuard

import libcst as cst

from concurlint.model.locks import LockAnalysis, LockId
from concurlint.model.module import ModuleModel
from concurlint.model.suspension import Suspension
from concurlint.model.walk import descendants

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_ACQUIRING = ("__enter__", "acquire")

# What a call inside a holder does: the chain's first step when it blocks, else None.
BlockingStep = Callable[[cst.Call | cst.WithItem], str | None]


def takes_lock(model: ModuleModel, name: str) -> bool:
    """True when the catalog entry ``name`` takes a lock (``threading.Lock.__enter__``,
    ``threading.RLock.acquire``) rather than waiting for something else."""
    owner, _, method = name.rpartition(".")
    return method in _ACQUIRING and owner in model.analysis(LockAnalysis).lock_types


class LockHolders:
    """Get it with ``model.analysis(LockHolders)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.locks = model.analysis(LockAnalysis)
        self._waiting: dict[LockId, list[tuple[cst.With, str]]] = {}

    def identity(self, expression: cst.BaseExpression) -> LockId | None:
        return self.locks.identity(expression)

    def waiting_holder(
        self, lock: LockId, blocking: BlockingStep, taken_by: cst.CSTNode | None = None
    ) -> str | None:
        """Where some holder of ``lock`` other than the ``with`` statement ``taken_by`` waits
        while holding it, for a message (```def flush` calls `time.sleep()` while holding
        `flush_lock```), or None when every holder only computes."""
        if lock not in self._waiting:
            self._waiting[lock] = []  # a holder that takes the same lock again adds nothing
            self._waiting[lock] = self._find_waiting(lock, blocking)
        return next((where for holder, where in self._waiting[lock] if holder is not taken_by),
                    None)

    def _find_waiting(self, lock: LockId, blocking: BlockingStep) -> list[tuple[cst.With, str]]:
        found = []
        suspension = self.model.analysis(Suspension)
        for statement in self._holders(lock):
            where = self._holder_name(statement)
            for node in self._held_part(statement, lock):
                if (isinstance(node, cst.Await) or (
                    isinstance(node, cst.For | cst.With) and node.asynchronous is not None
                )) and suspension.suspends(node):
                    found.append((statement, f"`{where}` awaits while holding `{lock.label}`"))
                    break
                if not self._runs_code(node, lock):
                    continue
                step = blocking(node)
                if step is not None:
                    found.append(
                        (statement, f"`{where}` calls `{step}` while holding `{lock.label}`")
                    )
                    break
        return found

    def _runs_code(self, node: cst.CSTNode, lock: LockId) -> TypeGuard[cst.Call | cst.WithItem]:
        """A call or a ``with`` item that is not the lock itself (``cond.wait()`` releases
        it while waiting; a nested ``with lock:`` of an ``RLock`` takes it again)."""
        if isinstance(node, cst.Call):
            return not self._on_lock(node, lock)
        return isinstance(node, cst.WithItem) and not self._is_lock(node.item, lock)

    def _held_part(self, statement: cst.With, lock: LockId) -> Iterator[cst.CSTNode]:
        """The nodes that run while ``statement`` holds ``lock``: the items after it (``with
        lock, open(path):``) and the body."""
        items = list(statement.items)
        first = next(i for i, item in enumerate(items) if self._is_lock(item.item, lock))
        for item in items[first + 1 :]:
            yield item
            yield from descendants(item, _SCOPES)
        for node in descendants(statement.body, _SCOPES):
            if isinstance(node, cst.With) and node.asynchronous is None:
                continue  # its items are visited as such
            yield node

    def _holders(self, lock: LockId) -> list[cst.With]:
        return [
            statement
            for statement in self.model.nodes(cst.With)
            if statement.asynchronous is None
            and any(self._is_lock(item.item, lock) for item in statement.items)
        ]

    def _on_lock(self, call: cst.Call, lock: LockId) -> bool:
        """A method of the lock itself (``cond.wait()`` releases it while waiting)."""
        return isinstance(call.func, cst.Attribute) and self._is_lock(call.func.value, lock)

    def _is_lock(self, expression: cst.BaseExpression, lock: LockId) -> bool:
        return self.identity(expression) == lock

    def _holder_name(self, statement: cst.With) -> str:
        function = self.model.enclosing_function(statement)
        if isinstance(function, cst.FunctionDef):
            prefix = "async def" if function.asynchronous is not None else "def"
            return f"{prefix} {function.name.value}"
        return "module code"
