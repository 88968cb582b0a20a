"""CCL3xx: multiprocessing pitfalls — what cannot be pickled, import-time processes, and
globals a worker changes only in its own copy."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import libcst as cst

from concurlint.diagnostic import Safety
from concurlint.model.module import FunctionNode
from concurlint.model.pickling import LOCAL_KINDS, PicklingAnalysis
from concurlint.model.processes import ProcessAnalysis
from concurlint.model.spawning import CallableKind, CallableTarget, SpawnAnalysis, SpawnSite
from concurlint.project import FileFacts
from concurlint.rule import NodeFix, Rule
from concurlint.screen import TreeFacts

_SHORT = 40
_MAIN_TEST = 'if __name__ == "__main__":'


def short(code: str) -> str:
    """One line of code, shortened for a message."""
    line = " ".join(code.split())
    return line if len(line) <= _SHORT else line[: _SHORT - 3] + "..."


class _ProcessRule(Rule):
    """Shared by the family: the process spawn sites of the module, and sound screen words
    (a process API is only recognized through an import of its module)."""

    def screen_words(self) -> frozenset[str]:
        roots = frozenset(name.split(".")[0] for name in self._process_names)
        return super().screen_words() | roots

    def screen_tree(self, facts: TreeFacts) -> bool:
        """The same argument on Python's ``ast``: one of those modules is really imported
        (or a builtin leads to a process API, and then the screen keeps every file), and
        the code names a process API (the builtin ``map`` is no ``Pool.map``)."""
        return self.imports_lead_to(facts, self._process_names) and (
            facts.mentions_any_beside_builtins(self._process_identifiers)
        )

    @cached_property
    def _process_identifiers(self) -> frozenset[str]:
        """Last names of the process APIs, and of the spawners that start processes when
        given a process executor (``run_in_executor``)."""
        executors = [
            name
            for entry in self.catalog.section("spawner")
            if "executor" in entry
            for name in entry["names"]
        ]
        return frozenset(name.rpartition(".")[2] for name in (*self._process_names, *executors))

    @cached_property
    def _process_names(self) -> tuple[str, ...]:
        names = [
            name
            for section in ("spawner", "spawner-base")
            for entry in self.catalog.section(section)
            if entry["kind"] == "process"
            for name in entry["names"]
        ]
        names.extend(self.catalog.names("process-creators"))
        return tuple(names)

    def process_sites(self) -> tuple[SpawnSite, ...]:
        return self.model.analysis(SpawnAnalysis).of_kind("process")

    def name_of(self, function: FunctionNode) -> str:
        return function.name.value if isinstance(function, cst.FunctionDef) else "<lambda>"


class UnpicklableProcessTarget(_ProcessRule):
    code = "CCL301"
    message = (
        "`{target}` handed to `{api}` is {what}, which cannot be sent to a child process; {advice}"
    )

    def visit_Module(self, node: cst.Module) -> None:
        pickling = self.model.analysis(PicklingAnalysis)
        for site in self.process_sites():
            target = site.target
            if target is None:
                continue
            problem = self._problem(target) or self._state_problem(pickling, site)
            if problem is not None and pickling.pickles(site):
                what, advice = problem
                self.report(
                    target.expression,
                    target=short(self.model.code(target.expression)),
                    api=site.api,
                    what=what,
                    advice=advice,
                )

    def _problem(self, target: CallableTarget) -> tuple[str, str] | None:
        function = target.function
        prefix = "a `functools.partial` of " if target.through_partial else ""
        if target.kind in LOCAL_KINDS:
            return prefix + self._local_what(target), "use a module-level function"
        if (
            target.kind in (CallableKind.FUNCTION, CallableKind.METHOD)
            and function is not None
            and self.model.in_main_guard(function)
        ):
            name = self.name_of(function)
            what = f"`{name}`, defined only under `{_MAIN_TEST}`"
            return prefix + what, "define it at module level, before the guard"
        return None

    def _state_problem(self, pickling: PicklingAnalysis, site: SpawnSite) -> tuple[str, str] | None:
        state = pickling.unpicklable_state(site)
        target = site.target
        if state is None or target is None:  # a state is only found through a target
            return None
        carried = "a bound method" if isinstance(target.expression, cst.Attribute) else (
            f"a `{state.klass.name.value}` process object"
        )
        what = (
            f"{carried}: pickling it pickles the instance, whose `self.{state.attribute}` "
            f"is {state.value.what}"
        )
        return what, state.value.advice

    def _local_what(self, target: CallableTarget) -> str:
        if target.imported is not None:
            return target.imported
        function = target.function
        if target.kind is CallableKind.LAMBDA or not isinstance(function, cst.FunctionDef):
            return f"a {target.kind.value}"
        if target.kind is CallableKind.NESTED:
            return f"the nested function `{function.name.value}`"
        klass = self.model.enclosing_class(function)
        return f"a method of the local class `{klass.name.value if klass else '?'}`"


class UnpicklableProcessArgument(_ProcessRule):
    code = "CCL302"
    message = (
        "`{value}` sent to another process by `{api}` is {what}, which cannot be pickled; {advice}"
    )

    def visit_Module(self, node: cst.Module) -> None:
        pickling = self.model.analysis(PicklingAnalysis)
        for site in self.process_sites():
            for value in pickling.unpicklable_values(site):
                self.report(
                    value.expression,
                    value=short(self.model.code(value.expression)),
                    api=site.api,
                    what=value.what,
                    advice=value.advice,
                )


class MissingMainGuard(_ProcessRule):
    code = "CCL303"
    message = (
        "`{call}` creates a process when the module is imported{via}; a spawned child "
        "re-imports the main module and runs it again: move it under `{guard}`"
    )

    def screen_facts(self, facts: FileFacts) -> bool:
        """A function imported from another module of the project may create processes:
        calling it at import time needs no multiprocessing name in this file."""
        return bool(facts.processes.creators)

    def visit_Module(self, node: cst.Module) -> None:
        creation = self.model.analysis(ProcessAnalysis).import_time_creation
        if creation is None:
            return
        chain = creation.chain
        via = "" if len(chain) == 1 else " (" + " -> ".join(chain) + ")"
        self.report(
            creation.call,
            fix=self._fix(node, creation.call),
            call=chain[0],
            via=via,
            guard=_MAIN_TEST,
        )

    def _fix(self, module: cst.Module, call: cst.Call) -> NodeFix | None:
        """Wrap the module's statements from the one holding ``call`` to the end in the
        guard, when nothing outside them could need what they define."""
        statement = next(
            a for a in (call, *self.model.ancestors(call)) if self.model.parent(a) is module
        )
        index = next(i for i, s in enumerate(module.body) if s is statement)
        region = list(module.body[index:])
        if not self._can_wrap(region):
            return None
        first = region[0]
        guard = cst.If(
            test=cst.parse_expression('__name__ == "__main__"'),
            body=cst.IndentedBlock(body=[first.with_changes(leading_lines=()), *region[1:]]),
            leading_lines=first.leading_lines,
        )
        fixed = module.with_changes(body=[*module.body[:index], guard])
        return NodeFix(((module, fixed.code),), Safety.UNSAFE)

    def _can_wrap(self, region: Sequence[cst.BaseStatement]) -> bool:
        if any(_defines(statement) for statement in region):
            return False
        inside = set(region)
        for assignment in self.model.scope_of_module().assignments:
            node = getattr(assignment, "node", None)
            if node is None or not self._within(node, inside):
                continue
            if any(not self._within(reference.node, inside) for reference in assignment.references):
                return False
        return True

    def _within(self, node: cst.CSTNode, statements: set[cst.BaseStatement]) -> bool:
        return any(a in statements for a in (node, *self.model.ancestors(node)))


_DEFINITIONS = (cst.FunctionDef, cst.ClassDef, cst.Import, cst.ImportFrom, cst.Global)


class _Definitions(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _DEFINITIONS):
            self.found = True
        return not self.found


def _defines(statement: cst.BaseStatement) -> bool:
    """True when the statement defines a function or class, or imports: things a child
    process or an importing module may need at module level."""
    visitor = _Definitions()
    statement.visit(visitor)
    return visitor.found


class GlobalWriteInProcess(_ProcessRule):
    code = "CCL304"
    message = (
        "`{write}` in process worker `{function}` changes only the worker's copy of module "
        "global `{name}`, which the parent reads afterwards; return the result, or use a "
        "`multiprocessing.Queue`, `Value`/`Array` or a `Manager()` container"
    )

    def visit_Module(self, node: cst.Module) -> None:
        analysis = self.model.analysis(ProcessAnalysis)
        reported: set[cst.CSTNode] = set()
        for site in self.process_sites():
            if site.spawner.role == "initializer":
                continue  # setting per-worker globals is what an initializer is for
            for write in analysis.global_writes(site):
                if write.node not in reported:
                    reported.add(write.node)
                    self.report(
                        write.node,
                        write=short(self.model.code(write.node)),
                        function=self.name_of(write.function),
                        name=write.name,
                    )
