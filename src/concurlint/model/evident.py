"""Races whose own code says that it runs on several threads at once.

CCL101 otherwise needs a thread entry point (``ThreadAnalysis``): a lock alone is no evidence
(docs/rules/CCL101.md). Two acts are evidence by themselves, because they make sense only
with concurrent callers:

- a thread synchronization object (the catalog's ``[thread-synchronizers]``: a lock, a
  semaphore, a condition, a ``threading.local()``) created on first use after a check that
  it is missing, with no lock held. Such an object is made to be shared by several threads,
  so its creators run on several threads; two that both find it missing each create their
  own, and then exclude nothing (or, for a ``threading.local()``, the later one replaces the
  earlier one and what the first thread stored in it);
- a check-then-act whose act takes a lock by construction and whose check does not, and
  that does not check again under the lock (``ThreadAnalysis.checked_outside_lock``): the
  author took the lock because several threads run the act, and two of them can both pass
  the check before either takes the lock.

Neither is reported in code that runs before the object is shared (the catalog's
``[initializer-methods]``, ``__init__``, ``__setstate__``..., helpers that only they or the
module's import call) or on one event loop (an ``async def``).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

import libcst as cst

from concurlint.model.callgraph import CallGraph
from concurlint.model.index import ModuleIndex
from concurlint.model.locks import LockAnalysis
from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.threads import (
    CHECKED_OUTSIDE,
    KeyOf,
    Race,
    StateKey,
    StateWrite,
    ThreadAnalysis,
)

_LOCAL = "threading.local"


class EvidentRaces:
    """Get it with ``model.analysis(EvidentRaces)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.threads = model.analysis(ThreadAnalysis)
        self.locks = model.analysis(LockAnalysis)
        self.graph = model.analysis(CallGraph)
        catalog = model.catalog
        self.synchronizers = frozenset(
            model.canonical(name) for name in catalog.names("thread-synchronizers")
        )
        self.initializers = catalog.names("initializer-methods")

    @cached_property
    def races(self) -> tuple[Race, ...]:
        """The races these acts show, beside those ``ThreadAnalysis`` finds."""
        reported = {race.write.node for race in self.threads.races}
        found: list[Race] = []
        for write in (*self.threads.writes, *self._parameter_writes):
            if write.node in reported or write.function is None:
                continue
            if self._single_threaded(write.function) or self._per_thread(write.key):
                continue
            race = self._lazy_creation(write) or self._locked_act(write)
            if race is not None:
                found.append(race)
        found.extend(self._lazy_creations_in_helpers())
        return tuple(found)

    @cached_property
    def _parameter_writes(self) -> list[StateWrite]:
        """Synchronization objects stored on an object the function is given
        (``if not hasattr(obj, "_lock"): obj._lock = RLock()``): stored there to be found by
        later calls with the same object, so shared by them, although ``ThreadAnalysis`` does
        not place a parameter's attributes."""
        found = []
        for target, statement, augmented in self.model.analysis(ModuleIndex).writes:
            key = None if augmented else self._parameter_key(target)
            if key is None or self._created(statement) is None:
                continue
            function = self.model.enclosing_function(statement)
            if self.threads.checks(key, statement, self._parameter_key):
                found.append(StateWrite(key, statement, function, "check-then-act"))
        return found

    def _parameter_key(self, expression: cst.BaseExpression) -> StateKey | None:
        """``p.attr`` where ``p`` is only ever a parameter of its function, if
        ``ThreadAnalysis`` does not place it already."""
        if not isinstance(expression, cst.Attribute) or not isinstance(
            expression.value, cst.Name
        ):
            return None
        name = expression.value
        function = self.model.enclosing_function(name)
        scope = self.model.scope(name)
        assignments = list(scope[name.value]) if scope is not None else []
        if (
            not isinstance(function, cst.FunctionDef)
            or not assignments
            or not all(
                isinstance(getattr(a, "node", None), cst.Param) and a.scope is scope
                for a in assignments
            )
            or self.threads.state_key(expression) is not None
        ):
            return None
        label = f"{name.value}.{expression.attr.value}"
        return StateKey("parameter", function, label, label)

    def _lazy_creation(self, write: StateWrite) -> Race | None:
        created = self._created(write.node)
        if (
            created is None
            or write.operation != "check-then-act"
            or self.threads.guarded(write.node)
            or not self._when_missing(write.key, write.node, self._key_of(write))
        ):
            return None
        assert write.function is not None
        return self._lazy_race(write, write.function, created)

    def _lazy_creations_in_helpers(self) -> list[Race]:
        """A helper that creates the object unconditionally, called under the check (``if
        not hasattr(cls, "_local"): cls._make()``): the check-then-act spans the call, and is
        reported at the call, once however many objects the helper creates."""
        found: list[Race] = []
        calls: set[cst.Call] = set()
        for write in self.threads.writes:
            function = write.function
            created = self._created(write.node)
            if created is None or write.operation != "write" or not isinstance(
                function, cst.FunctionDef
            ):
                continue
            if self._per_thread(write.key):
                continue
            for call in self.graph.calls_to(function):
                caller = self.model.enclosing_function(call)
                if (
                    caller is None
                    or self._single_threaded(caller)
                    or not self._when_missing(write.key, call, self.threads.state_key)
                    or self.threads.guarded(call)
                    or call in calls
                ):
                    continue
                calls.add(call)
                act = StateWrite(write.key, call, caller, "check-then-act")
                found.append(self._lazy_race(act, caller, created, function))
        return found

    def _lazy_race(
        self,
        write: StateWrite,
        function: FunctionNode,
        created: str,
        helper: cst.FunctionDef | None = None,
    ) -> Race:
        through = f" (through `{helper.name.value}`)" if helper is not None else ""
        if created == _LOCAL:
            outcome = "and the later one replaces the earlier with what the first thread stored"
        else:
            outcome = "which then exclude nothing"
        before = (
            "in `__init__`"
            if write.key.kind in ("instance", "parameter")
            else "at import time"
        )
        return Race(
            write,
            function,
            elsewhere=f"two threads that both find it missing can each create their own, {outcome}",
            where=(
                f"which creates a `{created}`{through} on first use (an object made to be "
                "shared by several threads)"
            ),
            advice=f"create it once, before it is shared ({before})",
            harm="the code it guards can run on several threads at once",
        )

    def _locked_act(self, write: StateWrite) -> Race | None:
        """A check made before taking a lock by construction, acted on under it."""
        if not self.threads.guarded(write.node) or self.threads.stores_same_constant(write):
            return None
        lock = self.threads.checked_outside_lock(write)
        if lock is None or not self.locks.is_typed_lock(lock.expression):
            return None
        if any(
            other.key == write.key
            and other.node is not write.node
            and other.function is not None
            and not self._single_threaded(other.function)
            and not self.threads.guarded(other.node)
            for other in self.threads.writes
        ):
            return None  # written elsewhere without a lock: the lock guards other state
        assert write.function is not None
        label = self.model.code(lock.expression)
        return Race(
            replace(write, operation=CHECKED_OUTSIDE),
            write.function,
            elsewhere=(
                "two threads can both pass the check before either takes the lock, then act "
                "one after the other"
            ),
            where=f"which takes `{label}` to act, so several threads run it",
            advice="check again after taking the lock",
            harm="the act can run twice",
        )

    def _created(self, statement: cst.CSTNode) -> str | None:
        """The synchronization type an assignment stores a new object of, if it does."""
        value = statement.value if isinstance(statement, (cst.Assign, cst.AnnAssign)) else None
        if not isinstance(value, cst.Call):
            return None
        types = self.model.infer_types(value) & self.synchronizers
        return min(types) if types else None

    def _per_thread(self, key: StateKey) -> bool:
        """State of objects that each thread makes for itself: every construction of the
        class in the module is stored on a ``threading.local()`` (``_context.adapter =
        Adapter()``), so no two threads share one."""
        klass = key.owner
        if key.kind != "instance" or not isinstance(klass, cst.ClassDef):
            return False
        made = [
            call
            for call in self.model.analysis(ModuleIndex).calls
            if self.model.constructed_class(call) is klass
        ]
        return bool(made) and all(self._stored_per_thread(call) for call in made)

    def _stored_per_thread(self, call: cst.Call) -> bool:
        assignment = self.model.parent(call)
        return isinstance(assignment, cst.Assign) and all(
            isinstance(target.target, cst.Attribute)
            and self.threads.thread_safe(target.target.value)
            for target in assignment.targets
        )

    def _key_of(self, write: StateWrite) -> KeyOf:
        return self._parameter_key if write.key.kind == "parameter" else self.threads.state_key

    def _when_missing(self, key: StateKey, node: cst.CSTNode, key_of: KeyOf) -> bool:
        """True when ``node`` runs because the innermost check of ``key`` found it missing
        (``is None``, ``not hasattr``, ``not in``, ``except AttributeError``, or the ``else``
        of a test that it is there); replacing one that is there (``if self._lock is not
        None: self._lock = Lock()``, after a fork) is no lazy creation."""
        checks = self.threads.checks(key, node, key_of)
        if not checks:
            return False
        check = checks[0]
        if not isinstance(check, cst.If):
            return True
        in_body = check.body in {node, *self.model.ancestors(node)}
        return _missing_test(check.test) == in_body

    def _single_threaded(self, function: FunctionNode) -> bool:
        """Code that runs before the object is shared or on one thread only: an initializer,
        a helper of the module that only initializers or the module's import call, or an
        ``async def`` (one event loop runs it; nothing interleaves between a check and an
        act with no ``await`` between them)."""
        if not isinstance(function, cst.FunctionDef):
            return False
        if function.asynchronous is not None or function.name.value in self.initializers:
            return True
        calls = self.graph.calls_to(function)
        return bool(calls) and all(
            caller is None
            or (isinstance(caller, cst.FunctionDef) and caller.name.value in self.initializers)
            for caller in (self.model.enclosing_function(call) for call in calls)
        )


def _missing_test(test: cst.BaseExpression) -> bool:
    """True for a test that holds when something is missing (``x is None``, ``not x``,
    ``k not in d``, ``not hasattr(o, "x")``); ``or``/``and`` hold one such test."""
    if isinstance(test, cst.BooleanOperation):
        return _missing_test(test.left) or _missing_test(test.right)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return not _missing_test(test.expression)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        (target,) = test.comparisons
        operator, right = target.operator, target.comparator
        if isinstance(operator, cst.NotIn):
            return True
        none = isinstance(right, cst.Name) and right.value == "None"
        return none and isinstance(operator, (cst.Is, cst.Equal))
    return False
