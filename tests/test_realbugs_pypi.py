"""Recall on real bugs does not regress: every case whose bug spans a PyPI release is run on
the release before and the release after its fix, and must give the recorded verdict."""

from __future__ import annotations

import pytest
from realbugs.cases import load_cases
from realbugs.results import load_results
from realbugs.run import run_pypi

SPANNING = [case for case in load_cases() if case.pypi is not None]


@pytest.mark.slow
@pytest.mark.parametrize("case", SPANNING, ids=[case.id for case in SPANNING])
def test_the_release_before_and_after_the_fix_give_the_recorded_verdict(case) -> None:
    recorded = load_results()[case.id].pypi
    assert recorded is not None
    got = run_pypi(case)
    assert (got.found, got.fixed_clean) == (recorded.found, recorded.fixed_clean), (
        f"{case.id}: now found={got.found} fixed_clean={got.fixed_clean} "
        f"(reports {got.reports}, after the fix {got.fixed_reports}); recorded {recorded}"
    )
