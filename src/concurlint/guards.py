"""Branch cuts decided on Python's ``ast``, shared by the module summaries and the libcst model.

A call under a condition that is constant at run time either always runs or never does:
``if False:``, the ``else`` of ``if True:`` (generated sync/async twins keep both bodies),
``if TYPE_CHECKING:`` (true only for type checkers) and a test of a module constant that is
bound once to a literal and never reassigned (``DEBUG = False`` ... ``if DEBUG:``). A loop
runs its body only when its ``while`` test can be true and its ``for`` has something to go
over (``for _ in range(0)`` never does). Code that never runs cannot block, so neither side
reports it. The libcst model hands the source of a test or an iterable to the same functions
(``source_truth``, ``source_never_iterates``), so the decision is written once.

The same decision serves a call's literal arguments: a helper's parameter bound to a literal
at one call site (``wait(timeout=0)``) is a constant for that call, so the branches it cuts
(``for _ in range(timeout):``, ``if retry:``) never run through that call
(``argument_constants``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, cast

UNKNOWN: Final = object()  # a name whose value is not a constant
_TYPE_CHECKING = "TYPE_CHECKING"  # ``typing.TYPE_CHECKING``: true for type checkers only
_LITERALS = (bool, int, float, str, bytes, type(None))

Constants = Callable[[str], object]  # a name's constant value, or UNKNOWN


def constant_truth(test: ast.expr, constants: Constants) -> bool | None:
    """Whether ``test`` is always true (True), always false (False) or depends on the run
    (None). ``constants`` gives the literal value a module-level name is bound to."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.Name):
        if test.id == _TYPE_CHECKING:
            return False
        value = constants(test.id)
        return None if value is UNKNOWN else bool(value)
    if isinstance(test, ast.Attribute) and test.attr == _TYPE_CHECKING:
        return False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = constant_truth(test.operand, constants)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        values = [constant_truth(value, constants) for value in test.values]
        decisive = isinstance(test.op, ast.Or)  # True decides an ``or``, False an ``and``
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    return None


def never_iterates(iterable: ast.expr, constants: Constants) -> bool:
    """True when a ``for`` over ``iterable`` runs its body zero times: a ``range`` of known
    integers that is empty (``range(0)``, ``range(n)`` with ``n`` a constant 0), or an empty
    string."""
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Name)
        and iterable.func.id == "range"
        and not iterable.keywords
        and 1 <= len(iterable.args) <= 3
    ):
        bounds = [_known(arg, constants) for arg in iterable.args]
        integers = [bound for bound in bounds if isinstance(bound, int)]
        if len(integers) < len(bounds) or 0 in integers[2:]:
            return False
        return len(range(*integers)) == 0
    value = _known(iterable, constants)
    return isinstance(value, str | bytes) and not value


def _known(value: ast.expr, constants: Constants) -> object:
    """The value of a literal, a negated number or a constant name, else UNKNOWN."""
    if isinstance(value, ast.Name):
        return constants(value.id)
    if (
        isinstance(value, ast.UnaryOp)
        and isinstance(value.op, ast.USub)
        and isinstance(number := literal_value(value.operand), int | float)
    ):
        return -number
    return literal_value(value)


def _parsed(source: str) -> ast.expr | None:
    try:
        return ast.parse(f"(\n{source}\n)", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def source_truth(source: str, constants: Constants) -> bool | None:
    """``constant_truth`` of a test given as source text (the libcst model's view)."""
    tree = _parsed(source)
    return None if tree is None else constant_truth(tree, constants)


def source_never_iterates(source: str, constants: Constants) -> bool:
    """``never_iterates`` of an iterable given as source text (the libcst model's view)."""
    tree = _parsed(source)
    return tree is not None and never_iterates(tree, constants)


Value = bool | int | str | None  # a literal argument, as module summaries store it


def argument_value(value: ast.expr) -> object:
    """The value of a literal argument (``0``, ``-1``, ``False``, ``"x"``, ``None``; no
    float or bytes, which summaries do not store), else UNKNOWN."""
    found = _known(value, lambda name: UNKNOWN)
    return found if found is None or isinstance(found, bool | int | str) else UNKNOWN


def known(value: object) -> tuple[Value, ...]:
    """``(value,)`` for a literal ``argument_value`` found, ``()`` for UNKNOWN (the shape of
    ``Passed``)."""
    return () if value is UNKNOWN else (cast(Value, value),)


def source_literal(source: str) -> object:
    """``argument_value`` of an expression given as source text (the libcst model's view)."""
    tree = _parsed(source)
    return UNKNOWN if tree is None else argument_value(tree)


Arguments = tuple[tuple[str, Value], ...]  # parameter -> the literal a call passes


@dataclass(frozen=True)
class Signature:
    """What binding a call needs of a callee: its parameters taken by position, in order
    (``self`` left out when ``bound``), those taken by keyword, their literal defaults, and
    the ones its body never rebinds (``kept``): only a test of one of these is a test of
    what the caller passed."""

    positional: tuple[str, ...]
    keywords: tuple[str, ...]
    defaults: tuple[tuple[str, Value], ...]
    kept: tuple[str, ...]
    bound: bool = False  # a method: a call through an instance passes the first parameter


@dataclass(frozen=True)
class Passed:
    """What a call passes, as far as literals go: each positional argument as ``(value,)``
    when it is a literal and ``()`` when not, the same for keywords, and whether ``*args``
    (``**kwargs``) makes the rest unknown. Picklable, for module summaries."""

    positional: tuple[tuple[Value, ...], ...] = ()
    keywords: tuple[tuple[str, tuple[Value, ...]], ...] = ()
    more_positional: bool = False
    more_keywords: bool = False


def bind_arguments(signature: Signature, passed: Passed) -> Arguments:
    """The parameters a call fixes to a literal, given or by a literal default; with
    ``*args`` or ``**kwargs`` no default is used (they may pass the parameter)."""
    bound: dict[str, tuple[Value, ...]] = {}
    if not passed.more_positional:
        bound.update(zip(signature.positional, passed.positional, strict=False))
    if not passed.more_keywords:
        bound.update((name, value) for name, value in passed.keywords if name in signature.keywords)
        if not passed.more_positional:
            for name, default in signature.defaults:
                bound.setdefault(name, (default,))
    return tuple(sorted(
        (name, value[0]) for name, value in bound.items() if value and name in signature.kept
    ))


@dataclass(frozen=True)
class Guard:
    """A condition a call of a function's body runs under, on one of its parameters, as
    source text: ``kind`` is ``"if"`` (the test is true), ``"else"`` (false), ``"while"``
    (the loop's test is true at first) or ``"for"`` (the loop has something to go over)."""

    kind: str
    source: str


def guard_cut(guard: Guard, constants: Constants) -> bool:
    """True when ``guard`` can never hold under ``constants``: the code under it never runs."""
    if guard.kind == "for":
        return source_never_iterates(guard.source, constants)
    truth = source_truth(guard.source, constants)
    return truth is (guard.kind == "else")


def argument_constants(arguments: Arguments) -> Constants:
    """The constants a call's literal arguments make of the callee's parameters."""
    fixed = dict(arguments)
    return lambda name: fixed.get(name, UNKNOWN)


def literal_value(value: ast.expr | None) -> object:
    """The value of a literal (``False``, ``0``, ``"x"``, ``None``), else UNKNOWN."""
    if isinstance(value, ast.Constant) and isinstance(value.value, _LITERALS):
        return value.value
    return UNKNOWN


def dead_branches(
    node: ast.If | ast.IfExp | ast.While | ast.For | ast.AsyncFor, constants: Constants
) -> Iterable[ast.AST]:
    """The parts of ``node`` that never run: its body when the test is always false, its
    ``else`` when it is always true; a loop's body when it never iterates."""
    if isinstance(node, ast.For | ast.AsyncFor):
        return node.body if never_iterates(node.iter, constants) else ()
    truth = constant_truth(node.test, constants)
    if isinstance(node, ast.While):
        return node.body if truth is False else ()
    if truth is None:
        return ()
    branch = node.orelse if truth else node.body
    return branch if isinstance(branch, list) else [branch]
