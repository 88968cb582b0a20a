"""Fixture-driven tests: adding a rule's fixtures adds its tests.

Lint results must match the ``# expect:`` comments both ways; ``bad.py`` must fail when run
and print what it shows; ``good.py`` must run clean; ``--fix`` must turn ``bad.py`` into
``bad.fixed.py`` byte for byte, which lints clean.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from fixture_cases import (
    Fixture,
    as_noqa,
    expectations,
    lint_cases,
    mismatch_table,
    rule_folders,
    runnable,
    shown_failure,
)

from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source, read_source
from concurlint.fixes import fix_source

RUN_TIMEOUT = 60


def _read(fixture: Fixture) -> Source:
    source = read_source(str(fixture.path))
    assert isinstance(source, Source)
    return source


def _reported(source: Source, ruleset: RuleSet) -> Counter[tuple[int, str]]:
    result = lint_source(source, ruleset)
    return Counter((d.span.line, d.code) for d in result.diagnostics)


@pytest.mark.parametrize("fixture", lint_cases(), ids=lambda f: f.id)
def test_reports_match_expectations(fixture: Fixture, ruleset: RuleSet) -> None:
    source = _read(fixture)
    expected = expectations(source.text)
    actual = _reported(source, ruleset)
    assert actual == expected, "\n" + mismatch_table(expected, actual)


@pytest.mark.parametrize("fixture", lint_cases(), ids=lambda f: f.id)
def test_noqa_silences_every_expectation(fixture: Fixture, ruleset: RuleSet) -> None:
    source = _read(fixture)
    silenced = Source(source.path, as_noqa(source.text), source.encoding)
    assert _reported(silenced, ruleset) == Counter()


@pytest.mark.parametrize("folder", rule_folders(), ids=lambda p: p.name)
def test_bad_fixture_reports_its_own_rule(folder, ruleset: RuleSet) -> None:
    source = read_source(str(folder / "bad.py"))
    assert isinstance(source, Source)
    assert any(code == folder.name for _, code in expectations(source.text))


def _run(fixture: Fixture) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, fixture.path.name],
        cwd=fixture.path.parent,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


@pytest.mark.parametrize("fixture", runnable("bad.py"), ids=lambda f: f.id)
def test_bad_fixture_shows_the_failure_when_run(fixture: Fixture) -> None:
    shows = shown_failure(fixture.path.read_text(encoding="utf-8"))
    completed = _run(fixture)
    assert completed.returncode != 0, completed.stdout + completed.stderr
    assert shows in completed.stdout + completed.stderr


@pytest.mark.parametrize("fixture", runnable("good.py"), ids=lambda f: f.id)
def test_good_fixture_runs_clean(fixture: Fixture) -> None:
    completed = _run(fixture)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("fixture", runnable("bad.fixed.py"), ids=lambda f: f.id)
def test_fixed_fixture_runs_clean_like_good(fixture: Fixture) -> None:
    completed = _run(fixture)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("folder", rule_folders(), ids=lambda p: p.name)
def test_fixed_fixture_exists_exactly_when_bad_has_a_safe_fix(folder, ruleset: RuleSet) -> None:
    source = read_source(str(folder / "bad.py"))
    assert isinstance(source, Source)
    fixable = any(d.fixable for d in lint_source(source, ruleset).diagnostics)
    assert fixable == (folder / "bad.fixed.py").exists()


@pytest.mark.parametrize("fixture", runnable("bad.fixed.py"), ids=lambda f: f.id)
def test_fix_turns_bad_into_fixed(fixture: Fixture, ruleset: RuleSet) -> None:
    bad = read_source(str(fixture.path.with_name("bad.py")))
    assert isinstance(bad, Source)
    outcome = fix_source(bad, ruleset)
    assert outcome.text == fixture.path.read_text(encoding="utf-8")
    fixed = Source(bad.path, outcome.text, bad.encoding)
    assert lint_source(fixed, ruleset).diagnostics == ()
    assert fix_source(fixed, ruleset).text == outcome.text
