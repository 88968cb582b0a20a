"""Calls in a branch that runs only when no event loop runs in the thread, for the libcst
model: the shapes are ``concurlint.loop_branches``'s, read from the source of each test and
``try`` around the call; helpers that give the running loop or None are the module's own
(read from its ``ast``), the project's (``FileFacts.loop_checkers``) and asyncio's."""

from __future__ import annotations

import ast
from functools import cached_property

import libcst as cst

from concurlint import loop_branches
from concurlint.model.module import ModuleModel
from concurlint.summary import Resolver, summarized_functions


class NoLoopBranches:
    """Get it with ``model.analysis(NoLoopBranches)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model

    @cached_property
    def _resolver(self) -> Resolver:
        facts = self.model.project
        return Resolver.of_names(self.model.syntax_tree, facts.linted_module, facts.package)

    def _resolve(self, func: ast.expr) -> str | None:
        return self._resolver.target(func, frozenset(), None, None)

    @cached_property
    def _own_checkers(self) -> frozenset[str]:
        """The module's functions that give the running loop or None."""
        return frozenset(
            qualname
            for qualname, function, klass in summarized_functions(self.model.syntax_tree)
            if klass is None and loop_branches.returns_running_loop(function, self._resolve)
        )

    @cached_property
    def _checkers(self) -> frozenset[str]:
        """Absolute names of the other helpers that give the running loop or None."""
        imported = {self.model.project.absolute(name) or name
                    for name in self.model.project.loop_checkers}
        return loop_branches.LOOP_OR_NONE | imported

    def needs_no_loop(self, node: cst.CSTNode) -> bool:
        """True when ``node`` runs only when no event loop runs in the thread: in a handler
        of ``asyncio.get_running_loop()``'s ``RuntimeError``, or in the branch of a test of
        a helper's running loop that runs without one (``if get_running_loop() is None:``,
        the ``else`` of ``if loop:``), within the function holding ``node``."""
        child = node
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
                return False
            if isinstance(ancestor, cst.If | cst.IfExp) and child is not ancestor.test:
                if self._no_loop_side(ancestor, child):
                    return True
            elif isinstance(ancestor, cst.IndentedBlock) and self._after_exit_with_loop(
                ancestor, child
            ):
                return True
            elif isinstance(ancestor, cst.ExceptHandler) and child is ancestor.body:
                statement = self.model.parent(ancestor)
                if isinstance(statement, cst.Try) and loop_branches.source_catches_missing_loop(
                    self.model.code(statement), statement.handlers.index(ancestor), self._resolve
                ):
                    return True
            child = ancestor
        return False

    def _no_loop_side(self, test_of: cst.If | cst.IfExp, child: cst.CSTNode) -> bool:
        found = loop_branches.source_no_loop_branch(self.model.code(test_of.test))
        if found is None or (child is test_of.orelse) != found[1]:
            return False
        return self._asks_checker(test_of.test, found[0])

    def _after_exit_with_loop(self, block: cst.IndentedBlock, child: cst.CSTNode) -> bool:
        """An earlier statement of ``block`` is ``if loop: return ...``."""
        for statement in block.body:
            if statement is child:
                return False
            if isinstance(statement, cst.If) and (
                tested := loop_branches.source_exits_with_loop(self.model.code(statement))
            ) and self._asks_checker(statement.test, tested):
                return True
        return False

    def _asks_checker(self, test: cst.BaseExpression, source: str) -> bool:
        """The call or local named ``source`` in ``test`` gives the running loop or None."""
        tested = next(
            (node for node in _calls_and_names(test) if _normal(self.model.code(node)) == source),
            None,
        )
        if isinstance(tested, cst.Name):
            tested = self._assigned_call(tested)
        if not isinstance(tested, cst.Call):
            return False
        local = self.model.resolve_function(tested)
        if local is not None:
            return local.name.value in self._own_checkers
        names = {self.model.project.absolute(name) or name
                 for name in self.model.call_names(tested)}
        return not names.isdisjoint(self._checkers)

    def _assigned_call(self, name: cst.Name) -> cst.Call | None:
        """The call a local is bound to, when that is its only binding."""
        scope = self.model.scope(name)
        assignments = list(scope[name.value]) if scope is not None else []
        if len(assignments) != 1:
            return None
        value = self.model.assigned_value(getattr(assignments[0], "node", None))
        return value if isinstance(value, cst.Call) else None


def _calls_and_names(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    found: list[cst.BaseExpression] = []
    pending: list[cst.CSTNode] = [test]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Call | cst.Name):
            found.append(node)
        if not isinstance(node, cst.Call):
            pending.extend(node.children)
    return found


def _normal(source: str) -> str:
    try:
        return ast.unparse(ast.parse(f"(\n{source}\n)", mode="eval").body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
