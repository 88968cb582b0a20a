"""Locks: which values are locks, which lock a value is, and which locks are held where.

A value is a lock by construction (``threading.Lock()``, ``RLock``, ``Condition``,
``Semaphore``, found by the type model through assignments and ``self.`` attributes) or, when
its type is unknown, by a name ending like a lock (``_lock``, ``mutex``). The name fallback is
only used to decide that code *is* guarded, never to report.

A lock is held inside ``with lock:``, inside ``if lock.acquire(...):``, and after an
``acquire()`` statement up to the ``release()`` statement of the same block; a call to a
helper of the module that only acquires (or only releases) counts as an ``acquire()``
(``release()``) statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import GlobalScope

from concurlint.model.catalog import Catalog
from concurlint.model.module import FunctionNode, ModuleModel

_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_DEPTH = 4


@dataclass(frozen=True)
class LockId:
    """Where a lock lives: a module-level name, or an attribute of a class (``self._a``)."""

    owner: cst.CSTNode  # the Module or the ClassDef
    name: str
    label: str = field(compare=False)  # how the code spells it, e.g. "self._a"


@dataclass(frozen=True)
class HeldLock:
    """A lock held at some point: the expression that took it and where it was taken."""

    expression: cst.BaseExpression
    identity: LockId | None
    at: cst.CSTNode


def last_name(expression: cst.BaseExpression) -> str | None:
    """The identifier a value is known by: ``x``, ``obj.x``, ``x[k]`` or ``x(...)``'s ``x``."""
    for _ in range(_DEPTH):
        if isinstance(expression, cst.Name):
            return expression.value
        if isinstance(expression, cst.Attribute):
            return expression.attr.value
        if isinstance(expression, cst.Subscript):
            expression = expression.value
        elif isinstance(expression, cst.Call):
            expression = expression.func
        else:
            return None
    return None


def method_call(node: cst.CSTNode | None, method: str) -> cst.BaseExpression | None:
    """The receiver of ``receiver.method(...)``, if ``node`` is such a call."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == method
    ):
        return node.func.value
    return None


def statement_values(statement: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """The top-level expressions of a simple statement line (``x()``, ``y = x()``)."""
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if isinstance(small, (cst.Expr, cst.Assign, cst.AnnAssign)) and small.value is not None:
                yield small.value


def typed_lock_screen_words(catalog: Catalog) -> frozenset[str]:
    """Words one of which a file must contain to construct a lock: the lock types' class
    names (`allocate_lock` is `_thread`'s)."""
    return frozenset(
        {*(name.rpartition(".")[2] for name in catalog.names("lock-types")), "allocate"}
    )


def _suffix_forms(catalog: Catalog) -> tuple[str, ...]:
    return tuple(
        form
        for suffix in sorted(catalog.names("lock-name-suffixes"))
        for form in (suffix, suffix.capitalize(), suffix.upper())
    )


class LockAnalysis:
    """Get it with ``model.analysis(LockAnalysis)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        catalog = model.catalog
        self.lock_types = frozenset(model.canonical(n) for n in catalog.names("lock-types"))
        self.wrappers = frozenset(model.canonical(n) for n in catalog.names("lock-wrappers"))
        self.suffixes = _suffix_forms(catalog)
        self._helpers: dict[cst.FunctionDef, tuple[frozenset[str], frozenset[str]]] = {}
        self._attributes: dict[str, bool] | None = None

    # -- what is a lock -----------------------------------------------------------------------

    def is_typed_lock(self, expression: cst.BaseExpression) -> bool:
        return bool(self.model.infer_types(expression) & self.lock_types) or (
            self._project_lock(expression) is not None
        )

    def _project_lock(self, expression: cst.BaseExpression) -> str | None:
        """The absolute name of the module-level lock of another module of the project that
        ``expression`` names through an import (``LOCK``, ``sync.LOCK``), if it does."""
        if not self.model.project.threads.locks or not isinstance(
            expression, (cst.Name, cst.Attribute)
        ):
            return None
        names = self.model.qualified_names(expression)
        found = self.model.project.lock(names) if len(names) == 1 else None
        return found[0] if found is not None else None

    def looks_like_lock(self, expression: cst.BaseExpression) -> bool:
        """A lock by construction or, when the type is unknown, by its name."""
        if self.is_typed_lock(expression):
            return True
        if self.model.infer_types(expression):
            return False  # known to be something else
        name = last_name(expression)
        return name is not None and name.endswith(self.suffixes)

    def taken_by_hand(self, expression: cst.BaseExpression) -> bool:
        """A lock whose ``acquire()`` must be matched by a ``release()``: one that
        ``looks_like_lock``, an instance of a class of this module that defines ``acquire``
        and a ``release(self)`` (a lock class wrapping another, ``self`` in its methods), or
        an attribute of an untyped value (a parameter) that the module's classes only ever
        set to a lock (``sl.l`` where ``self.l = Lock()``)."""
        if self.looks_like_lock(expression):
            return True
        klass = self.model.receiver_class(expression)
        if klass is not None:
            # `release(self)` alone: a pool's `release(connection)` gives back something else
            release = self.model.method_of(klass, "release")
            return (
                self.model.method_of(klass, "acquire") is not None
                and release is not None
                and len(release.params.params) == 1
                and release.params.star_arg is cst.MaybeSentinel.DEFAULT
            )
        if not isinstance(expression, cst.Attribute) or self.model.infer_types(expression):
            return False
        return self._lock_attributes().get(expression.attr.value, False)

    def _lock_attributes(self) -> dict[str, bool]:
        """For each attribute name the module's classes assign: whether every value they
        assign to it is a lock by construction."""
        if self._attributes is None:
            found: dict[str, bool] = {}
            names = {attribute.attr.value for attribute in self.model.nodes(cst.Attribute)}
            for klass in self.model.nodes(cst.ClassDef):
                for name in names:
                    values = list(self.model.attribute_assignments(klass, name))
                    if values:
                        typed = all(self.model.infer_types(v) & self.lock_types for v in values)
                        found[name] = found.get(name, True) and typed
            self._attributes = found
        return self._attributes

    def identity(self, expression: cst.BaseExpression, depth: int = 0) -> LockId | None:
        """The lock ``expression`` denotes, when it is a lock by construction and lives at a
        known place; a ``Condition`` built on another lock is that lock."""
        if depth > _DEPTH or not self.is_typed_lock(expression):
            return None
        found = self._place(expression)
        if found is None:
            return None
        identity, values = found
        wrapped = [self._wrapped_lock(value) for value in values]
        if values and all(w is not None for w in wrapped):
            inner = {self.identity(w, depth + 1) for w in wrapped if w is not None}
            if len(inner) == 1 and None not in inner:
                return inner.pop()
        return identity

    def _wrapped_lock(self, value: cst.BaseExpression) -> cst.BaseExpression | None:
        if (
            isinstance(value, cst.Call)
            and value.args
            and self.model.call_names(value) & self.wrappers
            and value.args[0].keyword is None
        ):
            return value.args[0].value
        return None

    def _place(
        self, expression: cst.BaseExpression
    ) -> tuple[LockId, list[cst.BaseExpression]] | None:
        """The lock's place and the values assigned there."""
        model = self.model
        bound = self._project_lock(expression)
        if bound is not None:
            return LockId(model.module, bound, model.code(expression)), []
        if isinstance(expression, cst.Name):
            scope = model.scope(expression)
            if scope is None:
                return None
            assignments = scope[expression.value]
            if not assignments or not all(isinstance(a.scope, GlobalScope) for a in assignments):
                return None
            value = model.single_assigned_value(expression)
            return LockId(model.module, expression.value, expression.value), (
                [value] if value is not None else []
            )
        if isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Name):
            klass = self._owning_class(expression.value)
            if klass is None:
                return None
            attr = expression.attr.value
            label = f"{expression.value.value}.{attr}"
            return LockId(klass, attr, label), list(model.attribute_assignments(klass, attr))
        return None

    def _owning_class(self, receiver: cst.Name) -> cst.ClassDef | None:
        """The class whose attribute ``receiver.x`` is: ``self``/``cls`` in a method, or a
        class of the module named directly."""
        model = self.model
        bound = model.class_bound_to(receiver)
        if isinstance(bound, cst.ClassDef):
            return bound
        function = model.enclosing_function(receiver)
        if isinstance(function, cst.FunctionDef) and receiver.value == model.self_name(function):
            return model.enclosing_class(function)
        return None

    # -- where locks are held -----------------------------------------------------------------

    def held(self, node: cst.CSTNode) -> list[HeldLock]:
        """Locks held at ``node`` by its own function (innermost first)."""
        result: list[HeldLock] = []
        path: list[cst.CSTNode] = [node]
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, _BOUNDARIES):
                break
            child = path[-1]
            if isinstance(ancestor, cst.With):
                result.extend(self._with_held(ancestor, child))
            elif isinstance(ancestor, cst.If) and child is ancestor.body:
                result.extend(self._acquired_by_test(ancestor.test))
            elif isinstance(ancestor, (cst.IndentedBlock, cst.Module)):
                result.extend(self._held_after_siblings(ancestor.body, child))
            path.append(ancestor)
        return result

    def _with_held(self, statement: cst.With, child: cst.CSTNode) -> list[HeldLock]:
        items = statement.items
        if child is not statement.body:
            # `with a, b:`: b is taken while a is held
            items = items[: next((i for i, item in enumerate(items) if item is child), 0)]
        return [
            HeldLock(item.item, self.identity(item.item), item)
            for item in reversed(items)
            if self.looks_like_lock(item.item)
        ]

    def _acquired_by_test(self, test: cst.BaseExpression) -> list[HeldLock]:
        receiver = method_call(test, "acquire")
        if receiver is not None and self.looks_like_lock(receiver):
            return [HeldLock(receiver, self.identity(receiver), test)]
        return []

    def _held_after_siblings(
        self, body: tuple[cst.CSTNode, ...] | list[cst.CSTNode] | object, child: cst.CSTNode
    ) -> list[HeldLock]:
        statements = list(body) if isinstance(body, (tuple, list)) else []
        index = next((i for i, s in enumerate(statements) if s is child), None)
        if index is None:
            return []
        released: set[str] = set()
        result = []
        for previous in reversed(statements[:index]):
            released |= self.released_keys(previous)
            for key, receiver, at in self.acquired(previous):
                if key not in released:
                    result.append(HeldLock(receiver, self.identity(receiver), at))
                    released.add(key)
        return result

    def acquired(
        self, statement: cst.CSTNode
    ) -> list[tuple[str, cst.BaseExpression, cst.CSTNode]]:
        """Locks a statement acquires and keeps: ``x.acquire()`` (as a statement, an assigned
        value or under ``if not``), or a call of an acquiring helper of the module."""
        found: list[tuple[str, cst.BaseExpression, cst.CSTNode]] = []
        expressions = list(statement_values(statement))
        if isinstance(statement, cst.If):
            test = statement.test
            if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                expressions.append(test.expression)
        for value in expressions:
            receiver = method_call(value, "acquire")
            if receiver is not None and self.looks_like_lock(receiver):
                found.append((self.model.code(receiver), receiver, value))
            elif isinstance(value, cst.Call):
                helper = self._helper(value)
                if helper is not None:
                    found.extend((key, value, value) for key in helper[0])
        return found

    def released_keys(self, statement: cst.CSTNode) -> set[str]:
        keys = set()
        for value in statement_values(statement):
            receiver = method_call(value, "release")
            if receiver is not None:
                keys.add(self.model.code(receiver))
            elif isinstance(value, cst.Call):
                helper = self._helper(value)
                if helper is not None:
                    keys |= helper[1]
        return keys

    def _helper(self, call: cst.Call) -> tuple[frozenset[str], frozenset[str]] | None:
        """(locks it acquires and keeps, locks it releases) for a helper of the module whose
        body only acquires or only releases locks, e.g. ``_acquire_lock()``."""
        function = self.model.resolve_function(call)
        if function is None:
            return None
        if function not in self._helpers:
            acquired, released = set(), set()
            for inner in self.model.calls_in(function):
                receiver = method_call(inner, "acquire")
                if receiver is not None and self.looks_like_lock(receiver):
                    acquired.add(self.model.code(receiver))
                receiver = method_call(inner, "release")
                if receiver is not None and self.looks_like_lock(receiver):
                    released.add(self.model.code(receiver))
            if acquired and released:
                acquired = released = set()
            self._helpers[function] = (frozenset(acquired), frozenset(released))
        acquired_keys, released_keys = self._helpers[function]
        return (acquired_keys, released_keys) if acquired_keys or released_keys else None

    def has_lock_decorator(self, function: FunctionNode) -> bool:
        """A decorator that runs the whole function under a lock (``@synchronized``)."""
        if not isinstance(function, cst.FunctionDef):
            return False
        words = self.model.catalog.names("lock-decorator-words")
        for decorator in function.decorators:
            name = last_name(decorator.decorator)
            if name is not None and (
                name.lower() in words or name.endswith(self.suffixes)
            ):
                return True
        return False
