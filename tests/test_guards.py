"""The constant-condition cut (``concurlint.guards``): a test that is constant at run time is
decided as Python decides it; anything that depends on the run stays undecided."""

from __future__ import annotations

import ast

from hypothesis import given
from hypothesis import strategies as st

from concurlint.guards import (
    UNKNOWN,
    Guard,
    Passed,
    Signature,
    argument_constants,
    bind_arguments,
    constant_truth,
    guard_cut,
    source_never_iterates,
    source_truth,
)

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


@given(st.lists(st.integers(-4, 4), min_size=1, max_size=3))
def test_a_range_of_known_integers_never_iterates_exactly_when_it_is_empty(
    bounds: list[int],
) -> None:
    source = f"range({', '.join(map(str, bounds))})"
    if len(bounds) == 3 and bounds[2] == 0:
        assert not source_never_iterates(source, _constant)  # raises at run time: no claim
    else:
        assert source_never_iterates(source, _constant) is (len(range(*bounds)) == 0)


def test_an_iterable_that_depends_on_the_run_never_counts_as_empty() -> None:
    assert not source_never_iterates("range(n)", _constant)
    assert not source_never_iterates("items", _constant)
    assert source_never_iterates("range(n)", lambda name: 0 if name == "n" else UNKNOWN)
    assert source_never_iterates("NAME", _constant)


_PROBE = Signature(
    positional=("timeout", "retry"),
    keywords=("retry", "timeout"),
    defaults=(("timeout", 60),),
    kept=("retry", "timeout"),
)


def test_literal_arguments_bind_by_position_keyword_and_literal_default() -> None:
    assert bind_arguments(_PROBE, Passed(positional=((0,), ()))) == (("timeout", 0),)
    assert bind_arguments(_PROBE, Passed(keywords=(("retry", (False,)),))) == (
        ("retry", False), ("timeout", 60)
    )


def test_star_arguments_leave_defaults_and_positions_unknown() -> None:
    assert bind_arguments(_PROBE, Passed(more_positional=True)) == ()
    assert bind_arguments(_PROBE, Passed(keywords=(("retry", (0,)),), more_keywords=True)) == ()
    assert bind_arguments(_PROBE, Passed(positional=((0,),), more_keywords=True)) == (
        ("timeout", 0),
    )


def test_a_rebound_parameter_is_never_bound() -> None:
    rebinding = Signature(("timeout",), ("timeout",), (("timeout", 0),), kept=())
    assert bind_arguments(rebinding, Passed()) == ()


def test_a_guard_is_cut_only_when_the_arguments_make_it_false() -> None:
    zero = argument_constants((("timeout", 0),))
    assert guard_cut(Guard("for", "range(timeout)"), zero)
    assert guard_cut(Guard("if", "timeout"), zero)
    assert guard_cut(Guard("while", "timeout > 0 and timeout"), zero)
    assert not guard_cut(Guard("else", "timeout"), zero)
    assert not guard_cut(Guard("if", "timeout"), argument_constants(()))
