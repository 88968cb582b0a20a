"""Where code is handed to another thread or process, and which code that is.

A spawn site is a call from the catalog's ``[[spawner]]`` list (``Thread(target=...)``,
``pool.submit(fn, ...)``, ``Pool(initializer=...)``, ...). For each site the model knows the
expression handed over as the callable, what it resolves to in this module (a module-level
function, a nested function, a method, a lambda, a ``functools.partial`` of one of those),
and the argument expressions sent along. Shared by the thread and process families.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import libcst as cst

from concurlint.frameworks import frameworks, own_entries, per_request, screen_words
from concurlint.model.catalog import Catalog
from concurlint.model.index import ModuleIndex
from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.spawners import ArgumentSlot, Spawner
from concurlint.summary import PARTIAL_FUNCTION

PARTIAL = frozenset({PARTIAL_FUNCTION})
_RESOLUTION_DEPTH = 4


def spawn_screen_words(catalog: Catalog, kind: str) -> frozenset[str]:
    """Top-level modules a file must name to start a thread/process the model can see:
    every spawner and spawner base class is reached through an import of its module."""
    return frozenset(name.split(".")[0] for name in _spawn_names(catalog, kind))


def _spawn_names(catalog: Catalog, kind: str) -> Iterator[str]:
    """Every catalog name that starts code of ``kind`` elsewhere: spawners, spawner base
    classes and, for threads, the threading servers that run request handlers."""
    entries = [*catalog.section("spawner"), *catalog.section("spawner-base")]
    yield from (name for entry in entries if entry["kind"] == kind for name in entry["names"])
    if kind == "thread":
        yield from catalog.names("threading-servers")


def spawn_identifiers(catalog: Catalog, kind: str) -> frozenset[str]:
    """Identifiers one of which the code must name to start a thread/process the model can
    see: the last part of a spawner (``Thread``, ``submit``) or spawner base class name."""
    return frozenset(name.rpartition(".")[2] for name in _spawn_names(catalog, kind))


class CallableKind(enum.Enum):
    FUNCTION = "module-level function"
    NESTED = "nested function"
    METHOD = "method"
    LOCAL_CLASS_METHOD = "method of a local class"
    LAMBDA = "lambda"
    CALL_RESULT = "call result"  # `target=work()`: the result of a call, not a callable
    UNKNOWN = "unknown callable"


@dataclass(frozen=True)
class SpawnerBase:
    """One ``[[spawner-base]]`` entry: a class whose subclasses run ``method`` elsewhere."""

    kind: str
    names: frozenset[str]
    method: str

    @classmethod
    def from_catalog(cls, entry: Mapping[str, Any]) -> SpawnerBase:
        return cls(entry["kind"], frozenset(entry["names"]), entry["method"])


@dataclass(frozen=True)
class CallableTarget:
    """What a callable expression runs, resolved within the module."""

    expression: cst.BaseExpression
    kind: CallableKind
    function: FunctionNode | None = None  # the code that runs, when resolved
    through_partial: bool = False
    partial_arguments: tuple[cst.Arg, ...] = ()
    imported: str | None = None  # what another module of the project binds the name to


@dataclass(frozen=True)
class SpawnSite:
    call: cst.Call
    api: str  # the catalog name the call matched, e.g. "threading.Thread"
    spawner: Spawner
    target: CallableTarget | None

    @property
    def kind(self) -> str:
        return self.spawner.kind

    def sent_arguments(self) -> Iterator[cst.BaseExpression]:
        """Expressions whose values are sent to the target: items of an ``args`` tuple,
        values of a ``kwargs`` dict, the remaining arguments, or partial's bound arguments."""
        spawner, call = self.spawner, self.call
        for slot in (spawner.args, spawner.kwargs):
            arg = slot.find(call) if slot is not None else None
            if arg is not None:
                yield from _container_items(arg.value)
        if spawner.rest == "arguments":
            skipped = [spawner.target.find(call)]
            if spawner.executor is not None:
                skipped.append(spawner.executor.find(call))
            yield from (a.value for a in call.args if a not in skipped and not a.star)
        if self.target is not None:
            yield from (a.value for a in self.target.partial_arguments if not a.star)

    def sent_iterables(self) -> Iterator[cst.BaseExpression]:
        """Iterables whose items are sent to the target (``map``, ``starmap``)."""
        spawner, call = self.spawner, self.call
        if spawner.iterable is not None:
            arg = spawner.iterable.find(call)
            if arg is not None:
                yield arg.value
        if spawner.rest == "iterables":
            target_arg = spawner.target.find(call)
            yield from (a.value for a in call.args if a is not target_arg and a.keyword is None)


@dataclass(frozen=True)
class EntryPoint:
    """Code that starts running on a new thread or process.

    ``repeated`` says why it may run several times at once (``"started in a loop"``,
    ``"once per item"``, ``"started at 2 sites"``), None when it is started once; an
    instance of a ``Thread``/``Process`` subclass constructed at several sites counts as
    several starts of its ``run``, each on its own instance. ``shares_instance`` is True
    when those runs are bound to one object, so its ``self.`` attributes are shared between
    them. ``site`` is None for the ``run`` of a subclass the module never constructs, and
    for a function another module of the project starts (``started_in`` names that module).
    """

    function: FunctionNode
    kind: str
    site: SpawnSite | None
    repeated: str | None = None
    shares_instance: bool = False
    started_in: str | None = None

    @property
    def name(self) -> str:
        if isinstance(self.function, cst.Lambda):
            return "lambda"
        return self.function.name.value


_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_SCOPE_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _container_items(expression: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(expression, (cst.Tuple, cst.List)):
        yield from (e.value for e in expression.elements if isinstance(e, cst.Element))
    elif isinstance(expression, cst.Dict):
        yield from (e.value for e in expression.elements if isinstance(e, cst.DictElement))


def _last_name(call: cst.Call) -> str | None:
    func = call.func
    return func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)


class SpawnAnalysis:
    """Every spawn site of a module; get it with ``model.analysis(SpawnAnalysis)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.spawners = tuple(
            Spawner.from_catalog(entry) for entry in model.catalog.section("spawner")
        )
        self.bases = tuple(
            SpawnerBase.from_catalog(entry) for entry in model.catalog.section("spawner-base")
        )
        self.executor_kinds: Mapping[str, str] = model.catalog.section("executor-kinds")

    @cached_property
    def sites(self) -> tuple[SpawnSite, ...]:
        """Spawn sites in source order. Only calls whose last name could match a spawner
        (or that are a plain name of a class of this module) are resolved."""
        last_names = frozenset(
            name.rpartition(".")[2] for spawner in self.spawners for name in spawner.names
        )
        class_names = frozenset(klass.name.value for klass in self.spawner_classes)
        return tuple(
            site
            for call in self.model.nodes(cst.Call)
            if (_last_name(call) in last_names
                or (isinstance(call.func, cst.Name) and call.func.value in class_names))
            and (site := self.site(call)) is not None
        )

    def site(self, call: cst.Call) -> SpawnSite | None:
        names = self.model.call_names(call)
        for spawner in self.spawners:
            matched = names & spawner.names
            if matched:
                arg = spawner.target.find(call)
                target = self.resolve_callable(arg.value) if arg is not None else None
                if spawner.executor is not None:
                    spawner = replace(spawner, kind=self._executor_kind(spawner, call))
                return SpawnSite(call, min(matched), spawner, target)
        if isinstance(call.func, cst.Name):
            return self._subclass_site(call, call.func)
        return None

    def _executor_kind(self, spawner: Spawner, call: cst.Call) -> str:
        """The kind of the executor a call is given: the spawner's own kind (its default
        executor) for none or ``None``, "unknown" when its type cannot be inferred."""
        assert spawner.executor is not None
        arg = spawner.executor.find(call)
        if arg is None or (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
            return spawner.kind
        kinds = {self.executor_kinds.get(t) for t in self.model.infer_types(arg.value)}
        kind = kinds.pop() if len(kinds) == 1 else None
        return kind if kind is not None else "unknown"

    @cached_property
    def spawner_classes(self) -> Mapping[cst.ClassDef, tuple[SpawnerBase, str]]:
        """Classes of this module deriving from a ``[[spawner-base]]`` class, directly or
        through other classes of the module, with the base and the catalog name matched."""
        found: dict[cst.ClassDef, tuple[SpawnerBase, str]] = {}
        for klass in self.model.nodes(cst.ClassDef):  # source order: a base class is seen first
            for base in klass.bases:
                matched = self._spawner_base(base.value, found)
                if matched is not None:
                    found[klass] = matched
                    break
        return found

    def names_spawner_base(self, expression: cst.BaseExpression) -> bool:
        """True when ``expression`` names a ``[[spawner-base]]`` class itself."""
        return self._spawner_base(expression, {}) is not None

    def _spawner_base(
        self, expression: cst.BaseExpression, found: Mapping[cst.ClassDef, tuple[SpawnerBase, str]]
    ) -> tuple[SpawnerBase, str] | None:
        names = self.model.qualified_names(expression)
        for base in self.bases:
            matched = names & base.names
            if matched:
                return base, min(matched)
        if isinstance(expression, cst.Name):
            klass = self.model.class_bound_to(expression)
            if klass is not None:
                return found.get(klass)
        return None

    def _subclass_site(self, call: cst.Call, name: cst.Name) -> SpawnSite | None:
        klass = self.model.class_bound_to(name)
        matched = self.spawner_classes.get(klass) if klass is not None else None
        if klass is None or matched is None:
            return None
        base, api = matched
        method = self._entry_method(klass, base.method)
        local = self.model.enclosing_function(klass) is not None
        kind = CallableKind.LOCAL_CLASS_METHOD if local else CallableKind.METHOD
        target = CallableTarget(name, kind, method)
        return SpawnSite(call, api, Spawner.for_subclass(base.kind, api), target)

    def _entry_method(self, klass: cst.ClassDef, method: str) -> cst.FunctionDef | None:
        """``method`` as defined by ``klass`` or the nearest spawner class it derives from."""
        for _ in range(_RESOLUTION_DEPTH):
            found = self.model.method_of(klass, method)
            if found is not None:
                return found
            parents = [
                parent
                for base in klass.bases
                if isinstance(base.value, cst.Name)
                and (parent := self.model.class_bound_to(base.value)) is not None
                and parent in self.spawner_classes
            ]
            if not parents:
                return None
            klass = parents[0]
        return None

    def of_kind(self, kind: str) -> tuple[SpawnSite, ...]:
        return tuple(site for site in self.sites if site.kind == kind)

    # -- entry points -------------------------------------------------------------------------

    def entry_points(self, kind: str) -> tuple[EntryPoint, ...]:
        """Functions of this module that start running on a new thread (``kind="thread"``) or
        process: resolved targets of spawn sites (``run()`` for a spawner subclass)."""
        return tuple(e for e in self._entry_points if e.kind == kind)

    @cached_property
    def _entry_points(self) -> tuple[EntryPoint, ...]:
        entries = self._site_entries()
        started = {entry.function for entry in entries}
        for klass, (base, _) in self.spawner_classes.items():
            method = self._entry_method(klass, base.method)
            if method is not None and method not in started:
                started.add(method)
                entries.append(EntryPoint(method, base.kind, None))
        entries.extend(self._started_elsewhere())
        entries.extend(self._request_handlers())
        entries.extend(self._views())
        return tuple(entries)

    def _views(self) -> Iterator[EntryPoint]:
        """The functions and methods of the module that a web or RPC framework runs for
        each request (``concurlint.frameworks``, the same reading as the module's summary);
        only a module that names a framework in its imports is read."""
        known = frameworks(self.model.catalog.section("framework"))
        words = screen_words(known)
        imports = (self.model.code(node) for node in self.model.nodes(cst.Import, cst.ImportFrom))
        if not any(word in text for text in imports for word in words):
            return
        facts = self.model.project
        for entry in own_entries(self.model.syntax_tree, facts.linted_module, facts.package, known):
            function = self._defined(entry.qualname)
            if function is not None:
                yield EntryPoint(
                    function, "thread", None, per_request(entry.framework),
                    entry.shares_instance,
                )

    def _defined(self, qualname: str) -> cst.FunctionDef | None:
        """The module-level function, or the method of a module-level class, ``qualname``
        names."""
        owner, _, name = qualname.rpartition(".")
        defined = self.model.definition_bound_to(owner or name, self.model.module)
        if owner and isinstance(defined, cst.ClassDef):
            defined = self.model.method_of(defined, name)
        return defined if isinstance(defined, cst.FunctionDef) else None

    def _request_handlers(self) -> Iterator[EntryPoint]:
        """The methods of request handler classes that a threading server of the module
        (``ThreadingTCPServer(address, Handler)``) runs on a new thread for each request."""
        servers = self.model.catalog.section("threading-servers")
        names = frozenset(servers.get("names", ()))
        methods = frozenset(servers.get("handler-methods", ()))
        prefixes = tuple(servers.get("handler-method-prefixes", ()))
        slot = ArgumentSlot(1, "RequestHandlerClass")
        seen: set[cst.FunctionDef] = set()
        for call in self.model.nodes(cst.Call):
            if not self._is_threading_server(call.func, names):
                continue
            arg = slot.find(call)
            if arg is None or not isinstance(arg.value, cst.Name):
                continue
            handler = self.model.class_bound_to(arg.value)
            if handler is None:
                continue
            for method in self._class_methods(handler):
                name = method.name.value
                if (name in methods or name.startswith(prefixes)) and method not in seen:
                    seen.add(method)
                    yield EntryPoint(method, "thread", None, "once per request")

    def _is_threading_server(
        self, expression: cst.BaseExpression, names: frozenset[str], depth: int = 0
    ) -> bool:
        if self.model.qualified_names(expression) & names:
            return True
        klass = self.model.class_bound_to(expression) if isinstance(expression, cst.Name) else None
        return (
            klass is not None
            and depth < _RESOLUTION_DEPTH
            and any(self._is_threading_server(b.value, names, depth + 1) for b in klass.bases)
        )

    def _class_methods(self, klass: cst.ClassDef, depth: int = 0) -> Iterator[cst.FunctionDef]:
        """Methods of ``klass`` and of the module's classes it derives from."""
        body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
        yield from (s for s in body if isinstance(s, cst.FunctionDef))
        for base in klass.bases:
            parent = (
                self.model.class_bound_to(base.value) if isinstance(base.value, cst.Name) else None
            )
            if parent is not None and depth < _RESOLUTION_DEPTH:
                yield from self._class_methods(parent, depth + 1)

    def _started_elsewhere(self) -> Iterator[EntryPoint]:
        """Functions of this module that other modules of the project start on threads, and
        the ``run`` of its thread classes they construct several times (the project pass
        says which, how often and from where)."""
        for name, repeated, starter in self.model.project.threads.started:
            defined = self.model.definition_bound_to(name, self.model.module)
            function: cst.CSTNode | None
            if isinstance(defined, cst.ClassDef) and defined in self.spawner_classes:
                base, _ = self.spawner_classes[defined]
                function = self._entry_method(defined, base.method)
                kind = base.kind
            else:
                function, kind = defined, "thread"
            if isinstance(function, cst.FunctionDef) and function.asynchronous is None:
                yield EntryPoint(function, kind, None, repeated or None, started_in=starter)

    def _site_entries(self) -> list[EntryPoint]:
        entries = []
        for site in self.sites:
            function = site.target.function if site.target is not None else None
            if function is None:
                continue
            # a timer the function sets for its own next run starts it after this one
            same = [
                s
                for s in self.sites
                if s.target is not None
                and s.target.function is function
                and not self._reschedules(s)
            ]
            repeated, shared = (
                (None, False) if self._reschedules(site) else self._site_repetition(site, same)
            )
            entries.append(EntryPoint(function, site.kind, site, repeated, shared))
            entries.extend(
                EntryPoint(stored, site.kind, site, repeated)
                for stored in self._stored_callables(site)
            )
        return entries

    def _reschedules(self, site: SpawnSite) -> bool:
        """True for a site inside its own target (``Timer(delay, self._poll)`` in
        ``_poll``): the next run starts as this one ends."""
        target = site.target
        return target is not None and self.model.enclosing_function(site.call) is target.function

    def _stored_callables(self, site: SpawnSite) -> Iterator[FunctionNode]:
        """Functions handed to a ``Thread`` subclass's constructor, stored on the object by
        its ``__init__`` and called by its ``run`` (``Worker(job)`` with ``self.job = job``
        and ``self.job()``): they run on the new thread too."""
        target = site.target
        run = target.function if target is not None else None
        if (
            not isinstance(run, cst.FunctionDef)
            or (klass := self.model.enclosing_class(run)) is None
            or not isinstance(site.call.func, cst.Name)
            or self.model.class_bound_to(site.call.func) is None
        ):
            return
        init = self.model.method_of(klass, "__init__")
        self_name = self.model.self_name(run)
        if init is None or self_name is None:
            return
        called = {
            call.func.attr.value
            for call in self.model.calls_in(run)
            if isinstance(call.func, cst.Attribute)
            and isinstance(call.func.value, cst.Name)
            and call.func.value.value == self_name
        }
        parameters = [p.name.value for p in init.params.params][1:]
        for attr, value in self.model.instance_attributes(init):
            if attr not in called or not isinstance(value, cst.Name):
                continue
            if value.value not in parameters:
                continue
            slot = ArgumentSlot(parameters.index(value.value), value.value)
            arg = slot.find(site.call)
            function = self.resolve_callable(arg.value).function if arg is not None else None
            if function is not None and function is not run:
                yield function

    def _site_repetition(self, site: SpawnSite, same: list[SpawnSite]) -> tuple[str | None, bool]:
        receiver = self._bound_receiver(site)
        if site.spawner.repeats is not None:
            return site.spawner.repeats, receiver is not None
        loop = self.enclosing_loop(site.call)
        if loop is not None and not self.waited_in_loop(site, loop):
            shared = receiver is not None and not self._bound_inside(receiver, loop)
            return "started in a loop", shared
        if len(same) > 1 and not self._exclusive(same):
            receivers = [self._bound_receiver(s) for s in same]
            shared = all(r is not None and self._is_self(r) for r in receivers)
            return f"started at {len(same)} sites", shared
        return None, False

    def waited_in_loop(self, site: SpawnSite, loop: cst.CSTNode) -> bool:
        """True when each iteration waits for what it started before the next one: the
        thread or future is joined (``t.join()``, ``future.result()``) inside the loop."""
        waits = frozenset({"join", "result"})
        parent = self.model.parent(site.call)
        if isinstance(parent, cst.Attribute) and parent.attr.value in waits:
            return True
        handle = self._handle(site)
        if handle is None:
            return False
        loops = {loop}
        return any(
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value in waits
            and isinstance(call.func.value, cst.Name)
            and call.func.value.value == handle
            and not loops.isdisjoint(self.model.ancestors(call))
            for call in self.model.analysis(ModuleIndex).calls
        )

    def _handle(self, site: SpawnSite) -> str | None:
        """The name the thread or future of a spawn site is assigned to (``t = Thread(...)``)."""
        target = self.model.parent(site.call)
        if isinstance(target, cst.Assign) and len(target.targets) == 1:
            name = target.targets[0].target
            if isinstance(name, cst.Name):
                return name.value
        return None

    def _exclusive(self, sites: list[SpawnSite]) -> bool:
        """True when at most one of the sites can run: each pair sits in different branches
        of one ``if`` (``if a: Thread(target=f) else: Thread(target=f)``)."""
        return all(
            self._in_other_branches(first.call, second.call)
            for index, first in enumerate(sites)
            for second in sites[index + 1 :]
        )

    def _in_other_branches(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        branches = self._branches(second)
        return any(
            statement in branches and branches[statement] is not branch
            for statement, branch in self._branches(first).items()
        )

    def _branches(self, node: cst.CSTNode) -> dict[cst.CSTNode, cst.CSTNode]:
        """For each enclosing ``if`` of the function: the branch holding ``node``."""
        found: dict[cst.CSTNode, cst.CSTNode] = {}
        child = node
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                break
            if isinstance(ancestor, cst.If) and child is not ancestor.test:
                found[ancestor] = child
            child = ancestor
        return found

    def _bound_receiver(self, site: SpawnSite) -> cst.Name | None:
        """``obj`` when the target is the bound method ``obj.method`` of a resolved method."""
        target = site.target
        if target is None or target.kind is not CallableKind.METHOD:
            return None
        expression = target.expression
        if target.through_partial and isinstance(expression, cst.Call) and expression.args:
            expression = expression.args[0].value
        if isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Name):
            return expression.value
        return None

    def _is_self(self, name: cst.Name) -> bool:
        function = self.model.enclosing_function(name)
        return isinstance(function, cst.FunctionDef) and name.value == self.model.self_name(
            function
        )

    def _bound_inside(self, name: cst.Name, loop: cst.CSTNode) -> bool:
        """True when some binding of ``name`` is inside ``loop`` (a new object per iteration)."""
        scope = self.model.scope(name)
        if scope is None:
            return True
        for assignment in scope[name.value]:
            node = getattr(assignment, "node", None)
            if node is None or node is loop or loop in set(self.model.ancestors(node)):
                return True
        return False

    def enclosing_loop(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The innermost loop or comprehension of the same function that repeats ``node``
        (a ``for``'s iterable, and a comprehension's first iterable, are evaluated once)."""
        path: list[cst.CSTNode] = [node]
        for ancestor in self.model.ancestors(node):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                return None
            child = path[-1]
            if isinstance(ancestor, cst.For):
                if child is not ancestor.iter and child is not ancestor.target:
                    return ancestor
            elif isinstance(ancestor, cst.While):
                return ancestor
            elif isinstance(ancestor, _LOOPS):
                first = getattr(ancestor, "for_in", None)
                once = child is first and len(path) > 1 and path[-2] is getattr(first, "iter", None)
                if not once:
                    return ancestor
            path.append(ancestor)
        return None

    def resolve_callable(self, expression: cst.BaseExpression, depth: int = 0) -> CallableTarget:
        """Resolve a callable expression through names, ``self.method``, ``partial`` and
        lambdas; names bound more than once resolve to UNKNOWN (precision first)."""
        model = self.model
        if isinstance(expression, cst.Lambda):
            return CallableTarget(expression, CallableKind.LAMBDA, expression)
        if isinstance(expression, cst.Call):
            if model.qualified_names(expression.func) & PARTIAL and expression.args and depth < 4:
                inner = self.resolve_callable(expression.args[0].value, depth + 1)
                return CallableTarget(
                    expression, inner.kind, inner.function, True, tuple(expression.args[1:]),
                    inner.imported,
                )
            return CallableTarget(expression, CallableKind.CALL_RESULT)
        if isinstance(expression, (cst.Name, cst.Attribute)):
            function = model.resolve_callee(expression) or model.resolve_instance_method(expression)
            if function is not None:
                return CallableTarget(expression, self._function_kind(function), function)
            if isinstance(expression, cst.Name) and depth < 4:
                value = model.single_assigned_value(expression)
                if value is not None:
                    resolved = self.resolve_callable(value, depth + 1)
                    return CallableTarget(
                        expression, resolved.kind, resolved.function,
                        resolved.through_partial, resolved.partial_arguments, resolved.imported,
                    )
            return self._imported_callable(expression)
        return CallableTarget(expression, CallableKind.UNKNOWN)

    def _imported_callable(self, expression: cst.Name | cst.Attribute) -> CallableTarget:
        """A name imported from another module of the project, where the project pass found
        it bound to a lambda or a nested function (``work = lambda x: ...``)."""
        project = self.model.project
        names = self.model.qualified_names(expression)
        found = project.lookup(project.processes.unpicklable_callables, names)
        if found is None:
            return CallableTarget(expression, CallableKind.UNKNOWN)
        kind, what = found
        return CallableTarget(expression, CallableKind(kind), imported=what)

    def _function_kind(self, function: cst.FunctionDef) -> CallableKind:
        klass = self.model.enclosing_class(function)
        if klass is not None:
            if self.model.enclosing_function(klass) is not None:
                return CallableKind.LOCAL_CLASS_METHOD
            return CallableKind.METHOD
        if self.model.enclosing_function(function) is not None:
            return CallableKind.NESTED
        return CallableKind.FUNCTION

    def lambda_callee(self, function: cst.Lambda) -> cst.FunctionDef | None:
        """The function a ``lambda: work(...)`` calls, so its body is what runs."""
        body = function.body
        if isinstance(body, cst.Call):
            return self.model.resolve_function(body)
        return None
