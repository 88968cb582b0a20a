"""Which functions can fail in a way worth seeing, read with Python's ``ast`` (CCL209).

A future dropped by the code that submitted the work loses the work's exception. Work that
only reads a clock, logs and updates counters under a lock cannot fail in practice, and a
proof that it never raises fails on such code all the same (a builtin may raise for some
argument), so a report needs positive evidence, as RacerD prefers a missed report to a
false one. Work may fail in a way worth seeing when, outside a ``try`` with a catch-all
handler (bare, ``Exception``, ``BaseException``) that does not ``raise``, its body has

- a ``raise`` statement (a re-raise, or a raise in a narrower handler, included);
- a call whose failure is a run-time event rather than a programming error: a call the
  blocking catalog of CCL201 names in a group that can fail (files, network, subprocesses,
  databases; not a sleep, a lock or an event), or ``.result()``, which re-raises the error
  of other work;
- a call of a callable received from outside with no known default: a parameter, an
  attribute of ``self`` bound to a parameter (``self._on_changed = on_changed``), an
  element of a collection (``handlers[kind]()``, ``for callback in callbacks:
  callback()``). A parameter with a default callable (``clock=time.monotonic``) is judged
  by that default;
- or a call of a project function that may fail in turn: the summary keeps the absolute
  names a body calls, and ``failing`` decides for the whole project at once.

Anything else is not evidence: builtins and the standard library outside the catalog
(``urlsplit``, ``min``, ``len``), methods of values of unknown type (a logger, a lock),
attribute reads, subscripts, arithmetic, ``match`` and ``assert_never``. Calling an ``async
def`` or a generator function runs nothing, so neither can fail as executor work.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from concurlint.summary import (
    Resolver,
    binding_counts,
    local_names,
    module_imports,
    scope_nodes,
    self_name_of,
    single_assignment,
    summarized_functions,
)

_CATCH_ALL = frozenset({"builtins.Exception", "builtins.BaseException"})
_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# what a future re-raises the work's error with (concurrent.futures, asyncio, dask alike)
_RESULT = "result"
_Function = ast.FunctionDef | ast.AsyncFunctionDef
# qualified name of a function, whether its own body may fail, names of the functions it calls
Failures = tuple[tuple[str, bool, tuple[str, ...]], ...]
# a call may fail here (True), or may fail when one of the named functions does
_Verdict = Literal[True] | frozenset[str]
_QUIET: frozenset[str] = frozenset()
# parameter name -> its default (None: none, so the caller supplies the value)
_Parameters = dict[str, ast.expr | None]


def summarize_failures(
    tree: ast.Module, module: str, is_package: bool, fails: frozenset[str],
    implicit: frozenset[str] = frozenset(),
) -> Failures:
    """The functions of ``tree`` (read as ``module``) that may fail, or call a function
    that may: module-level functions, methods of module-level classes and the functions
    nested in them (``outer.<locals>.inner``). ``fails`` names the catalog calls that can
    fail; ``implicit`` the fragment modules a linted snippet uses without importing them
    (the summaries of the project's modules never guess)."""
    package = module if is_package else module.rpartition(".")[0]
    bound = binding_counts(tree.body) | dict.fromkeys(implicit, 1)
    imports = dict(module_imports(tree, package)) | {name: name for name in implicit}
    resolver = Resolver(module, imports, bound, frozenset(), frozenset(), frozenset())
    classes = _Classes(tree, resolver)
    found = []
    for scope in _scopes(tree, resolver):
        if isinstance(scope.function, ast.AsyncFunctionDef) or any(
            isinstance(node, ast.Yield | ast.YieldFrom) for node in scope.own
        ):
            continue  # calling it runs nothing
        here, needs = _Judge(resolver, scope, classes, fails).verdict()
        if here or needs:
            found.append((scope.qualname, here, tuple(sorted(needs))))
    return tuple(found)


def failing(
    failures: Iterable[tuple[str, bool, Iterable[str]]],
    callee: Callable[[str], str | None],
    given: Iterable[str] = (),
) -> frozenset[str]:
    """The functions that may fail: those whose own body may, the names of ``given``, and
    the functions calling one of them (a called name resolved by ``callee``), to a fixed
    point. Recursion adds no evidence: a function calling itself fails only if its body
    does."""
    found = set(given)
    callers: dict[str, list[str]] = {}
    for name, here, needs in failures:
        if here:
            found.add(name)
        for need in needs:
            target = callee(need)
            if target is not None:
                callers.setdefault(target, []).append(name)
    pending = list(found)
    while pending:
        for caller in callers.get(pending.pop(), ()):
            if caller not in found:
                found.add(caller)
                pending.append(caller)
    return frozenset(found)


@dataclass(frozen=True)
class _Scope:
    """A function with what its body sees: its class and instance parameter, and the
    parameters and local names of the functions it is nested in."""

    qualname: str
    function: _Function
    # the nodes of its body in its own scope, each with whether a catch-all handler covers it
    walked: list[tuple[ast.AST, bool]]
    method: bool  # a method of the class, not a function nested in one
    klass: str | None
    self_name: str | None
    outer_parameters: _Parameters
    outer_local: frozenset[str]

    @cached_property
    def own(self) -> list[ast.AST]:
        return [node for node, _ in self.walked]


def _scopes(tree: ast.Module, resolver: Resolver) -> Iterator[_Scope]:
    for qualname, function, klass in summarized_functions(tree):
        self_name = self_name_of(function, resolver) if klass is not None else None
        pending: list[tuple[str, _Function, bool, str | None, _Parameters, frozenset[str]]]
        pending = [(qualname, function, klass is not None, self_name, {}, frozenset())]
        while pending:
            name, node, method, instance, outer, outer_local = pending.pop()
            walked = list(_walk(node.body, resolver))
            scope = _Scope(name, node, walked, method, klass, instance, outer, outer_local)
            own = scope.own
            yield scope
            inner = [child for child in own if isinstance(child, _Function)]
            if not inner:
                continue
            parameters = scope.outer_parameters | _parameters(scope.function, scope.method)
            local = scope.outer_local | local_names(scope.function, own)
            for child in inner:
                inner_self = scope.self_name
                if inner_self in local_names(child, list(scope_nodes(child.body))):
                    inner_self = None
                pending.append((f"{name}.<locals>.{child.name}", child, False, inner_self,
                                parameters, local))


class _Classes:
    """The module-level classes, each read once a call needs it."""

    def __init__(self, tree: ast.Module, resolver: Resolver) -> None:
        self.nodes = {statement.name: statement for statement in tree.body
                      if isinstance(statement, ast.ClassDef)}
        self.resolver = resolver
        self.read: dict[str, _Class] = {}

    def get(self, name: str | None) -> _Class | None:
        if name is None or name not in self.nodes:
            return None
        if name not in self.read:
            self.read[name] = _Class(self.nodes[name], self.resolver)
        return self.read[name]


class _Class:
    """A module-level class: its methods, and the values its methods bind to attributes of
    ``self`` with the parameters each method has (``self._clock = clock``)."""

    def __init__(self, node: ast.ClassDef, resolver: Resolver) -> None:
        self.node = node
        self.resolver = resolver
        self.methods = frozenset(member.name for member in node.body
                                 if isinstance(member, _Function))

    @cached_property
    def held(self) -> dict[str, list[tuple[ast.expr, _Parameters]]]:
        found: dict[str, list[tuple[ast.expr, _Parameters]]] = {}
        for member in self.node.body:
            if not isinstance(member, _Function):
                continue
            self_name = self_name_of(member, self.resolver)
            parameters = _parameters(member, True)
            for statement in scope_nodes(member.body):
                assigned = single_assignment(statement)
                if assigned is None:
                    continue
                target, value = assigned
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == self_name):
                    found.setdefault(target.attr, []).append((value, parameters))
        return found


class _Judge:
    """Decides one function: whether its body may fail, else the functions it calls."""

    def __init__(self, resolver: Resolver, scope: _Scope, classes: _Classes,
                 fails: frozenset[str]) -> None:
        self.resolver = resolver
        self.scope = scope
        self.classes = classes
        self.fails = fails

    @cached_property
    def local(self) -> frozenset[str]:
        return self.scope.outer_local | local_names(self.scope.function, self.scope.own)

    @cached_property
    def parameters(self) -> _Parameters:
        scope = self.scope
        return scope.outer_parameters | _parameters(scope.function, scope.method)

    @cached_property
    def elements(self) -> frozenset[str]:
        """Names bound to the elements of a collection: ``for`` and comprehension targets."""
        targets = [node.target for node in self.scope.own
                   if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension)]
        return frozenset(name.id for target in targets for name in ast.walk(target)
                         if isinstance(name, ast.Name))

    @cached_property
    def nested(self) -> frozenset[str]:
        return frozenset(node.name for node in self.scope.own
                         if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))

    def verdict(self) -> tuple[bool, frozenset[str]]:
        needs: set[str] = set()
        for node, covered in self.scope.walked:
            if covered:
                continue
            if isinstance(node, ast.Raise):
                return True, _QUIET
            if isinstance(node, ast.Call):
                found = self.call(node.func)
                if found is True:
                    return True, _QUIET
                needs |= found
        return False, frozenset(needs)

    def call(self, func: ast.expr) -> _Verdict:
        if isinstance(func, ast.Subscript):
            return True  # an element of a collection
        if isinstance(func, ast.Attribute) and func.attr == _RESULT:
            return True
        if isinstance(func, ast.Name):
            if func.id in self.parameters:
                return self.supplied(func.id, self.parameters)
            if func.id in self.elements:
                return True
            if func.id in self.nested:
                return frozenset({f"{self.resolver.module}.{self.scope.qualname}"
                                  f".<locals>.{func.id}"})
        held = self.held(func)
        if held is not None:
            return held
        scope = self.scope
        target = self.resolver.target(func, self.local, scope.klass, scope.self_name)
        return self.named(target or self.typed_method(func))

    def named(self, target: str | None) -> _Verdict:
        if target is None or (target.startswith("builtins.") and target not in self.fails):
            return _QUIET
        return True if target in self.fails else frozenset({target})

    def supplied(self, name: str, parameters: _Parameters) -> _Verdict:
        """A call of a parameter: of its default when it has a callable one."""
        default = parameters[name]
        if default is None or (isinstance(default, ast.Constant) and default.value is None):
            return True
        return self.named(self.resolver.target(default, frozenset(), None, None))

    def held(self, func: ast.expr) -> _Verdict | None:
        """A call of an attribute of ``self`` that is no method: of what the class's
        methods bind to it (None when the call is something else)."""
        scope = self.scope
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == scope.self_name):
            return None
        klass = self.classes.get(scope.klass)
        if klass is None or func.attr in klass.methods:
            return None
        needs: set[str] = set()
        for value, parameters in klass.held.get(func.attr, ()):
            for option in _options(value):
                found = (
                    self.supplied(option.id, parameters)
                    if isinstance(option, ast.Name) and option.id in parameters
                    else self.named(self.resolver.target(option, frozenset(), None, None))
                )
                if found is True:
                    return True
                needs |= found
        return frozenset(needs)

    def typed_method(self, func: ast.expr) -> str | None:
        """``entry.publish(...)`` for a parameter annotated with a class: its method."""
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        function = self.scope.function
        arguments = function.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if argument.arg == func.value.id and argument.annotation is not None:
                kind = _annotated_class(argument.annotation)
                target = (self.resolver.target(kind, frozenset(), None, None)
                          if kind is not None else None)
                if target is not None and not target.startswith("builtins."):
                    return f"{target}.{func.attr}"
        return None


def _walk(statements: list[ast.stmt], resolver: Resolver) -> Iterator[tuple[ast.AST, bool]]:
    """The nodes of ``statements`` in their own scope (as ``scope_nodes``), each with
    whether it is in the body of a ``try`` that a catch-all handler covers."""
    pending: list[tuple[ast.AST, bool]] = [(statement, False) for statement in statements]
    while pending:
        node, covered = pending.pop()
        yield node, covered
        if isinstance(node, _NESTED_SCOPES):
            continue
        if isinstance(node, ast.Try) and not covered and _covers(node, resolver):
            pending.extend((statement, True) for statement in node.body)
            pending.extend((part, False) for part in (*node.handlers, *node.orelse,
                                                       *node.finalbody))
            continue
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                pending.extend((item, covered) for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                pending.append((value, covered))


def _covers(node: ast.Try, resolver: Resolver) -> bool:
    """A handler catches ``Exception`` or broader and does not ``raise``."""
    return any(
        (handler.type is None
         or any(resolver.target(kind, frozenset(), None, None) in _CATCH_ALL
                for kind in (handler.type.elts if isinstance(handler.type, ast.Tuple)
                             else [handler.type])))
        and not any(isinstance(child, ast.Raise) for child in scope_nodes(handler.body))
        for handler in node.handlers
    )


def _options(value: ast.expr) -> Iterator[ast.expr]:
    """The values an expression may have: both sides of ``a if c else b`` and ``a or b``."""
    if isinstance(value, ast.IfExp):
        yield from _options(value.body)
        yield from _options(value.orelse)
    elif isinstance(value, ast.BoolOp):
        for part in value.values:
            yield from _options(part)
    else:
        yield value


def _annotated_class(annotation: ast.expr) -> ast.expr | None:
    """The class an annotation names: ``Entry``, ``"Entry"``, ``Entry | None``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [side for side in (annotation.left, annotation.right)
                 if not (isinstance(side, ast.Constant) and side.value is None)]
        annotation = sides[0] if len(sides) == 1 else annotation
    return annotation if isinstance(annotation, ast.Name | ast.Attribute) else None


def _parameters(function: _Function, method: bool) -> _Parameters:
    """The parameters a caller supplies, with their defaults: a ``method``'s first one
    (``self``, ``cls``) left out, but for a ``staticmethod``."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    found: _Parameters = dict(zip((argument.arg for argument in positional),
                                  [*defaults, *arguments.defaults], strict=True))
    found.update(zip((argument.arg for argument in arguments.kwonlyargs),
                     arguments.kw_defaults, strict=True))
    found.update((argument.arg, None) for argument in (arguments.vararg, arguments.kwarg)
                 if argument is not None)
    static = any((decorator.id if isinstance(decorator, ast.Name) else
                  decorator.attr if isinstance(decorator, ast.Attribute) else "")
                 == "staticmethod" for decorator in function.decorator_list)
    if method and positional and not static:
        del found[positional[0].arg]
    return found

