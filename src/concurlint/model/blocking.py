"""What a call does to the thread that runs it: directly (catalog) or through plain helpers.

Functions imported from other modules of the project come with their chain already followed
by the project pass (``model.project``, see ``concurlint.project``).

A helper is a plain ``def`` of the same module (or a method of a class of the module) whose
body makes such a call, directly or through further helpers. Generators and functions with
unknown decorators are not helpers: calling them does not run their body as written.
A synchronous ``with`` item counts as a call of ``__enter__``: the catalog lists
``Type.__enter__`` (``with threading.Lock():`` waits like ``acquire()``), and a class of the
module acts through its own ``__enter__``/``__exit__`` methods.

Two analyses share this: calls that block (``BlockingAnalysis``) and calls that run an event
loop to completion (``LoopRunnerAnalysis``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import libcst as cst

from concurlint.guards import Arguments
from concurlint.model.arguments import call_arguments, passed_by
from concurlint.model.catalog import ArgumentForm, BlockingGroup
from concurlint.model.lock_holders import LockHolders, takes_lock
from concurlint.model.module import ModuleModel, parameter_names
from concurlint.model.no_loop import NoLoopBranches
from concurlint.model.receiver_state import returns_at_once
from concurlint.model.walk import descendants
from concurlint.summary import INSPECTIONS


@dataclass(frozen=True)
class Blocking:
    """Why a call matters: the call chain down to the catalog entry, and its catalog group."""

    chain: tuple[str, ...]  # e.g. ("save()", "_write()", "builtins.open()")
    name: str  # the catalog entry at the end of the chain
    group: BlockingGroup
    holder: str = ""  # for a lock taken: where another holder waits while holding it

    @property
    def is_direct(self) -> bool:
        return len(self.chain) == 1

    @property
    def via(self) -> str:
        """The chain for a message, `` (save() -> _write() -> builtins.open())``, and the
        holder that makes a lock wait, or ``""``."""
        parts = [" -> ".join(self.chain)] if not self.is_direct else []
        parts.extend([self.holder] if self.holder else [])
        return f" ({'; '.join(parts)})" if parts else ""


class _CallChains:
    """Memoized per module; subclasses say which calls and ``with`` entries act directly."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.groups: tuple[BlockingGroup, ...] = ()
        self._functions: dict[tuple[cst.FunctionDef, Arguments], Blocking | None] = {}

    def direct(self, call: cst.Call) -> Blocking | None:
        names = self.model.call_names(call)
        for group in self.groups:
            matched = names & group.names
            if matched and not self._nonblocking_arguments(call, group.nonblocking):
                name = min(matched)
                if returns_at_once(self.model, call, name):
                    return None
                return self._taking_lock(call.func, Blocking((f"{name}()",), name, group))
        return None

    def of_call(self, call: cst.Call) -> Blocking | None:
        direct = self.direct(call) or self.imported(call)
        if direct is not None:
            return direct
        function = self.model.resolve_function(call)
        if function is not None:
            arguments = call_arguments(self.model, call, function)
            return self._through(f"{function.name.value}()", function, arguments)
        klass = self.model.constructed_class(call)
        initializer = self.model.method_of(klass, "__init__") if klass is not None else None
        if klass is not None and initializer is not None:
            return self._through(f"{klass.name.value}()", initializer)
        return None

    def _taking_lock(
        self, taken: cst.BaseExpression, found: Blocking
    ) -> Blocking | None:
        """A thread lock taken (``with lock:``, ``lock.acquire()``) waits only when some
        holder of that lock waits while holding it (``model.lock_holders``); ``taken`` is
        the lock, or the ``acquire`` attribute of a call on it."""
        if not takes_lock(self.model, found.name):
            return found
        lock = taken.value if isinstance(taken, cst.Attribute) and found.name.endswith(
            ".acquire") else taken
        holders = self.model.analysis(LockHolders)
        identity = holders.identity(lock)
        statement = self.model.parent(taken) if lock is taken else None
        where = holders.waiting_holder(identity, self._first_step, self.model.parent(statement)
                                       if isinstance(statement, cst.WithItem) else None
                                       ) if identity else None
        return replace(found, holder=where) if where is not None else None

    def _first_step(self, site: cst.Call | cst.WithItem) -> str | None:
        found = self.of_site(site)
        return found.chain[0] if found is not None else None

    def imported(self, call: cst.Call) -> Blocking | None:
        """What a function imported from another module of the project does; the
        project pass has followed its chain already."""
        return None

    def of_with_item(self, item: cst.WithItem) -> Blocking | None:
        """What entering (or leaving) the context manager of ``item`` does."""
        types = self.model.infer_types(item.item)
        entered = frozenset(f"{owner}.__enter__" for owner in types)
        for group in self.groups:
            matched = entered & group.names
            if matched:
                name = min(matched)
                found = Blocking((f"with {name.rpartition('.')[0]}",), name, group)
                return self._taking_lock(item.item, found)
        klass = self.model.receiver_class(item.item)
        if klass is None:
            return None
        for method in ("__enter__", "__exit__"):
            function = self.model.method_of(klass, method)
            if function is not None:
                through = self._through(f"with {klass.name.value}", function)
                if through is not None:
                    return through
        return None

    def of_site(self, site: cst.Call | cst.WithItem) -> Blocking | None:
        return self.of_call(site) if isinstance(site, cst.Call) else self.of_with_item(site)

    def _through(
        self, step: str, function: cst.FunctionDef, arguments: Arguments = ()
    ) -> Blocking | None:
        """``step`` acts because it runs ``function``, a helper that does when called with
        ``arguments``."""
        if not self.is_plain_helper(function):
            return None
        inner = self.of_function(function, arguments)
        if inner is None:
            return None
        return replace(inner, chain=(step, *inner.chain))

    def is_plain_helper(self, function: cst.FunctionDef) -> bool:
        return (
            function.asynchronous is None
            and not self.model.is_generator(function)
            and self.model.has_transparent_decorators(function)
        )

    def of_function(
        self, function: cst.FunctionDef, arguments: Arguments = ()
    ) -> Blocking | None:
        """The first such call or ``with`` (in source order) the function's own body makes,
        leaving out the branches that the literal ``arguments`` of a call cut."""
        key = (function, arguments)
        if key in self._functions:
            return self._functions[key]
        self._functions[key] = None  # recursion terminates: a cycle adds nothing
        parameters = parameter_names(function) - {self.model.self_name(function)}
        for site in self.model.sites_in(function):
            if (
                self._argument_dependent(site, function, parameters)
                or self.model.never_runs(site, arguments)
                or self.skips(site)
            ):
                continue
            found = self.of_site(site)
            if found is not None:
                self._functions[key] = found
                break
        return self._functions[key]

    def skips(self, site: cst.CSTNode) -> bool:
        """True when the callers this analysis serves never run ``site``."""
        return False

    def _argument_dependent(
        self, site: cst.CSTNode, function: cst.FunctionDef, parameters: set[str]
    ) -> bool:
        """True when ``site`` is in a branch that an argument's value or type selects (an
        ``if`` or conditional expression comparing a parameter with a constant or asking
        about it): whether the helper blocks then depends on each caller's arguments
        (``get_secret(name)`` opens a file only for ``oidc/`` names), so it is not taken to
        block, as in module summaries (``summary._under_parameter_tests``)."""
        child = site
        for ancestor in self.model.ancestors(site):
            if ancestor is function:
                return False
            if (
                isinstance(ancestor, cst.If | cst.IfExp)
                and child is not ancestor.test
                and _selects_by_argument(ancestor.test, parameters)
            ):
                return True
            child = ancestor
        return False

    def _nonblocking_arguments(self, call: cst.Call, forms: tuple[ArgumentForm, ...]) -> bool:
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        for form in forms:
            values = [
                arg.value
                for arg in call.args
                if arg.keyword is not None and arg.keyword.value == form.keyword
            ]
            if form.position is not None and form.position < len(positional):
                values.append(positional[form.position])
            if any(
                self.model.code(flag).strip() == form.value
                for value in values
                for flag in _flags_of(value)
            ):
                return True
        return False


def _flags_of(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of ``a | b | c`` (flags combined: ``os.WNOHANG | os.WUNTRACED``)."""
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.BitOr):
        return [*_flags_of(value.left), *_flags_of(value.right)]
    return [value]


_CONSTANTS = (
    cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Tuple, cst.List, cst.Set
)


def _selects_by_argument(test: cst.BaseExpression, parameters: set[str]) -> bool:
    def is_parameter(node: cst.CSTNode | None) -> bool:
        return isinstance(node, cst.Name) and node.value in parameters

    for node in (test, *descendants(test)):
        if isinstance(node, cst.Call):
            receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
            inspects = isinstance(node.func, cst.Name) and node.func.value in INSPECTIONS
            if is_parameter(receiver) or (
                inspects and any(is_parameter(arg.value) for arg in node.args)
            ):
                return True
        elif isinstance(node, cst.Comparison):
            sides = [node.left, *(target.comparator for target in node.comparisons)]
            constant = any(isinstance(side, _CONSTANTS) for side in sides)
            if constant and any(map(is_parameter, sides)):
                return True
    return False


class BlockingAnalysis(_CallChains):
    """Calls that block the calling thread; get it with ``model.analysis(BlockingAnalysis)``."""

    section: ClassVar[str] = "blocking"  # subclasses read another catalog section
    # reached from a coroutine: an event loop runs, so branches that need none are cut
    in_loop: ClassVar[bool] = True

    def __init__(self, model: ModuleModel) -> None:
        super().__init__(model)
        self.groups = model.catalog.blocking_groups(self.section)

    def skips(self, site: cst.CSTNode) -> bool:
        return self.in_loop and self.model.analysis(NoLoopBranches).needs_no_loop(site)

    def imported(self, call: cst.Call) -> Blocking | None:
        found = self.model.project.blocking_chain(
            self.model.qualified_names(call.func), passed_by(self.model, call), self.in_loop
        )
        if found is None:
            return None
        chain, name = found
        group = next((group for group in self.groups if name in group.names), None)
        return Blocking(chain, name, group) if group is not None else None


class LoopRunnerAnalysis(_CallChains):
    """Calls that run an event loop to completion (``asyncio.run``, ``run_until_complete``)."""

    SECTION = "loop-runners"

    def __init__(self, model: ModuleModel) -> None:
        super().__init__(model)
        self.group = BlockingGroup(
            kind=self.SECTION,
            advice="`await` the coroutine instead",
            names=model.catalog.names(self.SECTION),
        )

    def direct(self, call: cst.Call) -> Blocking | None:
        name = catalog_call(self.model, call, self.SECTION)
        return Blocking((f"{name}()",), name, self.group) if name is not None else None

    def is_plain_helper(self, function: cst.FunctionDef) -> bool:
        """A helper that first asks whether a loop is running (``get_running_loop()``) is
        written to be called from either side: it is not followed."""
        checks = self.model.catalog.names("loop-checks")
        return super().is_plain_helper(function) and not any(
            catalog_call(self.model, call, "loop-checks") in checks
            for call in self.model.calls_in(function)
        )


def catalog_call(model: ModuleModel, call: cst.Call, section: str) -> str | None:
    """The catalog name of ``section`` this call resolves to, by name, inferred type or, for
    ``AbstractEventLoop`` methods, by a receiver that looks like a loop (``loop``,
    ``self._loop``) when its type is unknown."""
    wanted = model.catalog.names(section)
    matched = model.call_names(call) & wanted
    if matched:
        return min(matched)
    func = call.func
    if isinstance(func, cst.Attribute) and _looks_like_loop(model, func.value):
        candidate = f"asyncio.AbstractEventLoop.{func.attr.value}"
        if candidate in wanted:
            return candidate
    return None


def _looks_like_loop(model: ModuleModel, receiver: cst.BaseExpression) -> bool:
    names = model.catalog.names("event-loop-names")
    if isinstance(receiver, cst.Name):
        return receiver.value in names
    return isinstance(receiver, cst.Attribute) and receiver.attr.value in names
