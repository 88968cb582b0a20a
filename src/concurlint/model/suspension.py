"""Where a coroutine can be suspended: the points at which other tasks run (and at which a
cancellation arrives).

``can_suspend`` reads the syntax: every ``await``, ``async for`` and ``async with``.
``Suspension`` knows one more thing: taking an asyncio lock that nobody holds returns at
once (``asyncio.Lock.acquire`` takes the fast path and never yields). Within one event loop a
lock is held by another task only while that task is suspended holding it, so a lock whose
every holder in its class (or module) runs its ``async with`` body without suspending,
``cond.wait()`` aside (it releases the lock while it waits), is never contended: entering
``async with`` on it is no suspension point. A lock whose type or construction is unknown,
that is used in any other way (passed on, stored elsewhere, taken with ``acquire()``) or
shared with a subclass or a base class of the module, is taken to be contended.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import GlobalScope

from concurlint.model.module import ModuleModel
from concurlint.model.walk import descendants

# Nested definitions run later, or elsewhere: their awaits are not this code's.
SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_LOCKS = frozenset({"asyncio.Lock", "asyncio.Condition"})
_WAITS = frozenset({"wait", "wait_for"})  # release the condition's lock while they wait
_HARMLESS = frozenset({"notify", "notify_all", "locked"})  # never suspend, never take it


def can_suspend(node: cst.CSTNode) -> bool:
    """True when ``node`` (itself or below it, outside nested scopes) awaits: ``await``,
    ``async for`` or ``async with``."""
    return any(
        isinstance(n, cst.Await)
        or (isinstance(n, (cst.For, cst.With)) and n.asynchronous is not None)
        for n in (node, *descendants(node, SCOPES))
    )


class Suspension:
    """Get it with ``model.analysis(Suspension)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self._uncontended: dict[tuple[cst.CSTNode, frozenset[str]], bool] = {}

    def suspends(self, node: cst.Await | cst.For | cst.With) -> bool:
        """Whether the suspension point ``node`` (an ``await``, ``async for`` or ``async
        with``) can let other tasks run: not an ``async with`` whose every item is an
        uncontended asyncio lock."""
        if isinstance(node, cst.With) and node.asynchronous is not None:
            return not all(self.uncontended(item.item) for item in node.items)
        return True

    def uncontended(self, expression: cst.BaseExpression) -> bool:
        """``expression`` is an asyncio lock or condition of ``self`` (or of the module) that
        no task ever holds while suspended."""
        place = self._place(expression)
        if place is None:
            return False
        if place not in self._uncontended:
            self._uncontended[place] = self._never_held_suspended(*place)
        return self._uncontended[place]

    # -- the lock's place ---------------------------------------------------------------------

    def _place(self, expression: cst.BaseExpression) -> tuple[cst.CSTNode, frozenset[str]] | None:
        """The class (or module) that owns the lock and the names it goes by there: an
        attribute, and a property that returns it (``self.condition`` -> ``self._condition``)."""
        if isinstance(expression, cst.Name):
            scope = self.model.scope(expression)
            bindings = scope[expression.value] if scope is not None else ()
            if bindings and all(isinstance(b.scope, GlobalScope) for b in bindings):
                return self.model.module, frozenset({expression.value})
            return None
        if not isinstance(expression, cst.Attribute):
            return None
        klass = self._class_of_self(expression.value)
        if klass is None:
            return None
        name = expression.attr.value
        getter = self.model.method_of(klass, name)
        if getter is None:
            return klass, frozenset({name})
        backing = self._returned_attribute(getter) if self.model.is_property(getter) else None
        return (klass, frozenset({name, backing})) if backing is not None else None

    def _class_of_self(self, receiver: cst.BaseExpression) -> cst.ClassDef | None:
        """The class whose method ``receiver`` is the ``self`` of."""
        function = self.model.enclosing_function(receiver)
        if (
            isinstance(receiver, cst.Name)
            and isinstance(function, cst.FunctionDef)
            and receiver.value == self.model.self_name(function)
        ):
            return self.model.enclosing_class(function)
        return None

    def _returned_attribute(self, getter: cst.FunctionDef) -> str | None:
        """``B`` when every ``return`` of a property getter returns ``self.B``."""
        names = {
            value.attr.value if isinstance(value, cst.Attribute)
            and self._class_of_self(value.value) is not None else None
            for value in (r.value for r in self.model.returns_in(getter))
        }
        found = names.pop() if len(names) == 1 else None
        return found

    # -- every use of it ----------------------------------------------------------------------

    def _never_held_suspended(self, owner: cst.CSTNode, names: frozenset[str]) -> bool:
        constructed = False
        for use in self._uses(owner, names):
            if use is None:
                return False
            role = self._role(use, owner)
            if role is None:
                return False
            constructed |= role == "constructed"
        return constructed

    def _uses(self, owner: cst.CSTNode, names: frozenset[str]) -> list[cst.CSTNode | None]:
        """Every mention of the lock; ``None`` for one that may be another object's (a
        subclass in the module, another receiver than ``self``)."""
        model = self.model
        if isinstance(owner, cst.Module):
            return [
                node for node in model.nodes(cst.Name)
                if node.value in names and not self._is_attribute_name(node)
            ]
        assert isinstance(owner, cst.ClassDef)
        subclasses = any(
            any(isinstance(base.value, cst.Name) and base.value.value == owner.name.value
                for base in klass.bases)
            for klass in model.nodes(cst.ClassDef)
        )
        found: list[cst.CSTNode | None] = [None] if subclasses else []
        bases = self._bases_in_module(owner)
        for node in model.nodes(cst.Attribute):
            if node.attr.value not in names:
                continue
            klass = self._class_of_self(node.value)
            if klass is owner:
                found.append(node)
            elif klass is None or klass in bases:
                found.append(None)  # `other.lock`, a base's method: the same lock, maybe
        for statement in owner.body.body:  # class-level `lock = asyncio.Lock()`
            if isinstance(statement, cst.SimpleStatementLine):
                found.extend(
                    small.value if len(small.targets) == 1 else None
                    for small in statement.body
                    if isinstance(small, cst.Assign)
                    and any(isinstance(t.target, cst.Name) and t.target.value in names
                            for t in small.targets)
                )
        return found

    def _bases_in_module(self, klass: cst.ClassDef) -> set[cst.ClassDef]:
        """The classes of the module that ``klass`` derives from, directly or not: their
        methods see the same ``self``."""
        found: set[cst.ClassDef] = set()
        pending = [klass]
        while pending:
            for base in pending.pop().bases:
                bound = (
                    self.model.class_bound_to(base.value)
                    if isinstance(base.value, cst.Name) else None
                )
                if bound is not None and bound not in found:
                    found.add(bound)
                    pending.append(bound)
        return found

    def _is_attribute_name(self, name: cst.Name) -> bool:
        parent = self.model.parent(name)
        return isinstance(parent, cst.Attribute) and parent.attr is name

    def _role(self, use: cst.CSTNode, owner: cst.CSTNode) -> str | None:
        """What a mention does: ``"constructed"`` (bound to a new asyncio lock), ``"held"``
        (an ``async with`` that never suspends inside), ``"harmless"`` (a method that
        neither waits holding it nor takes it, a property handing it out), or ``None``."""
        model = self.model
        parent = model.parent(use)
        if isinstance(use, cst.Call):  # a class-level value
            return "constructed" if self._constructs(use) else None
        if isinstance(parent, cst.AssignTarget | cst.AnnAssign):
            statement = model.parent(parent)
            if isinstance(statement, cst.Assign) and len(statement.targets) > 1:
                return None  # `self.a = self.b = Lock()`: one lock under two names
            value = model.assigned_value(use)
            return "constructed" if value is not None and self._constructs(value) else None
        if isinstance(parent, cst.WithItem) and parent.item is use:
            statement = model.parent(parent)
            if isinstance(statement, cst.With) and statement.asynchronous is not None:
                return "held" if not self._suspends_holding(statement, parent) else None
            return None
        if isinstance(parent, cst.Attribute) and parent.value is use:
            call = model.parent(parent)
            method = parent.attr.value
            if isinstance(call, cst.Call) and call.func is parent and method in (
                _HARMLESS | _WAITS
            ):
                return "harmless"
            return None
        if isinstance(parent, cst.Return):
            function = model.enclosing_function(use)
            return "harmless" if isinstance(function, cst.FunctionDef) and (
                model.is_property(function) and model.enclosing_class(function) is owner
            ) else None
        return None

    def _constructs(self, value: cst.BaseExpression) -> bool:
        """A new asyncio ``Lock()`` or ``Condition()`` of its own (not over another lock)."""
        return (
            isinstance(value, cst.Call)
            and not value.args
            and bool(self.model.call_names(value) & _LOCKS)
        )

    def _suspends_holding(self, statement: cst.With, item: cst.WithItem) -> bool:
        """The ``async with`` may suspend while it holds the lock of ``item``: a later item
        is entered, or its body awaits (other than waiting on the condition itself) or
        yields."""
        if statement.items[-1] is not item:
            return True
        for node in descendants(statement.body, SCOPES):
            if isinstance(node, cst.Yield) or (
                isinstance(node, cst.For | cst.With) and node.asynchronous is not None
            ):
                return True
            if isinstance(node, cst.Await) and not self._waits_on(node.expression, item):
                return True
        return False

    def _waits_on(self, value: cst.BaseExpression, item: cst.WithItem) -> bool:
        """``value`` is ``<the lock>.wait()`` or ``.wait_for(...)``: the lock is released
        while it waits."""
        return (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in _WAITS
            and self.model.code(value.func.value).strip() == self.model.code(item.item).strip()
        )
