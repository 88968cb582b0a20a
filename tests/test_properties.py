"""Properties of the engine and of fixes, over every rule in ALL_RULES, on generated programs.

Two generators: hypothesmith's (any Python the grammar allows) and ``concurrency_programs``
(snippets from every family in random surroundings). The default run keeps a small budget
(the ``ci`` profile); ``pytest -m fuzz --hypothesis-profile=long`` runs the same properties
on a wider generator for as long as the profile says.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator

import hypothesmith
import libcst as cst
import pytest
from concurrency_programs import concurrency_programs
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from runnable_programs import runnable_programs

from concurlint.checks import ALL_RULES
from concurlint.config import Settings
from concurlint.diagnostic import Diagnostic, FileResult
from concurlint.engine import (
    RECURSION_LIMIT,
    UNANALYZABLE,
    RuleSet,
    line_starts,
    lint_source,
    run_with_deep_stack,
)
from concurlint.files import Source
from concurlint.fixes import MAX_PASSES, applicable, apply_fixes, fix_source, one_pass

SOURCES = [
    pytest.param(
        st.one_of(
            concurrency_programs(),
            concurrency_programs(surrounding=hypothesmith.from_grammar()),
            hypothesmith.from_grammar(),
        ),
        id="ci",
    ),
    pytest.param(
        st.one_of(
            concurrency_programs(),
            concurrency_programs(surrounding=hypothesmith.from_grammar()),
            concurrency_programs(surrounding=hypothesmith.from_node()),
            hypothesmith.from_grammar(),
            hypothesmith.from_node(),
        ),
        marks=pytest.mark.fuzz,
        id="fuzz",
    ),
]
# Generation is slow next to checking, and large examples are the point.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def all_rules() -> RuleSet:
    """Every rule of every family, selected explicitly so a default-off rule is fuzzed too."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))  # as the CLI does
    ruleset = RuleSet.build(Settings(select=("CCL",)))
    assert {type(rule) for rule in ruleset.rules} == set(ALL_RULES)
    return ruleset


def _source(text: str) -> Source:
    return Source("generated.py", text, "utf-8")


def _lint(text: str, ruleset: RuleSet) -> FileResult:
    return run_with_deep_stack(lint_source, _source(text), ruleset)


def _compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():  # generated code is full of `"str"()` and the like
            warnings.simplefilter("ignore")
            compile(text, "generated.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _span_problems(text: str, diagnostics: tuple[Diagnostic, ...]) -> Iterator[str]:
    starts = line_starts(text)  # a lone \r ends a line too, for Python and for libcst
    ends = [*starts[1:], len(text)]
    lines = [text[start:end].rstrip("\r\n") for start, end in zip(starts, ends, strict=True)]
    for d in diagnostics:
        span = d.span
        if not 1 <= span.line <= span.end_line <= len(starts):
            yield f"lines outside the file: {d}"
        elif span.column < 1 or (span.line, span.column) > (span.end_line, span.end_column):
            yield f"span ends before it starts: {d}"
        elif span.end_column - 1 > len(lines[min(span.end_line, len(lines)) - 1]) + 1:
            yield f"end column beyond its line: {d}"


@pytest.mark.parametrize("sources", SOURCES)
@relaxed
@given(data=st.data())
def test_engine_never_raises_and_every_span_lies_inside_the_file(
    sources: st.SearchStrategy[str], data: st.DataObject, all_rules: RuleSet
) -> None:
    text = data.draw(sources, label="program")
    result = _lint(text, all_rules)
    internal = [d for d in result.diagnostics if "internal error" in d.message]
    assert not internal
    assert list(_span_problems(text, result.diagnostics)) == []


@relaxed
@given(text=concurrency_programs())
def test_generated_concurrency_programs_compile_and_are_analyzed(
    text: str, all_rules: RuleSet
) -> None:
    """The generator's own promise, and the engine's: valid code is never CCL001."""
    assert _compiles(text)
    result = _lint(text, all_rules)
    assert [d for d in result.diagnostics if d.code == UNANALYZABLE] == []


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("sources", SOURCES)
@relaxed
@given(data=st.data())
def test_fixes_parse_are_idempotent_and_leave_nothing_fixable(
    sources: st.SearchStrategy[str], unsafe: bool, data: st.DataObject, all_rules: RuleSet
) -> None:
    text = data.draw(sources, label="program")
    outcome = run_with_deep_stack(fix_source, _source(text), all_rules, unsafe)
    note(f"fixed:\n{outcome.text}")
    assert outcome.error is None
    if outcome.text != text:  # written fixes parse; text libcst cannot parse is left alone
        cst.parse_module(outcome.text)
    if _compiles(text):
        assert _compiles(outcome.text)  # not only parsable: `await` stays inside coroutines
    assert not [d for d in outcome.result.diagnostics if applicable(d, unsafe)]
    again = run_with_deep_stack(fix_source, _source(outcome.text), all_rules, unsafe)
    assert (again.text, again.fixed) == (outcome.text, 0)


def _inserted_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` adds to ``before``; fails if it changes or removes any."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    assert all(tag == "insert" for tag, *_ in changes), changes
    return [line for _, _, _, j1, j2 in changes for line in new[j1:j2]]


def _findings(diagnostics: tuple[Diagnostic, ...]) -> Counter[tuple[str, str]]:
    return Counter((d.code, d.message) for d in diagnostics)


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("sources", SOURCES)
@relaxed
@given(data=st.data())
def test_each_fix_pass_changes_only_its_spans_and_imports_and_removes_its_reports(
    sources: st.SearchStrategy[str], unsafe: bool, data: st.DataObject, all_rules: RuleSet
) -> None:
    text = data.draw(sources, label="program")
    result = _lint(text, all_rules)
    for _ in range(MAX_PASSES):
        fixable = [d for d in result.diagnostics if applicable(d, unsafe)]
        if not fixable:
            break
        chosen = one_pass(d.fix for d in fixable)  # type: ignore[misc]
        spliced = text
        for edit in sorted((e for fix in chosen for e in fix.edits), reverse=True):
            assert 0 <= edit.start <= edit.end <= len(text)
            spliced = spliced[: edit.start] + edit.content + spliced[edit.end :]
        fixed_text, count = apply_fixes(text, [d.fix for d in fixable])  # type: ignore[misc]
        assert count == len(chosen)
        imports = {f"import {module}" for fix in chosen for module in fix.imports}
        # an import placed as a standard-library section of its own is followed by a blank
        # line that separates it from the next section, as isort does
        allowed = imports | ({""} if imports else set())
        assert {line.rstrip("\r\n") for line in _inserted_lines(spliced, fixed_text)} <= allowed
        after = _lint(fixed_text, all_rules)
        repaired = _findings(tuple(d for d in fixable if any(d.fix is fix for fix in chosen)))
        before, remaining = _findings(result.diagnostics), _findings(after.diagnostics)
        # Only the repaired reports must go: an added import may give meaning to the same
        # name used unbound elsewhere, which can then be reported for what it now is.
        assert all(remaining[key] <= before[key] - count for key, count in repaired.items())
        text, result = fixed_text, after


def _run(text: str) -> subprocess.CompletedProcess[str] | None:
    """Run one of our own generated programs (never user code) in a fresh interpreter;
    None when it does not finish in time."""
    with tempfile.TemporaryDirectory(prefix="concurlint-run-") as folder:
        path = f"{folder}/program.py"
        with open(path, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        try:
            return subprocess.run(
                [sys.executable, "-I", "-W", "ignore", path],
                cwd=folder, capture_output=True, text=True, timeout=60,
            )
        except subprocess.TimeoutExpired:
            return None


@relaxed
@given(program=runnable_programs())
def test_safe_fixes_compile_reach_their_fixed_point_and_keep_what_the_program_prints(
    program: str, all_rules: RuleSet
) -> None:
    """Programs whose every fixable call sits among scopes that bind ``asyncio`` or not:
    the fixed program compiles, a second ``--fix`` changes nothing, and a program that ran
    before prints the same after (a fix that rebinds a name would raise or print another
    value)."""
    outcome = run_with_deep_stack(fix_source, _source(program), all_rules)
    note(f"fixed:\n{outcome.text}")
    assert outcome.error is None
    assert _compiles(outcome.text)
    again = run_with_deep_stack(fix_source, _source(outcome.text), all_rules)
    assert (again.text, again.fixed) == (outcome.text, 0)
    before = _run(program)
    if before is None or before.returncode != 0:
        return
    after = _run(outcome.text)
    assert after is not None
    assert (after.returncode, after.stdout) == (0, before.stdout), after.stderr
