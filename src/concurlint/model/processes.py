"""Process facts beyond spawn sites: what creates processes at import time, and which module
globals a process worker changes while its parent reads them.

Both follow plain helpers of the module (``main()`` that creates a pool; a worker that calls
a helper appending to a module-level list), like the blocking analysis does. A function
imported from another module of the project that creates processes comes with its chain
already followed by the project pass (``model.project``, see ``concurlint.project``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import libcst as cst
from libcst.metadata import Assignment, GlobalScope

from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.spawning import SpawnAnalysis, SpawnSite

_HELPER_DEPTH = 3


@dataclass(frozen=True)
class ProcessCreation:
    """A call that creates a process, directly or through helpers (``main() -> Pool()``)."""

    call: cst.Call
    chain: tuple[str, ...]


@dataclass(frozen=True)
class GlobalWrite:
    """A statement or call of a worker that changes a module global."""

    node: cst.CSTNode
    name: str
    function: FunctionNode


class _ImportTimeCalls(cst.CSTVisitor):
    """Calls that run when the module is imported: outside every def and lambda."""

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


class _NamesInOrder(cst.CSTVisitor):
    """Names and calls of one function body (or the module) in source order, nested
    functions and classes left out."""

    def __init__(self) -> None:
        self.order: dict[cst.CSTNode, int] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Name, cst.Call)):
            self.order[node] = len(self.order)
        return not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef))


class ProcessAnalysis:
    """Get it with ``model.analysis(ProcessAnalysis)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.spawn = model.analysis(SpawnAnalysis)
        catalog = model.catalog
        self.creators = catalog.names("process-creators")
        self.mutating = frozenset(catalog.section("mutating-methods").get("methods", ()))
        self._creates: dict[cst.FunctionDef, tuple[str, ...] | None] = {}
        self._orders: dict[cst.CSTNode, dict[cst.CSTNode, int]] = {}

    # -- CCL303: processes created at import time -----------------------------------------------

    @cached_property
    def import_time_creation(self) -> ProcessCreation | None:
        """The first call that creates a process when the module is imported (not as the
        main script only)."""
        walker = _ImportTimeCalls()
        self.model.module.visit(walker)
        for call in walker.calls:
            if self.model.in_main_guard(call):
                continue
            chain = self.creation_chain(call)
            if chain is not None:
                return ProcessCreation(call, chain)
        return None

    def creation_chain(self, call: cst.Call, depth: int = 0) -> tuple[str, ...] | None:
        """``("main()", "multiprocessing.Pool()")`` when calling ``call`` creates a process."""
        matched = self.model.call_names(call) & self.creators
        if matched:
            return (f"{min(matched)}()",)
        project = self.model.project
        imported = project.lookup(project.processes.creators, self.model.qualified_names(call.func))
        if imported is not None:
            return imported[0]  # the project pass followed the chain across modules
        if isinstance(call.func, cst.Name):
            klass = self.model.class_bound_to(call.func)
            base = self.spawn.spawner_classes.get(klass) if klass is not None else None
            if base is not None and base[0].kind == "process":
                return (f"{call.func.value}()",)
        function = self.model.resolve_function(call)
        if function is None or depth > _HELPER_DEPTH or not self._plain(function):
            return None
        inner = self._function_creates(function, depth)
        return (f"{function.name.value}()", *inner) if inner is not None else None

    def _function_creates(self, function: cst.FunctionDef, depth: int) -> tuple[str, ...] | None:
        if function not in self._creates:
            self._creates[function] = None  # a recursive helper adds nothing
            for call in self.model.calls_in(function):
                found = self.creation_chain(call, depth + 1)
                if found is not None:
                    self._creates[function] = found
                    break
        return self._creates[function]

    def _plain(self, function: cst.FunctionDef) -> bool:
        return (
            function.asynchronous is None
            and not self.model.is_generator(function)
            and self.model.has_transparent_decorators(function)
        )

    # -- CCL304: module globals written by a worker and read by its parent ---------------------

    def worker_functions(self, site: SpawnSite) -> list[FunctionNode]:
        """The code a process site runs: its target and the plain helpers it calls."""
        target = site.target
        if target is None or target.function is None:
            return []
        start = target.function
        if isinstance(start, cst.Lambda):
            callee = self.spawn.lambda_callee(start)
            if callee is None:
                return []
            start = callee
        found: list[FunctionNode] = [start]
        for function in found:
            if len(found) > 4 * _HELPER_DEPTH:
                break
            for call in self.model.calls_in(function):
                helper = self.model.resolve_function(call)
                if helper is not None and helper not in found and self._plain(helper):
                    found.append(helper)
        return found

    def global_writes(self, site: SpawnSite) -> Iterator[GlobalWrite]:
        """Writes of the site's worker code to module globals that the parent reads after
        the site, in the function (or module) that contains the site."""
        workers = self.worker_functions(site)
        parent = self.model.enclosing_function(site.call)
        if not workers or parent in workers:
            return
        for function in workers:
            for write in self._writes_in(function):
                if self._read_after(write.name, site.call, parent):
                    yield write

    def _writes_in(self, function: FunctionNode) -> Iterator[GlobalWrite]:
        declared = self._declared_global(function)
        for node in _statements_and_calls(function):
            name = self._written_global(node, declared)
            if name is not None:
                yield GlobalWrite(node, name, function)

    def _declared_global(self, function: FunctionNode) -> frozenset[str]:
        if not isinstance(function, cst.FunctionDef):
            return frozenset()
        return frozenset(
            item.name.value
            for node in _statements_and_calls(function)
            if isinstance(node, cst.Global)
            for item in node.names
        )

    def _written_global(self, node: cst.CSTNode, declared: frozenset[str]) -> str | None:
        """The module global ``node`` rebinds (declared ``global``) or mutates in place."""
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.Del)):
            targets = [node.target]
        elif isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in self.mutating:
                return self._module_container(func.value)
            return None
        for target in targets:
            if isinstance(target, cst.Name) and target.value in declared:
                return target.value
            if isinstance(target, cst.Subscript):
                name = self._module_container(target.value)
                if name is not None:
                    return name
        return None

    def _module_container(self, expression: cst.BaseExpression) -> str | None:
        """The name of a module-level container ``expression`` refers to, if it is one
        (``RESULTS``, or an item of it: ``ERRORS[path]``)."""
        while isinstance(expression, cst.Subscript):
            expression = expression.value
        if not isinstance(expression, cst.Name):
            return None
        scope = self.model.scope(expression)
        if scope is None:
            return None
        assignments = scope[expression.value]
        if not assignments or not all(
            isinstance(a, Assignment) and isinstance(a.scope, GlobalScope) for a in assignments
        ):
            return None
        values = [
            self.model.assigned_value(a.node) for a in assignments if isinstance(a, Assignment)
        ]
        if all(value is not None and self.model.is_container_value(value) for value in values):
            return expression.value
        return None

    def _read_after(self, name: str, call: cst.Call, parent: FunctionNode | None) -> bool:
        """The parent reads ``name`` after ``call``: later in the function (or module level)
        holding the call, or, for a function, at module level after a call of it
        (``main()`` then ``print(RESULTS)`` under the guard)."""
        if self._read_in_region_after(name, call, parent):
            return True
        if not isinstance(parent, cst.FunctionDef):
            return False
        return any(
            isinstance(node, cst.Call)
            and self.model.resolve_function(node) is parent
            and self._read_in_region_after(name, node, None)
            for node in self._order(self.model.module)
        )

    def _read_in_region_after(
        self, name: str, call: cst.Call, parent: FunctionNode | None
    ) -> bool:
        region: cst.CSTNode = parent if parent is not None else self.model.module
        order = self._order(region)
        position = order.get(call)
        if position is None:
            return False
        return any(
            isinstance(node, cst.Name)
            and node.value == name
            and index > position
            and self._refers_to_module_binding(node)
            for node, index in order.items()
        )

    def _refers_to_module_binding(self, name: cst.Name) -> bool:
        scope = self.model.scope(name)
        if scope is None:
            return False
        assignments = scope[name.value]
        return bool(assignments) and all(isinstance(a.scope, GlobalScope) for a in assignments)

    def _order(self, region: cst.CSTNode) -> dict[cst.CSTNode, int]:
        if region not in self._orders:
            walker = _NamesInOrder()
            body = region.body if isinstance(region, (cst.FunctionDef, cst.Lambda)) else region
            body.visit(walker)
            self._orders[region] = walker.order
        return self._orders[region]


class _OwnStatements(cst.CSTVisitor):
    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        return not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef))


def _statements_and_calls(function: FunctionNode) -> list[cst.CSTNode]:
    """Every node of a function's own body (nested defs, lambdas and classes left out)."""
    walker = _OwnStatements()
    function.body.visit(walker)
    return walker.nodes
