"""Which functions handle their own exceptions, read with Python's ``ast`` (CCL209).

A future dropped by the code that submitted the work loses the work's exception, unless the
work never lets one out. A function lets none out when every statement of its body is

- a ``try`` whose handlers catch ``Exception`` or broader and none of them ``raise``, its
  ``else`` and ``finally`` blocks being such statements in turn;
- a statement that cannot reasonably raise: an assignment or augmented assignment
  (``+=``, ``-=``) to a name or an attribute, ``return``, ``pass``, an ``if``, a ``with`` of a
  lock the class or module creates, around such statements, whose expressions are names,
  constants, attribute reads, comparisons, ``+``/``-`` arithmetic, f-strings and calls of
  ``isinstance``-like builtins;
- or a call of a function (of the module, ``self``'s class, or another project module)
  that itself handles its own exceptions.

The summary keeps, for each function that can only be such, the absolute names of the
functions it relies on; whether those handle their own exceptions is decided for the whole
project at once (``handling``). A subscript (``KeyError``), a call of anything else (a
builtin, the standard library, a callable held in an attribute or passed in), an ``await``,
a loop or a ``raise`` outside a catch-all ``try`` may let an exception out: the function is
left out, a report kept rather than a lost one hidden.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from concurlint.summary_threads import ThreadCatalog

_CATCH_ALL = frozenset({"builtins.Exception", "builtins.BaseException"})
# Builtins that only ask what a value is: they raise for no argument a caller would pass.
_QUIET_BUILTINS = frozenset({
    "builtins.isinstance", "builtins.issubclass", "builtins.callable", "builtins.id",
    "builtins.type",
})
_QUIET_OPERATORS = (ast.Add, ast.Sub)
_SIMPLE_STATEMENTS = (ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)
_Function = ast.FunctionDef | ast.AsyncFunctionDef
# qualified name of a function -> absolute names of the functions it relies on
Relies = tuple[tuple[str, tuple[str, ...]], ...]


def summarize_errors(
    tree: ast.Module, module: str, is_package: bool, catalog: ThreadCatalog,
    implicit: frozenset[str] = frozenset(),
) -> Relies:
    """The plain functions and methods of ``tree`` (read as ``module``) that handle their
    own exceptions provided the functions they call do, with those functions. ``implicit``
    names the fragment modules a linted snippet uses without importing them (the summaries
    of the project's modules never guess)."""
    package = module if is_package else module.rpartition(".")[0]
    bound = binding_counts(tree.body) | dict.fromkeys(implicit, 1)
    imports = dict(module_imports(tree, package)) | {name: name for name in implicit}
    resolver = Resolver(module, imports, bound, frozenset(), frozenset(), frozenset())
    classes = {statement.name: statement for statement in tree.body
               if isinstance(statement, ast.ClassDef)}

    @cache
    def locks_of(klass: str | None) -> frozenset[str]:
        """The module's locks (``klass`` None) or the attributes a class binds to locks."""
        if klass is None:
            return frozenset(_lock_names(tree.body, resolver, catalog, None))
        return frozenset(_class_locks(classes[klass], resolver, catalog))

    found = []
    for qualname, function, klass in summarized_functions(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        self_name = self_name_of(function, resolver) if klass is not None else None
        judge = _Judge(resolver, function, klass, self_name, locks_of)
        relies = judge.block(function.body)
        if relies is not None and not _is_generator(function):
            found.append((qualname, tuple(sorted(relies))))
    return tuple(found)


def handling(
    relies: Mapping[str, Iterable[str]], callee: Callable[[str], str | None],
    given: Iterable[str] = (),
) -> frozenset[str]:
    """The functions of ``relies`` that handle their own exceptions: those whose every
    function relied on (through ``callee``, which resolves a called name to a function of
    ``relies``, or to a name of ``given``, known to handle its own) does, to a fixed point.
    Recursion proves nothing: a function relying on itself is left out."""
    found = set(given)
    pending = {name: tuple(needs) for name, needs in relies.items()}
    changed = True
    while changed:
        changed = False
        for name, needs in list(pending.items()):
            if all(callee(need) in found for need in needs):
                found.add(name)
                del pending[name]
                changed = True
    return frozenset(found)


class _Judge:
    """Decides one function's statements: None when one of them may raise, else the names
    of the functions whose own handling the function relies on."""

    def __init__(self, resolver: Resolver, function: ast.FunctionDef, klass: str | None,
                 self_name: str | None, locks_of: Callable[[str | None], frozenset[str]]) -> None:
        self.resolver = resolver
        self.function = function
        self.klass = klass
        self.self_name = self_name
        self.locks_of = locks_of

    @cached_property
    def local(self) -> frozenset[str]:
        """Names the function binds itself (walked only once a name must be resolved)."""
        return local_names(self.function, list(scope_nodes(self.function.body)))

    @cached_property
    def locks(self) -> frozenset[str]:
        """The module's locks the function does not shadow, and ``self``'s lock attributes."""
        names = {name for name in self.locks_of(None) if name not in self.local}
        if self.klass is not None and self.self_name is not None:
            names |= {f"{self.self_name}.{name}" for name in self.locks_of(self.klass)}
        return frozenset(names)

    def block(self, *blocks: list[ast.stmt]) -> set[str] | None:
        relies: set[str] = set()
        for statement in (statement for block in blocks for statement in block):
            found = self.statement(statement)
            if found is None:
                return None
            relies |= found
        return relies

    def statement(self, node: ast.stmt) -> set[str] | None:
        if isinstance(node, ast.Try):
            if _handles_everything(node, self.resolver):
                return self.block(node.orelse, node.finalbody)
            return self.block(node.body, node.orelse, node.finalbody,
                              *(handler.body for handler in node.handlers))
        if isinstance(node, ast.If):
            return self.together(self.expression(node.test), self.block(node.body, node.orelse))
        if isinstance(node, ast.With):
            if all(item.optional_vars is None and _dotted(item.context_expr) in self.locks
                   for item in node.items):
                return self.block(node.body)
            return None
        if isinstance(node, ast.Expr):
            return self.expression(node.value)
        if isinstance(node, ast.Return):
            return self.expression(node.value) if node.value is not None else set()
        if isinstance(node, ast.Assign):
            return self.stored(node.targets, node.value)
        if isinstance(node, ast.AnnAssign):
            return self.stored([node.target], node.value)
        if isinstance(node, ast.AugAssign) and isinstance(node.op, _QUIET_OPERATORS):
            return self.stored([node.target], node.value)
        return set() if isinstance(node, _SIMPLE_STATEMENTS) else None

    def stored(self, targets: list[ast.expr], value: ast.expr | None) -> set[str] | None:
        if not all(isinstance(target, ast.Name) or (isinstance(target, ast.Attribute)
                                                   and _dotted(target) is not None)
                   for target in targets):
            return None
        return self.expression(value) if value is not None else set()

    def together(self, *parts: set[str] | None) -> set[str] | None:
        relies: set[str] = set()
        for part in parts:
            if part is None:
                return None
            relies |= part
        return relies

    def expression(self, node: ast.expr) -> set[str] | None:
        if isinstance(node, ast.Name | ast.Constant | ast.Lambda):
            return set()
        if isinstance(node, ast.Attribute):
            return self.expression(node.value)
        if isinstance(node, ast.Call):
            return self.call(node)
        parts = _operands(node)
        if parts is None:
            return None
        return self.together(*(self.expression(part) for part in parts))

    def call(self, node: ast.Call) -> set[str] | None:
        arguments = self.together(
            *(self.expression(argument) if not isinstance(argument, ast.Starred) else None
              for argument in node.args),
            *(self.expression(keyword.value) if keyword.arg is not None else None
              for keyword in node.keywords),
        )
        target = self.resolver.target(node.func, self.local, self.klass, self.self_name)
        if arguments is None or target is None:
            return None
        if target in _QUIET_BUILTINS:
            return arguments
        if target.startswith("builtins."):
            return None
        return arguments | {target}


def _operands(node: ast.expr) -> list[ast.expr] | None:
    """The parts of an expression that raises only when one of them does, or None."""
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, ast.BinOp) and isinstance(node.op, _QUIET_OPERATORS):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        return [node.operand]
    if isinstance(node, ast.IfExp):
        return [node.test, node.body, node.orelse]
    if isinstance(node, ast.JoinedStr):
        return list(node.values)
    if isinstance(node, ast.FormattedValue):
        return [node.value] if node.format_spec is None else [node.value, node.format_spec]
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and not any(
        isinstance(element, ast.Starred) for element in node.elts
    ):
        return list(node.elts)
    return None


def _handles_everything(node: ast.Try, resolver: Resolver) -> bool:
    """A handler catches ``Exception`` or broader, and no handler raises."""
    catches = any(
        handler.type is None
        or any(resolver.target(kind, frozenset(), None, None) in _CATCH_ALL
               for kind in (handler.type.elts if isinstance(handler.type, ast.Tuple)
                            else [handler.type]))
        for handler in node.handlers
    )
    return catches and not any(
        isinstance(child, ast.Raise)
        for handler in node.handlers
        for child in scope_nodes(handler.body)
    )


def _is_generator(function: _Function) -> bool:
    return any(isinstance(node, ast.Yield | ast.YieldFrom) for node in scope_nodes(function.body))


def _dotted(node: ast.expr) -> str | None:
    """``self._lock`` for an attribute of a name, ``lock`` for a name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def _class_locks(
    klass: ast.ClassDef, resolver: Resolver, catalog: ThreadCatalog
) -> Iterator[str]:
    """Attributes a method binds to a new lock (``self._lock = threading.Lock()``)."""
    for member in klass.body:
        if isinstance(member, ast.FunctionDef):
            self_name = self_name_of(member, resolver)
            for name in _lock_names(member.body, resolver, catalog, self_name):
                yield name.partition(".")[2]


def _lock_names(
    body: list[ast.stmt], resolver: Resolver, catalog: ThreadCatalog, owner: str | None
) -> Iterator[str]:
    """Names (``owner`` given: ``owner.attr``) the statements bind to a catalog lock type."""
    for node in scope_nodes(body) if owner is not None else body:
        assigned = single_assignment(node)
        if assigned is None:
            continue
        target, value = assigned
        name = _dotted(target)
        if name is None or not isinstance(value, ast.Call):
            continue
        if (owner is None) != isinstance(target, ast.Name) or (
            owner is not None and not name.startswith(f"{owner}.")
        ):
            continue
        constructor = resolver.target(value.func, frozenset(), None, None)
        if constructor is not None and catalog.type_of(constructor) in catalog.lock_types:
            yield name
