"""Branch cuts decided on Python's ``ast``, shared by the module summaries and the libcst model.

A call under a condition that is constant at run time either always runs or never does:
``if False:``, the ``else`` of ``if True:`` (generated sync/async twins keep both bodies),
``if TYPE_CHECKING:`` (true only for type checkers) and a test of a module constant that is
bound once to a literal and never reassigned (``DEBUG = False`` ... ``if DEBUG:``). Code that
never runs cannot block, so neither side reports it. The libcst model hands the source of a
test to ``constant_truth`` (``source_truth``), so the decision is written once.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Final

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


def source_truth(source: str, constants: Constants) -> bool | None:
    """``constant_truth`` of a test given as source text (the libcst model's view)."""
    try:
        tree = ast.parse(f"(\n{source}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return constant_truth(tree.body, constants)


def literal_value(value: ast.expr | None) -> object:
    """The value of a literal (``False``, ``0``, ``"x"``, ``None``), else UNKNOWN."""
    if isinstance(value, ast.Constant) and isinstance(value.value, _LITERALS):
        return value.value
    return UNKNOWN


def dead_branches(node: ast.If | ast.IfExp, constants: Constants) -> Iterable[ast.AST]:
    """The parts of ``node`` that never run: its body when the test is always false, its
    ``else`` when it is always true."""
    truth = constant_truth(node.test, constants)
    if truth is None:
        return ()
    branch = node.orelse if truth else node.body
    return branch if isinstance(branch, list) else [branch]
