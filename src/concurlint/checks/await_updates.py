"""CCL208: shared state read before an ``await`` and written from that read after it."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import libcst as cst
from libcst.metadata import GlobalScope

from concurlint.model.suspension import SCOPES, can_suspend
from concurlint.model.walk import descendants
from concurlint.rule import Rule
from concurlint.screen import TreeFacts

_LOCK_WORDS = ("lock", "semaphore", "mutex")


class UpdateAcrossAwait(Rule):
    code = "CCL208"
    message = (
        "`{state}` is {read} before an `await` and written {written} after it in "
        "`async def {function}`; {harm}; hold an `asyncio.Lock` across both, or read it again "
        "after the `await`"
    )
    keywords = ("await",)

    def screen_tree(self, facts: TreeFacts) -> bool:
        return facts.has(ast.Await)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        """``self.total += await price()``: the target is read before the value is awaited."""
        if can_suspend(node.value):
            self._check_write(node, node.target, "read")

    def visit_Assign(self, node: cst.Assign) -> None:
        """``state = f(state, await g())``, or a local copy of the state read before an
        ``await`` in an earlier statement of the same block."""
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        key = self._key(target)
        if key is None:
            return
        if any(self._read_before_await(read, node.value) for read in self._reads(node.value, key)):
            self._check_write(node, target, "read")
        elif self._local_copy_read_before_await(node, key):
            self._check_write(node, target, "read into a local")

    def visit_If(self, node: cst.If) -> None:
        """``if key not in cache: cache[key] = await load(key)``."""
        container = _absent_check(node.test)
        if container is None or self._shared_container(container) is None:
            return
        wanted = self.model.code(container)
        for statement in _statements(node.body):
            for assign in _assignments(statement):
                target = assign.targets[0].target
                if (
                    isinstance(target, cst.Subscript)
                    and self.model.code(target.value) == wanted
                    and (can_suspend(assign.value) or self._awaits_before(node.body, statement))
                ):
                    self._report(
                        assign,
                        target,
                        read="checked",
                        written="by the same task",
                        harm="other tasks pass the same check meanwhile and do the work twice",
                    )
                    return

    # -- shared state ---------------------------------------------------------------------

    def _key(self, target: cst.BaseExpression) -> str | None:
        """The code of ``target`` when it names state other tasks share: an attribute of
        ``self``, a module global (declared ``global``), an item of either."""
        if isinstance(target, cst.Subscript):
            return self.model.code(target) if self._shared_container(target.value) else None
        if isinstance(target, cst.Attribute) and self._is_self(target.value):
            return self.model.code(target)
        if isinstance(target, cst.Name) and self._is_global(target):
            return target.value
        return None

    def _shared_container(self, container: cst.BaseExpression) -> str | None:
        if isinstance(container, cst.Attribute) and self._is_self(container.value):
            return self.model.code(container)
        if isinstance(container, cst.Name) and self._is_global(container):
            return container.value
        return None

    def _is_self(self, expression: cst.BaseExpression) -> bool:
        """``self`` of a method that this module runs as several tasks at once: an object
        used by one task at a time (a request being resolved, a connection's reader) has
        no other task to lose an update to."""
        coroutine = self.model.enclosing_coroutine(expression)
        return (
            isinstance(expression, cst.Name)
            and coroutine is not None
            and expression.value == self.model.self_name(coroutine)
            and self._run_as_tasks(coroutine)
        )

    def _run_as_tasks(self, coroutine: cst.FunctionDef) -> bool:
        """A call of the method (``obj.name(...)``) is handed to a task factory or a gather
        of this module (``asyncio.gather(*(cart.add(i) for i in items))``)."""
        name = coroutine.name.value
        spawners = self.catalog.names("task-spawners")
        for call in self.model.nodes(cst.Call):
            if not (self.model.call_names(call) & spawners or _creates_task(call)):
                continue
            for node in descendants(call, SCOPES):
                if (
                    isinstance(node, cst.Call)
                    and node is not call
                    and isinstance(node.func, cst.Attribute)
                    and node.func.attr.value == name
                ):
                    return True
        return False

    def _is_global(self, name: cst.Name) -> bool:
        scope = self.model.scope(name)
        if scope is None or self.model.enclosing_coroutine(name) is None:
            return False
        assignments = list(scope[name.value])
        return bool(assignments) and all(
            isinstance(a.scope, GlobalScope) and isinstance(getattr(a, "node", None), cst.Name)
            for a in assignments
        )

    def _reads(self, value: cst.CSTNode, key: str) -> Iterator[cst.CSTNode]:
        for node in (value, *descendants(value, SCOPES)):
            if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)) and (
                self.model.code(node) == key
            ):
                yield node

    # -- order ------------------------------------------------------------------------------

    def _read_before_await(self, read: cst.CSTNode, value: cst.BaseExpression) -> bool:
        """Python evaluates left to right: a read before an ``await`` (or inside the awaited
        expression) happens before the task is suspended."""
        order = {n: i for i, n in enumerate((value, *descendants(value, SCOPES)))}
        return any(
            isinstance(node, cst.Await)
            and (order[read] < order[node] or read in set(descendants(node, SCOPES)))
            for node in order
        )

    def _local_copy_read_before_await(self, node: cst.Assign, key: str) -> bool:
        """``current = self.total`` ... ``await ...`` ... ``self.total = current + 1``, all
        statements of one block."""
        line = self.model.parent(node)
        block = self.model.parent(line) if line is not None else None
        if not isinstance(block, cst.IndentedBlock) or line not in block.body:
            return False
        used = {n.value for n in descendants(node.value, SCOPES) if isinstance(n, cst.Name)}
        earlier = list(block.body[: block.body.index(line)])
        for index, statement in enumerate(earlier):
            for assign in _assignments(statement):
                local = assign.targets[0].target
                if (
                    isinstance(local, cst.Name)
                    and local.value in used
                    and any(True for _ in self._reads(assign.value, key))
                    and any(can_suspend(later) for later in earlier[index + 1 :])
                ):
                    return True
        return False

    def _awaits_before(self, body: cst.BaseSuite, statement: cst.BaseStatement) -> bool:
        statements = list(_statements(body))
        return any(can_suspend(s) for s in statements[: statements.index(statement)])

    # -- report -----------------------------------------------------------------------------

    def _check_write(self, node: cst.CSTNode, target: cst.BaseExpression, read: str) -> None:
        if self._key(target) is not None:
            self._report(
                node,
                target,
                read=read,
                written="from that read",
                harm="another task can change it meanwhile and its update is lost",
            )

    def _report(
        self, node: cst.CSTNode, target: cst.BaseExpression, *, read: str, written: str, harm: str
    ) -> None:
        coroutine = self.model.enclosing_coroutine(node)
        if coroutine is None or self._under_lock(node):
            return
        self.report(
            node,
            state=self.model.code(target),
            function=coroutine.name.value,
            read=read,
            written=written,
            harm=harm,
        )

    def _under_lock(self, node: cst.CSTNode) -> bool:
        """Inside ``async with`` an asyncio lock (by inferred type, or a name that says so)."""
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, SCOPES):
                return False
            if isinstance(ancestor, cst.With) and ancestor.asynchronous is not None:
                for item in ancestor.items:
                    types = self.model.infer_types(item.item)
                    text = self.model.code(item.item).lower()
                    if types & self.catalog.names("asyncio-locks") or any(
                        word in text for word in _LOCK_WORDS
                    ):
                        return True
        return False


def _creates_task(call: cst.Call) -> bool:
    """``group.create_task(...)``, ``loop.create_task(...)``: a task whatever the receiver."""
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "create_task"


def _statements(body: cst.BaseSuite) -> tuple[cst.BaseStatement, ...]:
    return tuple(body.body) if isinstance(body, cst.IndentedBlock) else ()


def _assignments(statement: cst.CSTNode) -> Iterator[cst.Assign]:
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                yield small


def _absent_check(test: cst.BaseExpression) -> cst.BaseExpression | None:
    """The container of ``key not in container``."""
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.NotIn)
    ):
        return test.comparisons[0].comparator
    return None
