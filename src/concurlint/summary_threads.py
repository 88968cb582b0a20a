"""The thread facts of one module that other modules need, read with Python's ``ast``.

Three kinds of facts cross module boundaries for the thread rules:

- **thread starts**: a module hands a function of another module to a thread spawner of the
  catalog (``Thread(target=workers.count)``, ``pool.map(workers.count, items)``), or starts
  several objects made by another module's name (``Crawler().start()`` in a loop). The
  function's own module is where its racy updates are, so the project pass hands the fact
  to that module (the reverse of the blocking facts, which go to the importer);
- **thread classes**: the module's classes deriving from a thread ``[[spawner-base]]``, so
  that the project knows which started objects are threads;
- **module-level locks**: a name bound once, at module level, to a lock type of the catalog
  (``LOCK = threading.Lock()``). A module that imports it holds a lock in ``with LOCK:``.

Names are read exactly as ``concurlint.summary`` reads them (its resolver and scope helpers
are reused), and only what they pin down is recorded: a target that is a module-level
import of the module, a spawner named through the imports or a receiver constructed in
plain sight. How often a thread is started follows the per-file model
(``SpawnAnalysis._site_repetition``): the spawner's own ``repeats`` (``map``: once per
item), started in a loop without waiting for it in that loop, or started at several sites
that are not exclusive branches of one ``if``.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from concurlint.frameworks import (
    Framework,
    FrameworkEntry,
    framework_entries,
    frameworks,
    per_request,
    screen_words,
)
from concurlint.model.catalog import Catalog
from concurlint.model.spawners import Spawner
from concurlint.summary import (
    PARTIAL_FUNCTION,
    ModuleSummary,
    Resolver,
    binding_counts,
    local_names,
    module_level,
    scope_nodes,
)

_START = "start"
_START_CALL = re.compile(r"\.\s*start\b")
_WAITS = frozenset({"join", "result"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class ThreadStart:
    """A callable named ``target`` (absolute) handed to a thread spawner of this module, or
    a name of another module called to make objects that are started (``.start()``) several
    times (a ``Thread`` subclass, if the project finds it is one); ``repeated`` says why it
    may run on several threads at once ("" when started once)."""

    target: str
    repeated: str = ""
    constructed: bool = False  # called to make the started objects, not handed to a spawner
    framework: str = ""  # the framework that runs it for each request (a view), if any


@dataclass(frozen=True)
class ThreadSummary:
    """The thread facts of one module, in source order."""

    starts: tuple[ThreadStart, ...] = ()
    locks: tuple[tuple[str, str], ...] = ()  # module-level name -> lock type (canonical)
    classes: tuple[str, ...] = ()  # module-level subclasses of a thread ``[[spawner-base]]``
    entries: tuple[FrameworkEntry, ...] = ()  # its views that a framework runs on threads
    # module-level name bound to a lock type itself (``Lock = threading.RLock``) -> the type
    # its calls make
    lock_classes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ThreadCatalog:
    """The part of the catalog a thread summary needs: small and picklable, sent to the
    processes that summarize."""

    spawners: tuple[Spawner, ...]
    lock_types: frozenset[str]
    returns: Mapping[str, str]
    names: Catalog  # folds names through the catalog's ``canonical-modules``
    roots: frozenset[str] | None  # top-level modules that can lead to a spawner (None: any)
    bases: frozenset[str]  # the thread ``[[spawner-base]]`` classes (``threading.Thread``)
    frameworks: tuple[Framework, ...] = ()  # frameworks that run views on threads
    _by_name: dict[str, Spawner] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._by_name.update(
            (name, spawner) for spawner in reversed(self.spawners) for name in spawner.names
        )

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> ThreadCatalog:
        spawners = tuple(
            Spawner.from_catalog(entry)
            for entry in catalog.section("spawner")
            if entry["kind"] == "thread"
        )
        return cls(
            spawners,
            frozenset(catalog.canonical(name) for name in catalog.names("lock-types")),
            dict(catalog.returns),
            Catalog({"canonical-modules": dict(catalog.canonical_modules)}),
            catalog.import_roots(name for spawner in spawners for name in spawner.names),
            frozenset(
                catalog.canonical(name)
                for entry in catalog.section("spawner-base")
                if entry["kind"] == "thread"
                for name in entry["names"]
            ),
            frameworks(catalog.section("framework")),
        )

    @cached_property
    def framework_words(self) -> frozenset[str]:
        """Words one of which a module's text holds when it can declare a view."""
        return screen_words(self.frameworks)

    def may_declare_views(self, text: str) -> bool:
        return any(word in text for word in self.framework_words)

    def may_spawn(self, imports: Iterable[str]) -> bool:
        """False when none of a module's imports can lead to a thread spawner: its calls
        need not be looked at (most modules of a project)."""
        return self.roots is None or any(name.partition(".")[0] in self.roots for name in imports)

    def spawner(self, name: str) -> Spawner | None:
        return self._by_name.get(self.names.canonical(name))

    def type_of(self, constructor: str) -> str:
        """The type a call of ``constructor`` returns: the catalog's ``returns`` entry, or
        the class itself."""
        name = self.names.canonical(constructor)
        return self.names.canonical(self.returns.get(name, name))


@dataclass(frozen=True)
class ThreadFacts:
    """What the other modules of the project say about one file's threads: its functions
    they start as thread targets, and the module-level locks of theirs that it names."""

    # function name, why it may run on several threads at once ("" if not), starting module
    started: tuple[tuple[str, str, str], ...] = ()
    # absolute name as the file imports it, where the lock is bound, its type
    locks: tuple[tuple[str, str, str], ...] = ()
    # absolute name as the file imports it, the lock type its calls make
    lock_classes: tuple[tuple[str, str], ...] = ()
    _locks: dict[str, tuple[str, str]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._locks.update((name, (bound, kind)) for name, bound, kind in self.locks)

    def __bool__(self) -> bool:
        return bool(self.started or self.locks or self.lock_classes)

    def lock(self, name: str) -> tuple[str, str] | None:
        """Where the lock imported as ``name`` (absolute) is bound, and its type."""
        return self._locks.get(name)

    def lock_class(self, name: str) -> str | None:
        """The lock type a call of the name imported as ``name`` (absolute) makes."""
        return dict(self.lock_classes).get(name)


NO_THREAD_FACTS = ThreadFacts()


def summarize_threads(tree: ast.Module, text: str, summary: ModuleSummary,
                      names: ThreadCatalog) -> ThreadSummary:
    """The thread starts of other modules' functions, and the module-level locks, of the
    module ``summary`` was made for (``tree`` parsed from ``text``)."""
    resolver = Resolver(summary.module, dict(summary.imports), binding_counts(tree.body),
                         frozenset(), frozenset(), frozenset())
    # A module that starts a thread names a spawner through its imports, or starts an
    # instance of a thread class with ``.start()``.
    may_spawn = names.may_spawn(target for _, target in summary.imports) or bool(
        _START_CALL.search(text)
    )
    starts = _Starts(resolver, names, tree).starts() if may_spawn else ()
    locks = tuple(_locks(tree, resolver, names))
    lock_classes = tuple(_lock_classes(tree, resolver, names))
    entries, views = (
        framework_entries(tree, resolver, names.frameworks)
        if names.may_declare_views(text)
        else ((), ())
    )
    starts += tuple(
        ThreadStart(view.target, per_request(view.framework), framework=view.framework)
        for view in views
        if not any(start.target == view.target for start in starts)
    )
    return ThreadSummary(
        starts, locks, tuple(_thread_classes(tree, resolver, names)), entries, lock_classes
    )


@dataclass(frozen=True)
class _Scope:
    """The nodes of one scope's own body (the module's, or a function's) and the names it
    binds itself (its enclosing functions' too); the rest is worked out when a call of the
    scope is looked at."""

    nodes: list[ast.AST]
    local: frozenset[str]

    @cached_property
    def parents(self) -> dict[int, ast.AST]:
        return {id(child): node for node in self.nodes for child in ast.iter_child_nodes(node)}

    @cached_property
    def values(self) -> dict[str, ast.expr]:
        """The value of each name bound exactly once, by ``name = value`` or
        ``with value as name``."""
        return _values(self.nodes)

    @cached_property
    def started(self) -> frozenset[str]:
        """Names whose value (``t.start()``) or every item (``for t in ts: t.start()``) is
        started."""
        return _started_names(self.nodes)

    @cached_property
    def started_calls(self) -> frozenset[int]:
        """Ids of the calls whose result is started at once (``X().start()``)."""
        return frozenset(
            id(node.value)
            for node in self.nodes
            if isinstance(node, ast.Attribute) and node.attr == _START
        )

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        parent = self.parents.get(id(node))
        while parent is not None:
            yield parent
            parent = self.parents.get(id(parent))


@dataclass(frozen=True)
class _Site:
    target: str
    call: ast.Call
    scope: _Scope
    spawner: Spawner | None  # None for a construction


class _Starts:
    """The thread spawn sites of one module whose target is another module's name."""

    def __init__(self, resolver: Resolver, names: ThreadCatalog, tree: ast.Module) -> None:
        self.resolver = resolver
        self.names = names
        self.scopes = list(_scopes(tree))
        module = self.scopes[0]
        self.module_values = {
            name: value for name, value in module.values.items() if resolver.bound.get(name) == 1
        }

    def starts(self) -> tuple[ThreadStart, ...]:
        by_target: dict[tuple[str, bool], list[_Site]] = {}
        for scope in self.scopes:
            for node in scope.nodes:
                site = self._site(node, scope) if isinstance(node, ast.Call) else None
                if site is not None:
                    key = (site.target, site.spawner is None)
                    by_target.setdefault(key, []).append(site)
        found = []
        for (target, constructed), same in by_target.items():
            reasons = [_repetition(site, same) for site in _in_order(same)]
            repeated = next((r for r in reasons if r), "")
            if repeated or not constructed:  # a single construction adds nothing
                found.append(ThreadStart(target, repeated, constructed))
        return tuple(sorted(found, key=lambda start: (start.target, start.constructed)))

    def _site(self, call: ast.Call, scope: _Scope) -> _Site | None:
        spawner = self._spawner(call, scope)
        if spawner is None:
            return self._construction(call, scope)
        if spawner.executor is not None and not _default_executor(
            spawner.executor.find_in_ast(call)
        ):
            return None
        target = spawner.target.find_in_ast(call)
        if isinstance(target, ast.Call) and target.args and not isinstance(
            target.args[0], ast.Starred
        ) and self._name(target.func, scope) == PARTIAL_FUNCTION:
            target = target.args[0]
        if (
            target is None
            or (name := self._name(target, scope)) is None
            or _head(target) not in self.resolver.imports
        ):
            return None  # unknown, or a name of this module: the per-file model sees it
        return _Site(name, call, scope, spawner)

    def _construction(self, call: ast.Call, scope: _Scope) -> _Site | None:
        """A call of another module's name whose result is started (``X().start()``, or
        through a name, a list built or appended to, and a loop over it): the project
        keeps those that construct a thread class."""
        name = self._name(call.func, scope)
        if name is None or _head(call.func) not in self.resolver.imports:
            return None
        return _Site(name, call, scope, None) if _started(call, scope) else None

    def _spawner(self, call: ast.Call, scope: _Scope) -> Spawner | None:
        """The thread spawner a call names: through the imports (``threading.Thread``), or
        as a method of a receiver built in plain sight (``ThreadPoolExecutor().map``)."""
        name = self._name(call.func, scope)
        found = self.names.spawner(name) if name is not None else None
        if found is None and isinstance(call.func, ast.Attribute):
            owner = self._type(call.func.value, scope)
            if owner is not None:
                found = self.names.spawner(f"{owner}.{call.func.attr}")
        return found

    def _type(self, receiver: ast.expr, scope: _Scope) -> str | None:
        """The type of a value built by a call, directly or through a name bound once."""
        if isinstance(receiver, ast.Name):
            values = scope.values if receiver.id in scope.local else self.module_values
            receiver = values.get(receiver.id, receiver)
        if isinstance(receiver, ast.Call):
            constructor = self._name(receiver.func, scope)
            return self.names.type_of(constructor) if constructor is not None else None
        return None

    def _name(self, expression: ast.expr, scope: _Scope) -> str | None:
        return self.resolver.target(expression, scope.local, None, None)


def _scopes(tree: ast.Module) -> Iterator[_Scope]:
    """The module's scope first, then every function's, nested ones and methods included."""
    pending: list[tuple[ast.Module | _Nested, frozenset[str]]] = [(tree, frozenset())]
    while pending:
        node, outer = pending.pop()
        own = list(scope_nodes(node.body))
        nested = [child for child in own if isinstance(child, _Nested)]
        if isinstance(node, ast.ClassDef):
            pending.extend((child, outer) for child in nested)
            continue
        local = outer | local_names(node, own) if not isinstance(node, ast.Module) else outer
        yield _Scope(own, local)
        pending.extend((child, local) for child in reversed(nested))


_Nested = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _values(nodes: list[ast.AST]) -> dict[str, ast.expr]:
    stores = Counter(
        node.id for node in nodes if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    )
    values: dict[str, ast.expr] = {}
    for node in nodes:
        target: ast.expr | None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.withitem):
            target, value = node.optional_vars, node.context_expr
        else:
            continue
        if isinstance(target, ast.Name) and stores[target.id] == 1:
            values[target.id] = value
    return values


def _in_order(sites: list[_Site]) -> list[_Site]:
    return sorted(sites, key=lambda site: (site.call.lineno, site.call.col_offset))


def _repetition(site: _Site, same: list[_Site]) -> str:
    """Why the site's target may run on several threads at once, "" when it may not."""
    if site.spawner is not None and site.spawner.repeats is not None:
        return site.spawner.repeats
    loop = _enclosing_loop(site.call, site.scope)
    if loop is not None and not _waited_in(loop, site):
        return "started in a loop"
    if len(same) > 1 and not _exclusive(same):
        return f"started at {len(same)} sites"
    return ""


def _enclosing_loop(node: ast.AST, scope: _Scope) -> ast.AST | None:
    """The innermost loop or comprehension of the scope that repeats ``node`` (a ``for``'s
    iterable and a comprehension's first iterable are evaluated once)."""
    path = [node]
    for ancestor in scope.ancestors(node):
        child = path[-1]
        if isinstance(ancestor, ast.For | ast.AsyncFor):
            if child is not ancestor.iter and child is not ancestor.target:
                return ancestor
        elif isinstance(ancestor, ast.While):
            return ancestor
        elif isinstance(ancestor, _COMPREHENSIONS):
            first = ancestor.generators[0]
            if not (child is first and len(path) > 1 and path[-2] is first.iter):
                return ancestor
        path.append(ancestor)
    return None


def _waited_in(loop: ast.AST, site: _Site) -> bool:
    """Each iteration waits for what it started: ``.join()``/``.result()`` on the call, or
    on the name it is assigned to, inside the loop."""
    parent = site.scope.parents.get(id(site.call))
    if isinstance(parent, ast.Attribute) and parent.attr in _WAITS:
        return True
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Name)):
        return False
    handle = parent.targets[0].id
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in _WAITS and isinstance(node.func.value, ast.Name)
        and node.func.value.id == handle
        for node in ast.walk(loop)
    )


def _started(call: ast.Call, scope: _Scope) -> bool:
    """The object ``call`` makes has ``.start()`` called on it in the scope."""
    if id(call) in scope.started_calls:
        return True
    return bool(scope.started) and _holder(call, scope) in scope.started


def _started_names(nodes: list[ast.AST]) -> frozenset[str]:
    started = {
        node.func.value.id
        for node in nodes
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == _START and isinstance(node.func.value, ast.Name)
    }
    return frozenset(started).union(
        node.iter.id
        for node in nodes
        if isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.iter, ast.Name)
        and isinstance(node.target, ast.Name) and node.target.id in started
    )


def _holder(call: ast.Call, scope: _Scope) -> str | None:
    """The name holding what ``call`` makes: ``t = X()``, ``ts = [X() for ...]`` or
    ``ts.append(X())``."""
    node: ast.AST = call
    parent = scope.parents.get(id(call))
    if isinstance(parent, _COMPREHENSIONS) and getattr(parent, "elt", None) is call:
        node, parent = parent, scope.parents.get(id(parent))
    if (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute)
            and parent.func.attr == "append" and isinstance(parent.func.value, ast.Name)
            and any(arg is node for arg in parent.args)):
        return parent.func.value.id
    if (isinstance(parent, ast.Assign) and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Name)):
        return parent.targets[0].id
    return None


def _exclusive(sites: list[_Site]) -> bool:
    """At most one of the sites runs: each pair sits in different branches of one ``if``."""
    branches = [_branches(site) for site in sites]
    return all(
        any(key in second and second[key] != branch for key, branch in first.items())
        for index, first in enumerate(branches)
        for second in branches[index + 1:]
    )


def _branches(site: _Site) -> dict[int, bool]:
    """For each enclosing ``if`` of the scope: whether the site is in its body (or else)."""
    found = {}
    child: ast.AST = site.call
    for ancestor in site.scope.ancestors(site.call):
        if isinstance(ancestor, ast.If) and child is not ancestor.test:
            found[id(ancestor)] = any(statement is child for statement in ancestor.body)
        child = ancestor
    return found


def _default_executor(executor: ast.expr | None) -> bool:
    """No executor, or ``None``: the spawner's own kind of executor runs the target."""
    return executor is None or (isinstance(executor, ast.Constant) and executor.value is None)


def _head(expression: ast.expr) -> str | None:
    while isinstance(expression, ast.Attribute):
        expression = expression.value
    return expression.id if isinstance(expression, ast.Name) else None


def _locks(
    tree: ast.Module, resolver: Resolver, names: ThreadCatalog
) -> Iterator[tuple[str, str]]:
    """Module-level names bound once, to a lock constructed by a catalog lock type."""
    for name, value in _bound_once(tree, resolver):
        if isinstance(value, ast.Call):
            kind = _lock_type(value.func, resolver, names)
            if kind is not None:
                yield name, kind


def _lock_classes(
    tree: ast.Module, resolver: Resolver, names: ThreadCatalog
) -> Iterator[tuple[str, str]]:
    """Module-level names bound once to a catalog lock type itself, a name for it that
    other modules call (``Lock = threading.RLock``), with the type those calls make."""
    for name, value in _bound_once(tree, resolver):
        if isinstance(value, ast.Name | ast.Attribute):
            kind = _lock_type(value, resolver, names)
            if kind is not None:
                yield name, kind


def _bound_once(tree: ast.Module, resolver: Resolver) -> Iterator[tuple[str, ast.expr]]:
    """Module-level names bound once, by an assignment, with the value assigned."""
    for statement in module_level(tree.body):
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
        elif isinstance(statement, ast.AnnAssign):
            target = statement.target
        else:
            continue
        value = statement.value
        if isinstance(target, ast.Name) and resolver.bound.get(target.id) == 1 and value:
            yield target.id, value


def _lock_type(constructor: ast.expr, resolver: Resolver, names: ThreadCatalog) -> str | None:
    """The catalog lock type a call of ``constructor`` makes, if it makes one."""
    name = resolver.target(constructor, frozenset(), None, None)
    kind = names.type_of(name) if name is not None else None
    return kind if kind in names.lock_types else None


def _thread_classes(
    tree: ast.Module, resolver: Resolver, names: ThreadCatalog
) -> Iterator[str]:
    """Module-level classes bound once that derive from a thread ``[[spawner-base]]``,
    directly or through a class listed before them."""
    found: set[str] = set()
    for statement in tree.body:
        if not isinstance(statement, ast.ClassDef) or resolver.bound.get(statement.name) != 1:
            continue
        for base in statement.bases:
            name = resolver.target(base, frozenset(), None, None)
            local = isinstance(base, ast.Name) and base.id in found
            if local or (name is not None and names.names.canonical(name) in names.bases):
                found.add(statement.name)
                yield statement.name
                break
