"""What a module does with gevent: where it monkey-patches and with which patches, which
functions its greenlets run and what in them blocks unless patched, and what the module bound
or created before patching.

Everything is derived from one walk of the module in source order, memoized per module and
shared by the CCL4xx rules.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import libcst as cst
from libcst.helpers import get_full_name_for_node

from concurlint.model.blocking import Blocking, BlockingAnalysis
from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.spawning import PARTIAL
from concurlint.positions import Positions
from concurlint.summary_repatch import repatched_lines, summarize_repatches

_GREENLET = frozenset({"gevent.Greenlet"})
_CLASS_SPAWNS = frozenset({"spawn", "spawn_later"})
_FALSE = "False"


class GeventBlocking(BlockingAnalysis):
    """Calls that block every greenlet unless the patch named by their group's kind ran."""

    section = "gevent-blocking"
    in_loop = False  # a greenlet runs no asyncio loop: branches that need none do run


@dataclass(frozen=True)
class Patch:
    """One call of a ``gevent.monkey.patch_*`` function."""

    call: cst.Call
    name: str  # e.g. "gevent.monkey.patch_all"
    enabled: frozenset[str]  # the patch_all arguments whose patches this call applies
    switched_off: tuple[str, ...]  # patch_all arguments given as a literal False


@dataclass(frozen=True)
class GreenletCall:
    """A call that blocks unless patched, made by a function a greenlet runs."""

    site: cst.CSTNode  # the call in the greenlet's function, or the spawned callable itself
    blocking: Blocking
    function: str  # the function the greenlet runs

    @property
    def kind(self) -> str:
        return self.blocking.group.kind

    def describe(self) -> str:
        via = "" if self.blocking.is_direct else " (" + " -> ".join(self.blocking.chain) + ")"
        return f"`{self.blocking.chain[0]}` in `{self.function}`{via}"


@dataclass(frozen=True)
class EarlyBinding:
    """Something run before a patch that keeps the unpatched original."""

    node: cst.CSTNode
    text: str  # what the user wrote, e.g. "from time import sleep"
    patch: str  # the patch_all argument whose effect it escapes
    via: str = ""  # the module a project module imported here imports, e.g. "requests"

    def describe(self) -> str:
        return f"`{self.text}`" + (f" (it imports `{self.via}`)" if self.via else "")


class SourceOrder:
    """Imports, calls and assigned values of the whole module, in source order. The CCL4xx
    rules fill it during the engine's one traversal (each node once, whichever rule sees it
    first), so the module is not walked a second time."""

    def __init__(self) -> None:
        self.imports: list[cst.Import | cst.ImportFrom] = []
        self.calls: list[cst.Call] = []
        self.values: list[cst.BaseExpression] = []  # assigned calls and references
        self.order: dict[cst.CSTNode, int] = {}
        self._assigned: set[cst.Call] = set()

    def _see(self, node: cst.CSTNode) -> bool:
        if node in self.order:
            return False
        self.order[node] = len(self.order)
        return True

    def add_import(self, node: cst.Import | cst.ImportFrom) -> None:
        if self._see(node):
            self.imports.append(node)

    def add_call(self, node: cst.Call) -> None:
        if self._see(node):
            self.calls.append(node)

    def add_value(self, value: cst.BaseExpression | None) -> None:
        """The value of an assignment (a call is ordered when its own visit adds it)."""
        if isinstance(value, cst.Call) and value not in self._assigned:
            self._assigned.add(value)
            self.values.append(value)
        elif isinstance(value, (cst.Name, cst.Attribute)) and self._see(value):
            self.values.append(value)


def imported_module(node: cst.Import | cst.ImportFrom) -> list[str]:
    """The absolute module names an import statement names (none for relative imports)."""
    if isinstance(node, cst.Import):
        return [alias.evaluated_name for alias in node.names]
    if node.relative or node.module is None:
        return []
    return [get_full_name_for_node(node.module) or ""]


class GeventAnalysis:
    """Gevent facts for one module; get it with ``model.analysis(GeventAnalysis)``. Its
    ``walker`` must have seen the whole module (the rules feed it) before facts are asked."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        catalog = model.catalog
        self.patches_data: dict[str, Any] = dict(catalog.section("gevent-patches"))
        self.patch_all_names = catalog.names("gevent-patch-all")
        self.positional = tuple(catalog.section("gevent-patch-all").get("positional", ()))
        self.blocking = model.analysis(GeventBlocking)
        self.walker = SourceOrder()

    def matching(self, call: cst.Call, wanted: frozenset[str]) -> frozenset[str]:
        """The names in ``wanted`` a call resolves to. Receiver types are inferred (the
        costly part) only for a method whose name some wanted entry ends with."""
        found = self.model.qualified_names(call.func) & wanted
        func = call.func
        if not found and isinstance(func, cst.Attribute) and func.attr.value in _methods(wanted):
            found = self.model.call_names(call) & wanted
        return found

    # -- patching -----------------------------------------------------------------------------

    @cached_property
    def patch_functions(self) -> frozenset[str]:
        singles = {f for entry in self.patches_data.values() for f in entry["functions"]}
        return frozenset(singles) | self.patch_all_names

    @cached_property
    def patches(self) -> tuple[Patch, ...]:
        found = []
        for call in self.walker.calls:
            names = self.model.qualified_names(call.func) & self.patch_functions
            if names:
                found.append(self._patch(call, min(names)))
        return tuple(found)

    def _patch(self, call: cst.Call, name: str) -> Patch:
        off = self._false_arguments(call, self.positional if name in self.patch_all_names else ())
        if name in self.patch_all_names:
            chosen = set(self.patches_data)
        else:
            chosen = {arg for arg, entry in self.patches_data.items() if name in entry["functions"]}
        enabled = {arg for arg in chosen if arg not in off}
        for arg, entry in self.patches_data.items():
            if not set(entry.get("requires", ())) <= enabled:
                enabled.discard(arg)
        switched_off = tuple(arg for arg in off if arg in self.patches_data)
        return Patch(call, name, frozenset(enabled), switched_off)

    def _false_arguments(self, call: cst.Call, positional: tuple[str, ...]) -> list[str]:
        """Parameter names given a literal ``False`` (an unknown value counts as patching)."""
        off = []
        index = 0
        for arg in call.args:
            if arg.star:
                continue
            if arg.keyword is None:
                if index < len(positional) and _is_false(arg.value):
                    off.append(positional[index])
                index += 1
            elif _is_false(arg.value):
                off.append(arg.keyword.value)
        return off

    def repatches(self, patch: Patch) -> bool:
        """``patch`` runs only where the process is already patched (``summary_repatch``):
        what ran before it ran after the program's own patch."""
        return bool(self._repatched) and self._positions[patch.call].start.line in self._repatched

    @cached_property
    def _repatched(self) -> frozenset[int]:
        module = self.model.project.linted_module
        candidates, signals = summarize_repatches(
            self.model.syntax_tree, module, False
        )
        known = {(f"{module}.{function}", value) for function, value in signals}
        known.update(self.model.project.processes.patch_signals)
        return repatched_lines(candidates, lambda helper, value: (helper, value) in known)

    @cached_property
    def _positions(self) -> Positions:
        return Positions(self.model.module, self.model.module.code)

    @cached_property
    def enabled(self) -> frozenset[str]:
        """Every patch some call of this module applies."""
        return frozenset().union(*(patch.enabled for patch in self.patches))

    def patched_modules(self, patch: Patch) -> dict[str, str]:
        """Standard-library module -> the (first) patch_all argument that patches it, for
        ``patch``."""
        modules: dict[str, str] = {}
        for arg, entry in self.patches_data.items():
            if arg in patch.enabled:
                for module in entry["modules"]:
                    modules.setdefault(module, arg)
        return modules

    @cached_property
    def uses_monkey(self) -> bool:
        """The module calls into ``gevent.monkey`` (patches, or checks what is patched)."""
        return any(
            name.startswith("gevent.monkey.")
            for call in self.walker.calls
            for name in self.model.qualified_names(call.func)
        )

    @cached_property
    def in_package(self) -> bool:
        """The module imports relatively, so it runs inside a package, always after the
        package's ``__init__`` (which may patch: a fact of another file)."""
        imports = self.walker.imports
        return any(isinstance(node, cst.ImportFrom) and node.relative for node in imports)

    # -- greenlets ----------------------------------------------------------------------------

    @cached_property
    def first_gevent_import(self) -> cst.Import | cst.ImportFrom | None:
        for node in self.walker.imports:
            if any(m == "gevent" or m.startswith("gevent.") for m in imported_module(node)):
                return node
        return None

    @cached_property
    def spawn_targets(self) -> tuple[cst.BaseExpression, ...]:
        """The callables greenlets started by this module run."""
        entries = self.model.catalog.section("gevent-spawn")
        wanted = frozenset(name for entry in entries for name in entry["names"])
        found = []
        for call in self.walker.calls:
            names = self.matching(call, wanted)
            for entry in entries if names else ():
                if names & frozenset(entry["names"]):
                    target = _argument(call, entry.get("position"), entry.get("keyword"))
                    if target is not None:
                        found.append(target)
                    break
        return tuple(found)

    @cached_property
    def greenlet_calls(self) -> tuple[GreenletCall, ...]:
        """Calls that block unless patched, made by the functions greenlets run."""
        found: list[GreenletCall] = []
        seen: set[cst.CSTNode] = set()
        items = [call for target in self.spawn_targets for call in self._target_calls(target)]
        for klass, run in self._started_greenlet_classes():
            label = f"{klass.name.value}.{run.name.value}"
            items.extend(GreenletCall(site, b, label) for site, b in self._blocking_in(run, set()))
        for item in items:
            if item.site not in seen:
                seen.add(item.site)
                found.append(item)
        return tuple(found)

    def _started_greenlet_classes(self) -> Iterator[tuple[cst.ClassDef, cst.FunctionDef]]:
        """``Greenlet`` subclasses of this module that it instantiates, with their ``_run``."""
        for call in self.walker.calls:
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in _CLASS_SPAWNS:
                func = func.value
            klass = self._class_bound_to(func)
            run = self.model.method_of(klass, "_run") if klass is not None else None
            if klass is not None and run is not None and self._is_greenlet_class(klass):
                yield klass, run

    def _class_bound_to(self, expression: cst.BaseExpression) -> cst.ClassDef | None:
        if not isinstance(expression, cst.Name):
            return None
        return self.model.class_bound_to(expression)

    def _is_greenlet_class(self, klass: cst.ClassDef) -> bool:
        return any(
            self.model.qualified_names(base.value) & _GREENLET for base in klass.bases
        )

    def _target_calls(self, target: cst.BaseExpression) -> Iterator[GreenletCall]:
        target = self._unwrap_partial(target)
        function: FunctionNode | None
        if isinstance(target, cst.Lambda):
            function, label = target, "<lambda>"
        else:
            function = self.model.resolve_callee(target)
            label = function.name.value if function is not None else ""
        if function is None:
            direct = self._blocking_callable(target)
            if direct is not None:
                yield GreenletCall(target, direct, self.model.code(target))
            return
        for site, blocking in self._blocking_in(function, set()):
            yield GreenletCall(site, blocking, label)

    def _unwrap_partial(self, target: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(target, cst.Call) or not target.args:
            return target
        if self.model.call_names(target) & PARTIAL:
            return target.args[0].value
        return target

    def _blocking_callable(self, target: cst.BaseExpression) -> Blocking | None:
        """A catalog callable passed itself as the greenlet's function: ``spawn(time.sleep, 1)``."""
        names = self.model.callable_names(target)
        for group in self.blocking.groups:
            matched = names & group.names
            if matched:
                name = min(matched)
                return Blocking((f"{name}()",), name, group)
        return None

    def _blocking_in(
        self, function: FunctionNode, visited: set[FunctionNode]
    ) -> Iterator[tuple[cst.Call, Blocking]]:
        """Blocking calls of ``function``'s body, directly or through plain helpers."""
        visited.add(function)
        for call in self.model.calls_in(function):
            direct = self.blocking.direct(call)
            if direct is not None:
                yield call, direct
                continue
            helper = self.model.resolve_function(call)
            if helper is None or helper in visited or not self.blocking.is_plain_helper(helper):
                continue
            for _, inner in self._blocking_in(helper, visited):
                chain = (f"{helper.name.value}()", *inner.chain)
                yield call, Blocking(chain, inner.name, inner.group)
                break

    # -- before the patch ---------------------------------------------------------------------

    def runs_before(self, node: cst.CSTNode, patch: Patch) -> bool:
        """``node`` runs before ``patch`` does: earlier at import time, or earlier in the
        function that patches."""
        order = self.walker.order
        if order[node] >= order[patch.call] or self._exclusive(node, patch.call):
            return False
        if self.model.runs_at_import(node):
            return True
        function = self.model.enclosing_function(patch.call)
        return function is not None and self.model.enclosing_function(node) is function

    def _exclusive(self, node: cst.CSTNode, other: cst.CSTNode) -> bool:
        """The two nodes sit in different branches of one ``if``/``elif``/``else``."""
        lineage = {ancestor: child for child, ancestor in self._steps(other)}
        for child, ancestor in self._steps(node):
            if ancestor in lineage:
                return isinstance(ancestor, cst.If) and {child, lineage[ancestor]} == {
                    ancestor.body,
                    ancestor.orelse,
                }
        return False

    def _steps(self, node: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, cst.CSTNode]]:
        """(child, parent) pairs from ``node`` up to the module."""
        child = node
        for ancestor in self.model.ancestors(node):
            yield child, ancestor
            child = ancestor

    def early_bindings(self, patch: Patch) -> list[EarlyBinding]:
        """What ran before ``patch`` and keeps an unpatched original the module uses."""
        modules = self.patched_modules(patch)
        found: list[EarlyBinding] = []
        for node in self.walker.imports:
            if self.runs_before(node, patch):
                found.extend(self._import_bindings(node, modules, patch))
        created = self.model.catalog.names("gevent-created-early")
        bound = self.model.catalog.names("gevent-bound-early")
        for value in self.walker.values:
            if isinstance(value, cst.Call):
                names = self.model.qualified_names(value.func) & created
            else:
                names = self.model.qualified_names(value) & bound
            hit = [modules[m] for m in sorted(n.rpartition(".")[0] for n in names) if m in modules]
            if hit and self._is_kept(value) and self.runs_before(value, patch):
                statement = self.model.parent(value)
                assert statement is not None
                found.append(EarlyBinding(value, self.model.code(statement).strip(), hit[0]))
        return sorted(found, key=lambda binding: self.walker.order[binding.node])

    def _import_bindings(
        self, node: cst.Import | cst.ImportFrom, modules: dict[str, str], patch: Patch
    ) -> Iterator[EarlyBinding]:
        text = self.model.code(node).strip()
        through = self.model.project.processes.early_import(self._import_time_names(node))
        if through is not None and through[1] in patch.enabled:
            yield EarlyBinding(node, text, through[1], via=through[0])
            return
        if isinstance(node, cst.Import):
            early = self.model.catalog.section("gevent-imports-bind-early")
            for name in imported_module(node):
                defeated = early.get(name.partition(".")[0])
                if defeated in patch.enabled:
                    yield EarlyBinding(node, text, defeated)
                    return
            return
        (module,) = imported_module(node) or ("",)
        if module not in modules or isinstance(node.names, cst.ImportStar):
            return
        bound = self.model.catalog.names("gevent-bound-early")
        for alias in node.names:
            name = self.model.canonical(f"{module}.{alias.evaluated_name}")
            if name in bound and self._is_used(node, alias.evaluated_alias or alias.evaluated_name):
                yield EarlyBinding(node, text, modules[module])
                return

    def _import_time_names(self, node: cst.Import | cst.ImportFrom) -> list[str]:
        """The absolute names ``node`` imports, as the project pass records them
        (``pkg.mod`` for ``import pkg.mod``, ``pkg.mod.name`` for ``from .mod import name``)."""
        if isinstance(node, cst.Import):
            return [alias.evaluated_name for alias in node.names]
        dots = "." * len(node.relative)
        module = get_full_name_for_node(node.module) if node.module is not None else ""
        source = self.model.project.absolute(dots + (module or ""))
        if source is None:
            return []
        if isinstance(node.names, cst.ImportStar):
            return [source]
        return [f"{source}.{alias.evaluated_name}" for alias in node.names]

    def _is_kept(self, value: cst.BaseExpression) -> bool:
        """The assigned value outlives the statement: its target is a name used later, or an
        attribute."""
        statement = self.model.parent(value)
        if not isinstance(statement, (cst.Assign, cst.AnnAssign)) or statement.value is not value:
            return False
        targets = (
            [t.target for t in statement.targets]
            if isinstance(statement, cst.Assign)
            else [statement.target]
        )
        return any(
            not isinstance(target, cst.Name) or self._is_used(target, target.value)
            for target in targets
        )

    def _is_used(self, node: cst.CSTNode, local: str) -> bool:
        scope = self.model.scope(node)
        if scope is None:
            return False
        return any(
            assignment.references
            for assignment in scope.assignments[local]
            if getattr(assignment, "node", None) is node
        )

    # -- asyncio ------------------------------------------------------------------------------

    @cached_property
    def loop_runs(self) -> tuple[cst.Call, ...]:
        """Calls that run an asyncio event loop to completion."""
        runners = self.model.catalog.names("loop-runners")
        return tuple(call for call in self.walker.calls if self.matching(call, runners))

    @cached_property
    def bridges_asyncio(self) -> bool:
        bridges = self.model.catalog.names("gevent-asyncio-bridges")
        return any(
            module.partition(".")[0] in bridges
            for node in self.walker.imports
            for module in imported_module(node)
        )


@functools.cache
def _methods(names: frozenset[str]) -> frozenset[str]:
    return frozenset(name.rpartition(".")[2] for name in names)


def _is_false(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == _FALSE


def _argument(
    call: cst.Call, position: int | None, keyword: str | None
) -> cst.BaseExpression | None:
    positional = [arg for arg in call.args if arg.keyword is None]
    if any(arg.star for arg in positional[: (position or 0) + 1]):
        return None
    for arg in call.args:
        if keyword is not None and arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if position is not None and position < len(positional):
        return positional[position].value
    return None
