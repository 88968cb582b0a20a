"""What one module offers the others, read with Python's own ``ast`` parser.

Every linted file gets a summary, whatever the screens decide: a module without a single
concurrency keyword can still hold the blocking helper that a coroutine elsewhere calls.
The C parser costs a small fraction of libcst, and the summary depends only on the file's
text and module name, so it is cached like a result.

A summary lists the module's imports (local name -> absolute dotted name) and, for each
plain function and method, the calls its own body makes, as absolute dotted names
(``pkg.storage._write``, ``builtins.open``). Whether any of them blocks is decided later,
for the whole project at once (``concurlint.project``). Names the summary cannot pin down
(a local variable, a name bound twice, an attribute of an unknown value) are left out:
precision first.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from concurlint import loop_branches, summary_arguments
from concurlint.guards import UNKNOWN, Guard, Passed, Signature, dead_branches, literal_value

if TYPE_CHECKING:
    from concurlint.summary_classes import ClassSummary
    from concurlint.summary_processes import ProcessSummary
    from concurlint.summary_threads import ThreadSummary

_BUILTINS = frozenset(dir(builtins))
PARTIAL_FUNCTION = "functools.partial"  # a callable whose call runs another one
# Decorators that return the function itself (or call it as written): calling the result
# still runs the body.
_TRANSPARENT_DECORATORS = frozenset({
    "staticmethod", "classmethod", "functools.cache", "functools.lru_cache",
    "functools.wraps", "typing.overload", "typing.final", "abc.abstractmethod",
})
_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# Builtins that ask what an argument is: a branch they select depends on the caller.
INSPECTIONS = frozenset({"isinstance", "issubclass", "callable", "hasattr"})


@dataclass(frozen=True)
class CallSite:
    """A call made by a function's own body: what it names and the argument text that
    decides a ``nonblocking`` form of the catalog (positional values, then keywords). Each
    argument is the text of its ``|`` operands (``("socket.AI_NUMERICHOST",
    "socket.AI_NUMERICSERV")``), one text when it combines no flags."""

    target: str
    positional: tuple[tuple[str, ...], ...] = ()
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the literals it passes, whether it calls a method of ``self`` (which passes ``self``),
    # and the conditions on the caller's own parameters it runs under
    passed: Passed = field(default_factory=Passed)
    via_self: bool = False
    guards: tuple[Guard, ...] = ()
    # the helpers a branch it runs in asks about: it runs only when none says a loop runs
    # (``concurlint.loop_branches``; the project knows which helpers give the running loop)
    no_loop: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionSummary:
    """A ``def`` at module level or in a class at module level."""

    qualname: str  # "save" or "Store.save"
    coroutine: bool  # an ``async def`` that is no async generator
    plain: bool  # calling it runs its body now: not async, not a generator, transparent decorators
    calls: tuple[CallSite, ...]
    # how a call binds literal arguments, when some call depends on a parameter's value
    signature: Signature | None = None
    running_loop: bool = False  # gives the running event loop, or None without one


@dataclass(frozen=True)
class ModuleSummary:
    """Picklable facts of one module, in source order."""

    module: str
    is_package: bool
    imports: tuple[tuple[str, str], ...]  # local name -> absolute dotted name
    functions: tuple[FunctionSummary, ...]
    uses: tuple[str, ...]  # absolute dotted names the module names through its imports
    processes: ProcessSummary | None = None  # see concurlint.summary_processes
    threads: ThreadSummary | None = None  # thread starts and locks (concurlint.summary_threads)
    classes: tuple[ClassSummary, ...] = ()  # module-level classes (concurlint.summary_classes)
    handed: tuple[str, ...] = ()  # names passed to calls at import time (classes patched?)
    # functions that may fail in a way worth seeing, or call one that may (summary_errors)
    failures: tuple[tuple[str, bool, tuple[str, ...]], ...] = ()
    # module-level functions -> the one type their return annotation names (summary_classes)
    returns: tuple[tuple[str, str], ...] = ()


def summarize(
    tree: ast.Module, module: str, is_package: bool, blocking: frozenset[str] = frozenset()
) -> ModuleSummary:
    """The summary of a parsed module named ``module``. ``blocking`` (the catalog's blocking
    names) keeps it small: a call of another builtin cannot block, and only a call that may
    name a catalog entry keeps the argument text its ``nonblocking`` forms look at."""
    package = module if is_package else module.rpartition(".")[0]
    imports = dict(module_imports(tree, package))
    bound = binding_counts(tree.body)
    resolver = Resolver(module, imports, bound, blocking,
                         frozenset(name.rpartition(".")[2] for name in blocking),
                         _flags(tree.body, bound), module_constants(tree, bound))
    usable = {name: target for name, target in imports.items() if bound.get(name, 0) == 1}
    functions: list[FunctionSummary] = []
    used: set[str] = set()
    for qualname, function, klass in summarized_functions(tree):
        own = list(own_nodes(function))
        functions.append(_function(function, own, qualname, resolver, klass))
        used.update(_uses(own, usable))
        for nested in own:
            if isinstance(nested, _NESTED_SCOPES):  # closures use names too
                used.update(_uses(ast.walk(nested), usable))
    used.update(_uses(_module_nodes(tree), usable))
    return ModuleSummary(
        module, is_package, tuple(sorted(usable.items())), tuple(functions), tuple(sorted(used))
    )


_Function = ast.FunctionDef | ast.AsyncFunctionDef


def summarized_functions(tree: ast.Module) -> Iterator[tuple[str, _Function, str | None]]:
    """Functions of the module and methods of its classes, with their qualified name."""
    for statement in tree.body:
        if isinstance(statement, _Function):
            yield statement.name, statement, None
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, _Function):
                    yield f"{statement.name}.{member.name}", member, statement.name


def _module_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Nodes outside the summarized functions' bodies (those are walked once, with them)."""
    summarized = {id(function.body) for _, function, _ in summarized_functions(tree)}
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                if id(value) not in summarized:
                    pending.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                pending.append(value)


def _uses(nodes: Iterable[ast.AST], imports: dict[str, str]) -> Iterator[str]:
    """Every dotted name (``storage.save``, ``save``) whose head is a module-level import,
    as an absolute name: what the file can ask the project about."""
    for node in nodes:
        if isinstance(node, ast.Attribute | ast.Name):
            parts: list[str] = []
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id in imports:
                yield ".".join([imports[node.id], *reversed(parts)])


def absolute(module: str | None, level: int, package: str) -> str | None:
    """``from ..x import y`` seen from ``package``: the absolute name of ``..x``."""
    if not level:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or (level - 1 == len(parts) and not module):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([module] if module else [])]) or None


def module_imports(tree: ast.Module, package: str) -> Iterator[tuple[str, str]]:
    for statement in module_level(tree.body):
        yield from imported_names(statement, package)


def imported_names(node: ast.AST, package: str) -> Iterator[tuple[str, str]]:
    """Local name -> absolute dotted name, for each name an import statement binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                root = alias.name.partition(".")[0]
                yield root, root
    elif isinstance(node, ast.ImportFrom):
        source = absolute(node.module, node.level, package)
        if source is None:
            return
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{source}.{alias.name}"


def dotted_parts(node: ast.expr) -> tuple[str, list[str]] | None:
    """``a.b.c`` as ``("a", ["b", "c"])``; None when it is not headed by a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    return (node.id, parts) if isinstance(node, ast.Name) else None


def single_assignment(statement: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """The target and value of ``x = value`` or ``x: T = value`` with one target."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        return statement.targets[0], statement.value
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        return statement.target, statement.value
    return None


def module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import time: the body and its ``if``/``try`` blocks."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If):
            yield from module_level(statement.body)
            yield from module_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody,
                          *(handler.body for handler in statement.handlers)):
                yield from module_level(block)


def binding_counts(body: list[ast.stmt]) -> dict[str, int]:
    """How many statements bind each module-level name; only a name bound once resolves."""
    counts: dict[str, int] = {}
    for statement in module_level(body):
        for name in _bound_by(statement):
            counts[name] = counts.get(name, 0) + 1
    return counts


def _bound_by(statement: ast.stmt) -> Iterator[str]:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield statement.name
    elif isinstance(statement, ast.Import | ast.ImportFrom):
        for alias in statement.names:
            yield alias.asname or alias.name.partition(".")[0]
    elif not isinstance(statement, ast.If | ast.Try):
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                yield node.id
            elif isinstance(node, ast.Global | ast.Nonlocal):
                yield from node.names


@dataclass(frozen=True)
class Resolver:
    module: str
    imports: dict[str, str]
    bound: dict[str, int]
    blocking: frozenset[str]
    blocking_leaves: frozenset[str]  # last parts of the blocking names
    flags: frozenset[str]  # module-level names assigned once: configuration flags
    # module-level names bound once to a literal and never rebound (``module_constants``)
    constants: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of_names(cls, tree: ast.Module, module: str, package: str) -> Resolver:
        """A resolver of ``tree``'s names alone (read as ``module``, relative imports from
        ``package``), for readings that need no blocking names, flags or constants."""
        return cls(module, dict(module_imports(tree, package)), binding_counts(tree.body),
                   frozenset(), frozenset(), frozenset())

    def target(self, func: ast.expr, local: frozenset[str], klass: str | None,
               self_name: str | None) -> str | None:
        """The absolute dotted name a call of ``func`` runs, when the names pin it down."""
        dotted = dotted_parts(func)
        if dotted is None:
            return None
        head, parts = dotted
        if head == self_name and klass is not None and len(parts) == 1:
            return f"{self.module}.{klass}.{parts[0]}"
        if head in local:
            return None
        count = self.bound.get(head, 0)
        if count == 1 and head in self.imports:
            return ".".join([self.imports[head], *parts])
        if count == 1:
            return ".".join([self.module, head, *parts])
        if count == 0 and head in _BUILTINS:
            return ".".join(["builtins", head, *parts])
        return None


def _function(node: _Function, own: list[ast.AST], qualname: str,
              resolver: Resolver, klass: str | None) -> FunctionSummary:
    generator = any(isinstance(child, ast.Yield | ast.YieldFrom) for child in own)
    transparent = all(_decorator_name(decorator, resolver) in _TRANSPARENT_DECORATORS
                      for decorator in node.decorator_list)
    is_async = isinstance(node, ast.AsyncFunctionDef)
    local = local_names(node, own)
    self_name = self_name_of(node, resolver) if klass is not None else None
    calls: dict[CallSite, None] = {}  # in source order, each once
    configured = (
        _under_flags(own, resolver.flags - local)
        | _under_parameter_tests(own, _parameters(node) - {self_name})
        | _after_cache_guard(own, local)
        | _in_dead_branches(own, lambda name: UNKNOWN if name in local
                            else resolver.constants.get(name, UNKNOWN))
    )
    static = any(_decorator_name(d, resolver) == "staticmethod" for d in node.decorator_list)
    parameters = summary_arguments.signature(node, own, klass is not None and not static)
    conditions = summary_arguments.call_guards(node, frozenset(parameters.kept))

    def resolve(func: ast.expr) -> str | None:
        return resolver.target(func, local, klass, self_name)

    no_loop = loop_branches.no_loop_calls(node, resolve)
    for child in sorted((n for n in own if isinstance(n, ast.Call) and id(n) not in configured),
                        key=lambda call: (call.lineno, call.col_offset)):
        target = resolver.target(child.func, local, klass, self_name)
        if target is None or (target.startswith("builtins.") and target not in resolver.blocking):
            continue
        site = (
            _site(target, child)
            if target.rpartition(".")[2] in resolver.blocking_leaves
            else CallSite(target)
        )
        calls[replace(
            site,
            passed=summary_arguments.passed(child),
            via_self=self_name is not None and isinstance(child.func, ast.Attribute)
            and isinstance(child.func.value, ast.Name) and child.func.value.id == self_name,
            guards=conditions.get(id(child), ()),
            no_loop=no_loop.get(id(child), ()),
        )] = None
    return FunctionSummary(
        qualname,
        coroutine=is_async and not generator and transparent,
        plain=not is_async and not generator and transparent,
        calls=tuple(calls),
        signature=summary_arguments.narrowed(parameters, conditions) if conditions else None,
        running_loop=loop_branches.returns_running_loop(node, resolve),
    )


def _flags(body: list[ast.stmt], bound: dict[str, int]) -> frozenset[str]:
    """Module-level names bound once, by an assignment (``is_jython = ...``,
    ``_mswindows = ...``): code under ``if`` such a name runs only in some configurations."""
    return frozenset(
        name
        for statement in module_level(body)
        if isinstance(statement, ast.Assign | ast.AnnAssign)
        for name in _bound_by(statement)
        if bound.get(name, 0) == 1
    )


def module_constants(tree: ast.Module, bound: dict[str, int]) -> dict[str, object]:
    """Module-level names bound once, by an assignment of a literal (``DEBUG = False``), that
    no function rebinds through ``global``: tests of them are constant."""
    rebound = {name for node in ast.walk(tree) if isinstance(node, ast.Global)
               for name in node.names}
    found: dict[str, object] = {}
    for statement in module_level(tree.body):
        targets: list[ast.expr]
        assigned: ast.expr | None
        if isinstance(statement, ast.Assign):
            targets, assigned = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign):
            targets, assigned = [statement.target], statement.value
        else:
            continue
        if (
            len(targets) == 1
            and isinstance(target := targets[0], ast.Name)
            and bound.get(target.id, 0) == 1
            and target.id not in rebound
            and (value := literal_value(assigned)) is not UNKNOWN
        ):
            found[target.id] = value
    return found


def _in_dead_branches(own: list[ast.AST], constants: Callable[[str], object]) -> set[int]:
    """Ids of the nodes in a branch that never runs (``if False:``, the ``else`` of ``if
    True:``, ``if TYPE_CHECKING:``, a test of a module constant, ``while False:``, a ``for``
    over an empty range): see ``concurlint.guards``."""
    inside: set[int] = set()
    for node in own:
        if isinstance(node, ast.If | ast.IfExp | ast.While | ast.For | ast.AsyncFor):
            for branch in dead_branches(node, constants):
                inside.update(id(child) for child in ast.walk(branch))
    return inside


def _under_flags(own: list[ast.AST], flags: frozenset[str]) -> set[int]:
    """Ids of the nodes under an ``if`` (or its ``else``) that tests only a configuration
    flag: a helper whose blocking call runs on another platform (``if is_jython:
    time.sleep(0.1)``) is not taken to block; a miss rather than a false report."""
    return _in_branches(own, (ast.If,), lambda test: _flag_test(test) in flags)


def _parameters(function: _Function) -> set[str]:
    arguments = function.args
    return {
        arg.arg
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                    arguments.vararg, arguments.kwarg)
        if arg is not None
    }


def _under_parameter_tests(own: list[ast.AST], parameters: set[str]) -> set[int]:
    """Ids of the nodes in a branch that an argument's value or type selects: under an ``if``
    or a conditional expression whose test compares a parameter with a constant (``mode ==
    "file"``) or asks about it (``isinstance(path, str)``, ``name.startswith("oidc/")``).
    Whether such a call runs depends on what each caller passes (``get_secret(name)`` reads a
    token file only for ``oidc/`` names), which a fact about the function cannot carry: the
    call is left out of the summary, a miss rather than a false report. A plain truth test
    (``if timeout:``) does not count: callers pass such values to have them used."""
    return _in_branches(
        own, (ast.If, ast.IfExp), lambda test: _selects_by_argument(test, parameters)
    )


def _in_branches(
    own: list[ast.AST],
    kinds: tuple[type[ast.If | ast.IfExp], ...],
    selects: Callable[[ast.expr], bool],
) -> set[int]:
    """Ids of the nodes in either branch of an ``if``-like node of ``kinds`` whose test
    ``selects`` says is one to leave out."""
    inside: set[int] = set()
    for node in own:
        if isinstance(node, kinds) and selects(node.test):
            branches = [node.body, node.orelse] if isinstance(node, ast.IfExp) else [
                *node.body, *node.orelse
            ]
            for branch in branches:
                inside.update(id(child) for child in ast.walk(branch))
    return inside


def _selects_by_argument(test: ast.expr, parameters: set[str]) -> bool:
    def is_parameter(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Name) and node.id in parameters

    for node in ast.walk(test):
        if isinstance(node, ast.Call):
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            inspects = isinstance(node.func, ast.Name) and node.func.id in INSPECTIONS
            if is_parameter(receiver) or (inspects and any(map(is_parameter, node.args))):
                return True
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(map(is_parameter, sides)) and any(
                isinstance(side, ast.Constant | ast.Tuple | ast.List | ast.Set)
                and not (isinstance(side, ast.Constant) and side.value is None)
                for side in sides
            ):
                return True
    return False


def _after_cache_guard(own: list[ast.AST], local: frozenset[str]) -> set[int]:
    """Ids of the nodes after an ``if`` that returns when a module-level cache the function
    fills is set (``global _config``, ``if _config: return _config``, then ``_config = ...``;
    or ``if key in _cache: return ...``, then ``_cache[key] = ...``), and the nodes of an
    ``if`` testing such a cache whose body fills it (``if _mappings is None: _mappings =
    discover()``): they run on the first call only (a lazy initializer, usually warmed at
    start-up), not on each call. Any such guard counts, wherever it stands: a miss rather
    than a false report."""
    caches = {
        name
        for node in own
        if isinstance(node, ast.Global)
        for name in node.names
    } & {
        node.id for node in own if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    caches.update(
        node.value.id
        for node in own
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name) and node.value.id not in local
    )
    copies = {  # ``options = _options`` read before the test
        target.id
        for node in own
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
        and node.value.id in caches
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    tests_cache = [
        node for node in own
        if isinstance(node, ast.If) and any(
            isinstance(name, ast.Name) and name.id in caches | copies
            for name in ast.walk(node.test))
    ]
    # ``if _mappings is None: _mappings = discover()``: the body fills the cache, once.
    filled = {
        id(child)
        for node in tests_cache
        if any(_stores(child, caches) for statement in node.body for child in ast.walk(statement))
        for statement in node.body
        for child in ast.walk(statement)
    }
    guards = [
        node.end_lineno or node.lineno
        for node in tests_cache
        if node.body and isinstance(node.body[-1], ast.Return)
    ]
    if not guards:
        return filled
    first = min(guards)
    return filled | {id(node) for node in own if getattr(node, "lineno", 0) > first}


def _stores(node: ast.AST, caches: set[str]) -> bool:
    """``cache = ...`` or ``cache[key] = ...``."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
        return isinstance(node.value, ast.Name) and node.value.id in caches
    return isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in caches


def _flag_test(test: ast.expr) -> str | None:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    return test.id if isinstance(test, ast.Name) else None


def _site(target: str, call: ast.Call) -> CallSite:
    positional = tuple(_flag_texts(arg) for arg in call.args if not isinstance(arg, ast.Starred))
    keywords = tuple((kw.arg, _flag_texts(kw.value)) for kw in call.keywords if kw.arg)
    return CallSite(target, positional, keywords)


def _flag_texts(value: ast.expr) -> tuple[str, ...]:
    """The texts of the operands of ``a | b | c`` (flags combined), or of ``value`` alone."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
        return _flag_texts(value.left) + _flag_texts(value.right)
    return (constant_text(value),)


def constant_text(value: ast.expr) -> str:
    """The source of a constant or dotted name (what ``nonblocking`` forms are made of);
    ``""`` for anything else, which no form matches."""
    if isinstance(value, ast.Constant):
        return repr(value.value)
    parts: list[str] = []
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    return ".".join([value.id, *reversed(parts)]) if isinstance(value, ast.Name) else ""


def _decorator_name(decorator: ast.expr, resolver: Resolver) -> str | None:
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    target = resolver.target(func, frozenset(), None, None)
    if target is not None and target.startswith("builtins."):
        return target.removeprefix("builtins.")
    return target


def self_name_of(node: ast.FunctionDef | ast.AsyncFunctionDef, resolver: Resolver) -> str | None:
    """The instance parameter of a method (none for static and class methods)."""
    kinds = {_decorator_name(decorator, resolver) for decorator in node.decorator_list}
    if kinds & {"staticmethod", "classmethod"}:
        return None
    positional = [*node.args.posonlyargs, *node.args.args]
    return positional[0].arg if positional else None


def own_nodes(function: _Function) -> Iterator[ast.AST]:
    """The nodes of the function's own body, not of nested functions, classes or lambdas."""
    return scope_nodes(function.body)


def scope_nodes(statements: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of ``statements`` in their own scope: a nested function, class or lambda is
    yielded (its name is bound here) but not entered (its body is another scope)."""
    pending: list[ast.AST] = list(statements)
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, _NESTED_SCOPES):
            continue
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                pending.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                pending.append(value)


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef,
            own: list[ast.AST]) -> frozenset[str]:
    """Names the function binds itself: parameters, assignments, nested defs, imports."""
    names = _parameters(function)
    for node in own:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.Global):
            names.difference_update(node.names)
    return frozenset(names)
