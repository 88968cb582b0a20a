"""What runs on threads, and which shared state it updates without a lock.

Thread-run code is every thread entry point of the module (``SpawnAnalysis``: the targets
it starts, and its functions other modules of the project start) plus the functions and
methods of the module they call, transitively (``CallGraph``). Shared state is
identified by where it lives (``StateKey``): a module global, a class attribute, an attribute
of ``self``, a closure variable, or a module-level container updated in place. An *update* is
a read-modify-write (``n += 1``, ``x = x + 1``, ``d[k] = d.get(k, 0) + 1``) or a
check-then-act (``if k not in d: d[k] = v``). An unguarded update is a *race* when something
else can write the same state at the same time: the same code running on several threads at
once, another thread's code, or the main thread after the threads started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import libcst as cst
from libcst.metadata import FunctionScope, GlobalScope

from concurlint.model.callgraph import CallGraph
from concurlint.model.index import ModuleIndex
from concurlint.model.locks import HeldLock, LockAnalysis, last_name, method_call
from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.spawning import EntryPoint, SpawnAnalysis
from concurlint.model.surface import CallerSide, ThreadOwners
from concurlint.model.walk import descendants

_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_DEFINITIONS = (cst.Import, cst.ImportFrom, cst.FunctionDef, cst.ClassDef)
# Methods that change a container in place: each is one step alone (CPython's list, dict,
# set and deque methods are atomic), but a write all the same for a read-modify-write,
# check-then-act or read-then-replace of the same container elsewhere.
_MUTATORS = frozenset({
    "append", "appendleft", "extend", "extendleft", "insert", "add", "update", "setdefault",
    "remove", "discard", "pop", "popleft", "popitem", "clear",
})


@dataclass(frozen=True)
class StateKey:
    """Where a piece of state lives; equal keys are the same state."""

    kind: str  # "global", "closure", "class", "instance" ("parameter": EvidentRaces only)
    owner: cst.CSTNode  # the Module, the function defining the closure variable, the ClassDef
    path: str  # "counter", "stats.hits"
    label: str = field(compare=False)  # as the code spells it: "self.count", "counter"


KeyOf = Callable[[cst.BaseExpression], StateKey | None]


@dataclass(frozen=True)
class StateWrite:
    key: StateKey
    node: cst.CSTNode  # the statement that writes
    function: FunctionNode | None  # None at module or class level
    # "read-modify-write", "check-then-act", "read-then-replace", "write", or "mutation"
    # (a container method such as ``append``)
    operation: str


@dataclass(frozen=True)
class Race:
    """An unguarded update in thread-run code, and why it can run concurrently with a write."""

    write: StateWrite
    function: FunctionNode
    elsewhere: str
    where: str = "which runs on a thread"
    advice: str | None = None  # what to do, when it differs from holding one lock
    harm: str = "updates can be lost"


def display_name(model: ModuleModel, function: FunctionNode | None) -> str:
    """``Class.method``, ``function`` or ``lambda``, for messages."""
    if function is None:
        return "module level"
    if isinstance(function, cst.Lambda):
        return "lambda"
    klass = model.enclosing_class(function)
    if klass is not None:
        return f"{klass.name.value}.{function.name.value}"
    return function.name.value


class _Reads(cst.CSTVisitor):
    """Names and attribute chains an expression reads: ``a.b.c`` gives ``a.b.c``, ``a.b``
    and ``a``, never an attribute's name alone; bodies of nested lambdas are left out."""

    def __init__(self) -> None:
        self.found: list[cst.Name | cst.Attribute] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.found.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.found.append(node)
        node.value.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _calls_in(expression: cst.CSTNode) -> list[cst.Call]:
    visitor = _Calls()
    expression.visit(visitor)
    return visitor.found


def reads_in(expression: cst.CSTNode) -> list[cst.Name | cst.Attribute]:
    """The names and attribute chains ``expression`` reads."""
    visitor = _Reads()
    expression.visit(visitor)
    return visitor.found


class ThreadAnalysis:
    """Get it with ``model.analysis(ThreadAnalysis)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.spawns = model.analysis(SpawnAnalysis)
        self.locks = model.analysis(LockAnalysis)
        self.graph = model.analysis(CallGraph)
        self.owners = model.analysis(ThreadOwners)
        catalog = model.catalog
        self.safe_types = frozenset(model.canonical(n) for n in catalog.names("thread-safe-types"))
        self.initializers = catalog.names("initializer-methods")
        self.interpreter_state = catalog.names("interpreter-state")
        self._interpreter_leaves = {name.rpartition(".")[2] for name in self.interpreter_state}
        self._guarded_on_entry: dict[FunctionNode, bool] = {}
        self._synchronizing: dict[cst.CSTNode, bool] = {}

    # -- thread-run code ----------------------------------------------------------------------

    @cached_property
    def entries(self) -> tuple[EntryPoint, ...]:
        return self.spawns.entry_points("thread")

    @cached_property
    def _reach(self) -> dict[FunctionNode, tuple[tuple[EntryPoint, bool], ...]]:
        """For each thread-run function: the entry points reaching it, each with whether the
        object its ``self`` is bound to is the same for every run of that entry (a bound
        method of one object, or a method called on a global or closure instance)."""
        reach: dict[FunctionNode, list[tuple[EntryPoint, bool]]] = {}
        for entry in self.entries:
            pending = [(entry.function, entry.shares_instance)]
            while pending:
                function, shared = pending.pop()
                reached = reach.setdefault(function, [])
                if (entry, shared) in reached:
                    continue
                reached.append((entry, shared))
                for call, callee in self.graph.callees(function):
                    receiver = self.graph.shares_receiver(call)
                    pending.append((callee, shared if receiver is None else receiver))
        return {function: tuple(found) for function, found in reach.items()}

    def entries_reaching(self, function: FunctionNode | None) -> tuple[EntryPoint, ...]:
        """The thread entry points whose thread runs ``function``; empty if none does."""
        paths = self._reach.get(function, ()) if function is not None else ()
        return tuple(dict.fromkeys(entry for entry, _ in paths))

    def runs_in_thread(self, function: FunctionNode | None) -> bool:
        return bool(self.entries_reaching(function))

    # -- locks --------------------------------------------------------------------------------

    def guarded(self, node: cst.CSTNode) -> bool:
        """True when some lock is held at ``node``: in its function, by a locking decorator,
        or because every call of its function in the module holds one."""
        if self.locks.held(node):
            return True
        function = self.model.enclosing_function(node)
        return function is not None and self._function_guarded(function)

    def _function_guarded(self, function: FunctionNode) -> bool:
        if self.locks.has_lock_decorator(function):
            return True
        if not isinstance(function, cst.FunctionDef) or any(
            entry.function is function for entry in self.entries
        ):
            return False
        if function not in self._guarded_on_entry:
            self._guarded_on_entry[function] = False  # a recursive call proves nothing
            calls = self.graph.calls_to(function)
            self._guarded_on_entry[function] = bool(calls) and all(
                self.guarded(call) for call in calls
            )
        return self._guarded_on_entry[function]

    # -- shared state -------------------------------------------------------------------------

    def state_key(self, expression: cst.BaseExpression, depth: int = 0) -> StateKey | None:
        """Where the state ``expression`` names lives, if it can be shared between threads."""
        if depth > 3:
            return None
        if isinstance(expression, cst.Subscript):
            return self._container_key(expression.value, depth + 1)
        if isinstance(expression, cst.Name):
            return self._name_key(expression)
        if isinstance(expression, cst.Attribute):
            return self._attribute_key(expression, depth)
        return None

    def _name_key(self, name: cst.Name) -> StateKey | None:
        scope = self.model.scope(name)
        if scope is None:
            return None
        assignments = list(scope[name.value])
        if not assignments or any(
            isinstance(getattr(a, "node", None), _DEFINITIONS) for a in assignments
        ):
            return None
        scopes = {a.scope for a in assignments}
        if len(scopes) != 1:
            return None
        (owner,) = scopes
        if self.thread_safe(name):
            return None
        if isinstance(owner, GlobalScope):
            return StateKey("global", self.model.module, name.value, name.value)
        if isinstance(owner, FunctionScope) and owner is not scope and owner.node is not None:
            return StateKey("closure", owner.node, name.value, name.value)
        return None

    def _attribute_key(self, attribute: cst.Attribute, depth: int) -> StateKey | None:
        receiver, attr = attribute.value, attribute.attr.value
        shared = (
            self.model.qualified_names(attribute) & self.interpreter_state
            if attr in self._interpreter_leaves
            else None
        )
        if shared:
            label = min(shared)
            return StateKey("global", self.model.module, label, label)
        if self.thread_safe(receiver):
            return None
        if isinstance(receiver, cst.Name):
            function = self.model.enclosing_function(receiver)
            if isinstance(function, cst.FunctionDef) and receiver.value == self.model.self_name(
                function
            ):
                klass = self.model.enclosing_class(function)
                assert klass is not None
                if self._is_thread_local_class(klass):
                    return None
                kind = "class" if self._is_classmethod(function) else "instance"
                return StateKey(kind, klass, attr, f"{receiver.value}.{attr}")
            bound = self.model.class_bound_to(receiver)
            if isinstance(bound, cst.ClassDef) and isinstance(self.model.scope(bound), GlobalScope):
                return StateKey("class", bound, attr, f"{receiver.value}.{attr}")
        root = self.state_key(receiver, depth + 1)
        if root is None or isinstance(receiver, cst.Subscript):
            return None
        return StateKey(root.kind, root.owner, f"{root.path}.{attr}", f"{root.label}.{attr}")

    def _container_key(self, container: cst.BaseExpression, depth: int) -> StateKey | None:
        """The key of a container updated in place; a global or closure name must be bound
        to a mutable container by construction."""
        key = self.state_key(container, depth)
        if key is None or not isinstance(container, cst.Name):
            return key
        return key if self._is_mutable_container(container) else None

    def _is_mutable_container(
        self, name: cst.Name, kind: Callable[[cst.BaseExpression | None], bool] | None = None
    ) -> bool:
        scope = self.model.scope(name)
        assignments = list(scope[name.value]) if scope is not None else []
        nodes = [getattr(a, "node", name) for a in assignments]
        # `x += [...]` keeps the container it updates
        return self._all_containers(
            [
                self.model.assigned_value(node)
                for node in nodes
                if not isinstance(self.model.parent(node), cst.AugAssign)
            ],
            kind,
        )

    def holds_container(
        self,
        target: cst.Name | cst.Attribute,
        kind: Callable[[cst.BaseExpression | None], bool] | None = None,
    ) -> bool:
        """True when every value the model sees assigned to ``target`` is a mutable container
        (of ``kind``, when given: a test of each assigned value)."""
        if isinstance(target, cst.Name):
            return self._is_mutable_container(target, kind)
        receiver = target.value
        function = self.model.enclosing_function(target)
        if not (
            isinstance(receiver, cst.Name)
            and isinstance(function, cst.FunctionDef)
            and receiver.value == self.model.self_name(function)
        ):
            return False
        klass = self.model.enclosing_class(function)
        assert klass is not None
        return self._all_containers(
            list(self.model.attribute_assignments(klass, target.attr.value)), kind
        )

    def _all_containers(
        self,
        values: list[cst.BaseExpression | None],
        kind: Callable[[cst.BaseExpression | None], bool] | None,
    ) -> bool:
        test = kind or self.model.is_container_value
        return bool(values) and all(test(v) for v in values)

    def thread_safe(self, expression: cst.BaseExpression) -> bool:
        """A value that is safe to share or private to each thread (``threading.local()``)."""
        if self.model.infer_types(expression) & self.safe_types:
            return True
        value = (
            self.model.single_assigned_value(expression)
            if isinstance(expression, cst.Name)
            else None
        )
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            klass = self.model.class_bound_to(value.func)
            return isinstance(klass, cst.ClassDef) and self._is_thread_local_class(klass)
        return False

    def _is_thread_local_class(self, klass: cst.ClassDef) -> bool:
        return any(
            self.model.qualified_names(base.value) & self.safe_types for base in klass.bases
        )

    def _is_classmethod(self, function: cst.FunctionDef) -> bool:
        return any(
            "builtins.classmethod" in self.model.qualified_names(d.decorator)
            for d in function.decorators
        )

    def reads(self, expression: cst.CSTNode, through_locals: bool = False) -> set[StateKey]:
        """The shared state an expression reads; with ``through_locals``, also the state read
        into the local variables it uses (``value = counter`` ... ``counter = value + 1``)."""
        keys = set()
        for node in reads_in(expression):
            key = self.state_key(node)
            if key is not None:
                keys.add(key)
            elif through_locals and isinstance(node, cst.Name):
                keys |= self._read_into_local(node)
        return keys

    def _read_into_local(self, name: cst.Name) -> set[StateKey]:
        """The state a local variable of the same function was assigned from."""
        scope = self.model.scope(name)
        if not isinstance(scope, FunctionScope):
            return set()
        keys: set[StateKey] = set()
        for assignment in scope[name.value]:
            if assignment.scope is not scope:
                return set()
            value = self.model.assigned_value(getattr(assignment, "node", name))
            if value is not None:
                keys |= self.reads(value)
        return keys

    @cached_property
    def writes(self) -> tuple[StateWrite, ...]:
        """Every write of shared state in the module, classified, and every call of a
        method that changes a shared container in place (``items.append(x)``)."""
        index = self.model.analysis(ModuleIndex)
        found = []
        for target, statement, augmented in index.writes:
            key = self.state_key(target)
            if key is None:
                continue
            function = self.model.enclosing_function(statement)
            found.append(StateWrite(key, statement, function, self._operation(
                key, statement, augmented
            )))
        for call in index.calls:
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in _MUTATORS:
                key = self.state_key(func.value)
                if key is not None:
                    function = self.model.enclosing_function(call)
                    found.append(StateWrite(key, call, function, "mutation"))
        return tuple(found)

    def _operation(self, key: StateKey, statement: cst.CSTNode, augmented: bool) -> str:
        if augmented:
            target = getattr(statement, "target", None)
            # `items += [x]` on a list extends it in place: one step, nothing is lost
            if isinstance(target, (cst.Name, cst.Attribute)) and self.holds_container(target):
                return "write"
            return "read-modify-write"
        value = getattr(statement, "value", None)
        if isinstance(value, cst.BaseExpression) and key in self.reads(value, through_locals=True):
            return "read-modify-write"
        if self._checked_before(key, statement):
            return "check-then-act"
        if isinstance(statement, cst.Assign) and self._read_before(key, statement):
            return "read-then-replace"
        return "write"

    def _read_before(self, key: StateKey, statement: cst.Assign) -> bool:
        """True when an earlier statement of the same function reads ``key`` into local
        variables (``items = self.pending`` ... ``self.pending = []``): what other threads
        add between the two statements is replaced without being read."""
        function = self.model.enclosing_function(statement)
        if function is None:
            return False
        for target, earlier, _ in self.model.analysis(ModuleIndex).writes:
            if earlier is statement:
                return False
            if (
                isinstance(earlier, cst.Assign)
                and isinstance(target, cst.Name)
                and all(isinstance(t.target, cst.Name) for t in earlier.targets)
                and self.model.enclosing_function(earlier) is function
                and key in self.reads(earlier.value)
            ):
                return True
        return False

    def _checked_before(self, key: StateKey, statement: cst.CSTNode) -> bool:
        """True when ``statement`` runs after a check of ``key`` in its function."""
        return bool(self.checks(key, statement))

    def checks(
        self, key: StateKey, statement: cst.CSTNode, key_of: KeyOf | None = None
    ) -> list[cst.CSTNode]:
        """The checks of ``key`` that ``statement`` runs under, innermost first: an ``if``
        of its function that reads ``key`` (``statement`` in its body or ``else``), or a
        ``try`` whose body reads ``key`` and whose handler ``statement`` is in, catching the
        error a missing attribute, key or name raises (``try: self._lock`` ``except
        AttributeError: self._lock = Lock()``). ``key_of`` places what is read, when it is
        not ``state_key``."""
        key_of = key_of or self.state_key
        found: list[cst.CSTNode] = []
        child = statement
        for ancestor in self.model.ancestors(statement):
            if isinstance(ancestor, _BOUNDARIES):
                break
            if (
                isinstance(ancestor, cst.If)
                and child is not ancestor.test
                and key in self._tested(ancestor.test, key_of)
            ) or (
                isinstance(ancestor, cst.Try)
                and isinstance(child, cst.ExceptHandler)
                and _catches_missing(child)
                and key in {key_of(node) for node in reads_in(ancestor.body)}
            ):
                found.append(ancestor)
            child = ancestor
        return found

    def _tested(self, test: cst.BaseExpression, key_of: KeyOf) -> set[StateKey]:
        """The state a condition reads, ``hasattr(self, "_x")``/``getattr(self, "_x", None)``
        counting as a read of ``self._x``."""
        keys = {key for key in map(key_of, reads_in(test)) if key is not None}
        for node in _calls_in(test):
            if not (
                isinstance(node.func, cst.Name)
                and node.func.value in ("hasattr", "getattr")
                and len(node.args) >= 2
                and isinstance(node.args[1].value, cst.SimpleString)
            ):
                continue
            name = node.args[1].value.evaluated_value
            if isinstance(name, str) and name.isidentifier():
                # the attribute spelt out, on the receiver node the call reads
                attribute = cst.Attribute(node.args[0].value, cst.Name(name))
                key = key_of(attribute)
                if key is not None:
                    keys.add(key)
        return keys

    def checked_outside_lock(self, write: StateWrite) -> HeldLock | None:
        """The lock taken for a check-then-act whose check runs before the lock is taken
        and whose act, inside the lock, does not check again (``if k not in d:`` ... ``with
        lock: d[k] = v``, or ``lock.acquire()`` and ``try``): two threads can both pass the
        check, then act one after the other."""
        function = write.function
        if write.operation != "check-then-act" or function is None:
            return None
        if self._function_guarded(function):
            return None
        held = self.locks.held(write.node)
        if len(held) != 1:
            return None
        (lock,) = held
        taking = set(self.model.ancestors(lock.at))
        checks = self.checks(write.key, write.node)
        if not checks or any(check not in taking for check in checks):
            return None
        return None if self._taken_first(write, lock, function) else lock

    def _taken_first(self, write: StateWrite, lock: HeldLock, function: FunctionNode) -> bool:
        """True when the locked region reads the state before replacing it (``with lock:
        items = self.items; self.items = []``): it acts on what it read under the lock, so
        the check made before is only a shortcut, as a check made again would be."""
        started = False
        for line in _lines(function):
            if line in set(self.model.ancestors(write.node)):
                return False
            started = started or any(held.at is lock.at for held in self.locks.held(line))
            if started and any(
                isinstance(small, cst.Assign) and write.key in self.reads(small.value)
                for small in line.body
            ):
                return True
        return False

    # -- races --------------------------------------------------------------------------------

    @cached_property
    def races(self) -> tuple[Race, ...]:
        """Unguarded updates in thread-run code that can run while the same state is written
        elsewhere."""
        found = []
        for write in self.writes:
            function = write.function
            if write.operation in ("write", "mutation") or function is None:
                continue
            if self.stores_same_constant(write):
                continue
            if self.guarded(write.node):
                if self.checked_outside_lock(write) is None:
                    continue
                write = replace(write, operation=CHECKED_OUTSIDE)
            if self.runs_in_thread(function):
                elsewhere = self._concurrent_evidence(write)
                if elsewhere is not None:
                    found.append(Race(write, function, elsewhere))
                    continue
            side = self.owners.caller_side(function)
            # code both sides run (`loop()` for callers, and the thread's loop) is often
            # meant for one side at a time (paho-mqtt's `loop()` or `loop_start()`): only
            # code of the callers' side alone is paired with the thread's writes
            if (
                side is not None
                and not self.runs_in_thread(function)
                and not self._stops(write)
            ):
                elsewhere = self._thread_side_writer(write, side)
                if elsewhere is not None:
                    where = (
                        f"which callers of `{side.klass.name.value}` run while its thread runs "
                        f"`{display_name(self.model, side.entry.function)}`"
                    )
                    found.append(Race(write, function, elsewhere, where))
        return tuple(found)

    def _stops(self, write: StateWrite) -> bool:
        """A callers' check-then-act storing a constant (``if self.running: ...;
        self.running = False``, ``if self.sock is not None: ...; self.sock = None``): it
        stops or tears down, usually after the thread was told to end or joined."""
        return write.operation == "check-then-act" and _constant(write.node) is not None

    def stores_same_constant(self, write: StateWrite) -> bool:
        """A check-then-act storing a constant that every other writer (initializers aside)
        stores too (``if self.sock is not None: ...; self.sock = None``): two threads acting
        on the same check leave the same value, nothing is lost."""
        stored = _constant(write.node)
        if write.operation != "check-then-act" or stored is None:
            return False
        return all(
            _constant(other.node) == stored
            for other in self.writes
            if other.key == write.key
            and other.node is not write.node
            and not (other.function is not None and self._is_initializer(other.function))
        )

    def _concurrent_evidence(self, write: StateWrite) -> str | None:
        assert write.function is not None
        if write.operation != "read-then-replace":
            found = self.runs_twice(write)
            if found is not None:
                return found
        for other in self.writes:
            if not self._pairs(write, other):
                continue
            where = self.concurrent_writer(write, other)
            if where is not None:
                return f"{written(other)} in {where}"
        return None

    def runs_twice(self, write: StateWrite) -> str | None:
        """Why the function making ``write`` can run on two threads at once, if it can."""
        assert write.function is not None
        instance = write.key.kind == "instance"
        reach = self._reach[write.function]
        paths = [entry for entry, shared in reach if shared or not instance]
        if write.key.kind == "closure":
            # each call of the function owning a closure variable makes a new one: only
            # threads started on functions nested in that call share it
            owner = write.key.owner
            paths = [e for e in paths if owner in set(self.model.ancestors(e.function))]
        for entry in paths:
            if entry.repeated is not None:
                name = display_name(self.model, entry.function)
                where = f" in `{entry.started_in}`" if entry.started_in else ""
                return f"`{name}` runs on several threads at once ({entry.repeated}{where})"
        if len({entry.function for entry in paths}) > 1:
            names = ", ".join(sorted({f"`{display_name(self.model, e.function)}`" for e in paths}))
            return f"it runs on the threads of {names}"
        return None

    def _pairs(self, write: StateWrite, other: StateWrite) -> bool:
        """True when ``other`` is another write of the same state that can lose ``write``'s
        update; a replaced container loses only what is added to it in place."""
        if other.key != write.key or other.node is write.node:
            return False
        return write.operation != "read-then-replace" or other.operation == "mutation"

    def _owned_by(self, key: StateKey, klass: cst.ClassDef) -> bool:
        return key.kind in ("instance", "class") and key.owner is klass

    def _thread_side_writer(self, write: StateWrite, side: CallerSide) -> str | None:
        """Where the thread of a thread-owning object writes the state that ``write``, made
        on the callers' side of that object, updates."""
        if not self._owned_by(write.key, side.klass):
            return None
        own = set(self.owners.entries[side.klass])
        for other in self.writes:
            if not self._pairs(write, other) or other.function is None:
                continue
            if self.owners.caller_side(other.function) is not None:
                continue  # run by the callers too: not the thread's own code
            entries = [e for e, _ in self._reach.get(other.function, ()) if e in own]
            if entries:
                name = display_name(self.model, other.function)
                thread = display_name(self.model, entries[0].function)
                on = "" if name == thread else f" on the thread of `{thread}`"
                return f"{written(other)} in `{name}`{on}"
        return None

    def concurrent_writer(self, write: StateWrite, other: StateWrite) -> str | None:
        """Where ``other`` writes concurrently with ``write``'s thread, if it can."""
        function = other.function
        if function is None or self._is_initializer(function):
            return None
        name = display_name(self.model, function)
        other_entries = set(self.entries_reaching(function))
        if other_entries:
            if other_entries - set(self.entries_reaching(write.function)):
                return f"`{name}`, which runs on another thread"
            return None
        if self._before_threads_start(other):
            return None
        owner = write.key.owner
        # A container replaced on a thread while it is appended to elsewhere is a flusher
        # written for concurrency whether or not its module locks anywhere.
        flusher = write.operation == "read-then-replace"
        if not (flusher or self._synchronizes(owner) or owner in self.owners.entries):
            return None
        return f"`{name}` on the main thread"

    def _synchronizes(self, owner: cst.CSTNode) -> bool:
        """True when the class, module or function owning some state takes a lock somewhere:
        it is written to be used from several threads at once. Code that never locks is
        usually used by one thread at a time, so a write from the main thread alone is not
        taken as concurrent with a thread's update there."""
        if owner not in self._synchronizing:
            self._synchronizing[owner] = any(
                owner is self.model.module or owner in set(self.model.ancestors(node))
                for node in self._lock_uses
            )
        return self._synchronizing[owner]

    @cached_property
    def _lock_uses(self) -> list[cst.CSTNode]:
        """Every ``with lock:`` item and ``lock.acquire()`` call of the module."""
        index = self.model.analysis(ModuleIndex)
        locks = self.locks
        uses: list[cst.CSTNode] = [i for i in index.with_items if locks.looks_like_lock(i.item)]
        for call in index.calls:
            receiver = method_call(call, "acquire")
            if receiver is not None and locks.looks_like_lock(receiver):
                uses.append(call)
        return uses

    def _is_initializer(self, function: FunctionNode) -> bool:
        return isinstance(function, cst.FunctionDef) and (
            function.name.value in self.initializers
        )

    def _before_threads_start(self, write: StateWrite) -> bool:
        """True when the function writing also starts threads, after this write."""
        function = write.function
        assert function is not None
        position = self._top_statement_index(function, write.node)
        if position is None:
            return False
        for call in self.model.calls_in(function):
            starts = self.spawns.site(call) is not None or last_name(call.func) == "start"
            index = self._top_statement_index(function, call)
            if starts and index is not None and index > position:
                return True
        return False

    def _top_statement_index(self, function: FunctionNode, node: cst.CSTNode) -> int | None:
        body = function.body
        if not isinstance(body, cst.IndentedBlock):
            return None
        statements = list(body.body)
        for ancestor in (node, *self.model.ancestors(node)):
            for index, statement in enumerate(statements):
                if statement is ancestor:
                    return index
        return None


def _lines(function: FunctionNode) -> list[cst.SimpleStatementLine]:
    """The simple statements of a function's own body, in the order they are written."""
    return [
        node
        for node in descendants(function.body, (cst.FunctionDef, cst.ClassDef))
        if isinstance(node, cst.SimpleStatementLine)
    ]


_MISSING_ERRORS = frozenset({"AttributeError", "KeyError", "LookupError", "NameError"})


def _catches_missing(handler: cst.ExceptHandler) -> bool:
    """An ``except`` clause catching what reading a missing attribute, key or name raises."""
    kind = handler.type
    names = (
        [element.value for element in kind.elements]
        if isinstance(kind, cst.Tuple)
        else [kind] if kind is not None else []
    )
    return any(last_name(name) in _MISSING_ERRORS for name in names)


def written(write: StateWrite) -> str:
    """How another function changes the state: ``self.items.append()`` or a write."""
    node = write.node
    if write.operation == "mutation" and isinstance(node, cst.Call):
        assert isinstance(node.func, cst.Attribute)
        return f"`{write.key.label}.{node.func.attr.value}()` is also called"
    return f"`{write.key.label}` is also written"


_CONSTANT_NAMES = frozenset({"None", "True", "False"})
CHECKED_OUTSIDE = "check-then-act whose check runs before the lock is taken"


def _constant(statement: cst.CSTNode) -> str | None:
    """The constant an assignment stores (``None``, ``True``, a number or a string)."""
    value = statement.value if isinstance(statement, cst.Assign) else None
    if isinstance(value, cst.Name) and value.value in _CONSTANT_NAMES:
        return value.value
    if isinstance(value, (cst.Integer, cst.Float, cst.SimpleString)):
        return value.value
    return None
