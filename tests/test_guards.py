"""The constant-condition cut (``concurlint.guards``): a test that is constant at run time is
decided as Python decides it; anything that depends on the run stays undecided."""

from __future__ import annotations

import ast

from hypothesis import given
from hypothesis import strategies as st

from concurlint.guards import UNKNOWN, constant_truth, source_truth

_CONSTANTS = {"DEBUG": False, "VERBOSE": True, "RETRIES": 3, "NAME": ""}

_leaves = st.sampled_from(["True", "False", "0", "1", "None", '""', *_CONSTANTS])
_tests = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        inner.map(lambda test: f"not ({test})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda parts: f"({parts[0]}) {parts[1]} ({parts[2]})"
        ),
    ),
    max_leaves=8,
)


def _constant(name: str) -> object:
    return _CONSTANTS.get(name, UNKNOWN)


@given(_tests)
def test_a_constant_test_is_decided_as_python_decides_it(test: str) -> None:
    assert source_truth(test, _constant) is bool(eval(test, {}, dict(_CONSTANTS)))


@given(_tests)
def test_a_test_that_reads_a_variable_is_decided_only_by_a_constant_operand(test: str) -> None:
    mixed = f"({test}) and flag"
    truth = source_truth(mixed, _constant)
    assert truth in (None, False)
    assert (truth is False) == (not eval(test, {}, dict(_CONSTANTS)))


def test_type_checking_is_false_at_run_time() -> None:
    assert source_truth("TYPE_CHECKING", _constant) is False
    assert source_truth("typing.TYPE_CHECKING", _constant) is False
    assert source_truth("not TYPE_CHECKING", _constant) is True


def test_calls_and_comparisons_are_not_decided() -> None:
    for test in ("is_ready()", "RETRIES > 2", "sys.platform == 'win32'"):
        assert constant_truth(ast.parse(test, mode="eval").body, _constant) is None


def test_unparsable_source_is_not_decided() -> None:
    assert source_truth("if", _constant) is None
