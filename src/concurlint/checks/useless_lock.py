"""CCL106: a lock no other thread can ever see, so holding it excludes nothing."""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import FunctionScope

from concurlint.model.index import ModuleIndex
from concurlint.model.locks import LockAnalysis, method_call, typed_lock_screen_words
from concurlint.model.threads import ThreadAnalysis, display_name
from concurlint.rule import Rule
from concurlint.screen import TreeFacts

_LOCK_METHODS = frozenset({"acquire", "release", "locked"})


class UselessLock(Rule):
    code = "CCL106"
    message = (
        "`{lock}` {made}: no other thread can hold the same lock, so it excludes nothing; "
        "create the lock once, where every thread that needs it can reach it (a module "
        "global or an attribute set in `__init__`), and hold that one"
    )

    def screen_words(self) -> frozenset[str]:
        return typed_lock_screen_words(self.catalog)

    def screen_tree(self, facts: TreeFacts) -> bool:
        """A report needs a lock built by construction and a ``with`` or ``acquire()``."""
        return (
            self.imports_lead_to(facts, self.catalog.names("lock-types"))
            and facts.mentions_any(self.screen_words())
            and (facts.has(ast.With) or facts.calls_any(("acquire",)))
        )

    def visit_Module(self, node: cst.Module) -> None:
        locks = self.model.analysis(LockAnalysis)
        for item in self.model.analysis(ModuleIndex).with_items:
            if self._new_lock(item.item, locks):
                self.report(
                    item.item, lock=self.model.code(item.item),
                    made="is created by the `with` statement that holds it",
                )
        threads = self.model.analysis(ThreadAnalysis)
        for function in self.model.analysis(ModuleIndex).functions:
            if not threads.runs_in_thread(function):
                continue
            for name, value in self._private_locks(function, locks):
                self.report(
                    value, lock=name,
                    made=(
                        f"is created anew on each call of `{display_name(self.model, function)}`"
                        ", which runs on a thread"
                    ),
                )

    def _new_lock(self, value: cst.BaseExpression, locks: LockAnalysis) -> bool:
        """A call of a lock type's constructor (not of a function that returns a lock, which
        may hand out a shared one); ``Condition(lock)`` shares the lock given."""
        if not isinstance(value, cst.Call):
            return False
        names = self.model.call_names(value)
        return bool(names & self._constructors(locks)) and not (
            value.args and names & locks.wrappers
        )

    def _constructors(self, locks: LockAnalysis) -> frozenset[str]:
        """The lock types and the catalog calls that return one (``_thread.allocate_lock``)."""
        returns = self.catalog.section("returns")
        return locks.lock_types | frozenset(
            self.model.canonical(name)
            for name, kind in returns.items()
            if self.model.canonical(kind) in locks.lock_types
        )

    def _private_locks(
        self, function: cst.FunctionDef | cst.Lambda, locks: LockAnalysis
    ) -> list[tuple[str, cst.BaseExpression]]:
        """Local variables bound once to a new lock and used only to take and release it:
        the lock never leaves the call (no argument, closure, return or attribute)."""
        found = []
        for statement in self.model.analysis(ModuleIndex).writes:
            target, assign, _ = statement
            if not (
                isinstance(assign, cst.Assign)
                and isinstance(target, cst.Name)
                and len(assign.targets) == 1
                and assign.targets[0].target is target
                and self.model.enclosing_function(assign) is function
                and self._new_lock(assign.value, locks)
            ):
                continue
            scope = self.model.scope(target)
            if not isinstance(scope, FunctionScope):
                continue
            assignments = list(scope[target.value])
            if len(assignments) != 1 or not self._only_locked(scope, target.value):
                continue
            found.append((target.value, assign.value))
        return found

    def _only_locked(self, scope: FunctionScope, name: str) -> bool:
        accesses = list(scope.accesses[name])
        if not accesses:
            return False
        for access in accesses:
            node = access.node
            if self.model.scope(node) is not scope:
                return False  # read by a nested function or lambda: shared with it
            parent = self.model.parent(node)
            if isinstance(parent, cst.WithItem) and parent.item is node:
                continue
            if (
                isinstance(parent, cst.Attribute)
                and parent.value is node
                and parent.attr.value in _LOCK_METHODS
                and method_call(self.model.parent(parent), parent.attr.value) is node
            ):
                continue
            return False
        return True
