"""The real-bug case list follows its schema, and the matching rule does what the docs say."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT
from realbugs.cases import CASES_FILE, SchemaError, _check_case, line_hash, load_cases
from realbugs.matching import TOLERANCE, Report, near
from realbugs.pypi import locate
from realbugs.report import TUNED_BATCH, markdown, recall
from realbugs.results import RESULTS_FILE, Outcome, Result, load_results
from realbugs.run import extract_python_files, installed_together

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CODES = frozenset({"CCL101", "CCL103", "CCL201", "CCL202", "CCL301", "CCL401"})


def _entry() -> dict:
    return copy.deepcopy(tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["case"][0])


def test_the_recorded_cases_follow_the_schema_and_cover_every_family() -> None:
    cases = load_cases()
    families = Counter(case.family for case in cases)
    assert len(cases) >= 30
    assert families["threads"] >= 8
    assert families["coroutines"] >= 8
    assert families["processes"] >= 1
    assert families["gevent"] >= 1


def test_every_case_has_a_recorded_result_and_every_result_a_case() -> None:
    cases = {case.id: case for case in load_cases()}
    results = load_results(RESULTS_FILE)
    assert set(results) == set(cases)
    for case_id, result in results.items():
        assert (result.pypi is not None) == (cases[case_id].pypi is not None), case_id
        held_out = cases[case_id].batch != TUNED_BATCH
        assert result.local.found or result.miss or held_out, f"{case_id}: a miss needs its reason"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.pop("description"), "description"),
        (lambda e: e.update(codes=["CCL999"]), "not rules"),
        (lambda e: e.update(codes=["CCL201"]), "family"),
        (lambda e: e.update(fix_commit="79b2ab9"), "40-digit"),
        (lambda e: e.update(line_hashes=["not-a-hash"]), "line hash"),
        (lambda e: e.update(lines=[0]), "positive"),
        (lambda e: e.update(lint=["../outside"]), "inside the tree"),
        (lambda e: e.update(family="asyncio"), "family must be"),
        (lambda e: e.update(extra=1), "unknown keys"),
        (lambda e: e.update(pypi={"name": "x", "before": "1"}), "pypi needs"),
        (lambda e: e.update(pypi={"name": "x", "before": "1", "after": "2", "path": "p",
                                  "companions": "y"}), "companions"),
        (lambda e: e.update(batch=0), "batch must be"),
        (lambda e: e.update(batch="2"), "batch must be"),
        (lambda e: e.update(batch=True), "batch must be"),
    ],
)
def test_a_malformed_case_is_rejected_with_its_reason(change, message: str) -> None:
    entry = _entry()
    _check_case(entry, CODES)  # the unchanged entry is valid
    change(entry)
    with pytest.raises(SchemaError, match=message):
        _check_case(entry, CODES)


def test_a_case_without_a_batch_belongs_to_the_first() -> None:
    entry = _entry()
    entry.pop("batch", None)
    assert _check_case(entry, CODES).batch == 1
    entry["batch"] = 2
    assert _check_case(entry, CODES).batch == 2


def test_recall_is_counted_per_batch_and_over_every_batch() -> None:
    def case(name: str, family: str, code: str, batch: int):
        entry = _entry() | {"id": name, "family": family, "codes": [code], "batch": batch}
        return _check_case(entry, CODES)

    cases = [
        case("a", "threads", "CCL101", 1),
        case("b", "threads", "CCL101", 2),
        case("c", "coroutines", "CCL202", 2),
    ]
    results = {
        "a": Result(Outcome(True, True)),
        "b": Result(Outcome(False, False)),
        "c": Result(Outcome(True, False)),
    }
    rows = {(r.batch, r.family): (r.cases, r.found, r.clean) for r in recall(cases, results)}
    assert rows[("1", "threads")] == (1, 1, 1)
    assert rows[("2", "threads")] == (1, 0, 0)
    assert rows[("2", "all")] == (2, 1, 0)
    assert rows[("all", "threads")] == (2, 1, 1)
    assert rows[("all", "all")] == (3, 2, 1)
    assert rows[("1", "coroutines")] == (0, 0, 0)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    text = CASES_FILE.read_text(encoding="utf-8")
    first = text[text.index("[[case]]") : text.index("[[case]]", text.index("[[case]]") + 1)]
    (tmp_path / "cases.toml").write_text(first + "\n" + first, encoding="utf-8")
    with pytest.raises(SchemaError, match="duplicate"):
        load_cases(tmp_path / "cases.toml", CODES)


def test_a_line_is_identified_by_its_stripped_text_and_blank_lines_by_nothing() -> None:
    assert line_hash("    x = 1\n") == line_hash("x = 1")
    assert line_hash("x = 1") != line_hash("x = 2")
    assert line_hash("   ") == ""


@pytest.mark.parametrize(
    ("report", "matches"),
    [
        (Report("pkg/m.py", 10, "CCL101"), True),
        (Report("pkg/m.py", 10 + TOLERANCE, "CCL101"), True),
        (Report("pkg/m.py", 10 - TOLERANCE, "CCL101"), True),
        (Report("pkg/m.py", 10 + TOLERANCE + 1, "CCL101"), False),
        (Report("pkg/m.py", 10, "CCL103"), False),
        (Report("pkg/other.py", 10, "CCL101"), False),
    ],
)
def test_a_report_matches_a_case_on_its_file_code_and_nearby_line(
    report: Report, matches: bool
) -> None:
    assert bool(near([report], "pkg/m.py", [10], frozenset({"CCL101"}))) is matches


def test_a_commit_s_python_files_are_extracted_and_nothing_else(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "m.py").write_text("x = 1\n", encoding="utf-8")
    (repo / "pkg" / "data.json").write_text("{}", encoding="utf-8")
    (repo / "other.py").write_text("y = 2\n", encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    extract_python_files(repo, commit, ("pkg",), tmp_path / "tree")
    tree = tmp_path / "tree"
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.*"))
    assert files == ["pkg/m.py"]
    assert (tmp_path / "tree" / "pkg" / "m.py").read_text(encoding="utf-8") == "x = 1\n"


def test_the_project_files_above_the_linted_folder_are_extracted_with_it(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    for relative in ("pyproject.toml", "dist-a/pyproject.toml", "dist-a/setup.cfg",
                     "dist-a/src/ns/m.py", "dist-a/README.md", "dist-b/pyproject.toml"):
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text("", encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    extract_python_files(repo, "HEAD", ("dist-a/src",), tmp_path / "tree")
    tree = tmp_path / "tree"
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    assert files == ["dist-a/pyproject.toml", "dist-a/setup.cfg", "dist-a/src/ns/m.py",
                     "pyproject.toml"]


def test_companion_releases_join_the_release_in_one_namespace_package(tmp_path: Path) -> None:
    for relative in ("logic/ns/logic/status.py", "db/ns/db/sql.py", "db/other/x.py"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("", encoding="utf-8")
    root = installed_together(tmp_path / "logic", [tmp_path / "db"], "ns", tmp_path / "both")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
    assert files == ["ns/db/sql.py", "ns/logic/status.py"]
    assert installed_together(tmp_path / "logic", [], "ns", tmp_path / "alone") == (
        tmp_path / "logic"
    )


def test_a_release_file_is_found_at_the_shallowest_matching_path(tmp_path: Path) -> None:
    for where in ("proj-1.0/pkg/m.py", "proj-1.0/tests/vendored/pkg/m.py"):
        (tmp_path / where).parent.mkdir(parents=True)
        (tmp_path / where).write_text("", encoding="utf-8")
    base, found = locate(tmp_path, "pkg/m.py")
    assert base == tmp_path / "proj-1.0"
    assert found == tmp_path / "proj-1.0" / "pkg" / "m.py"


def test_the_docs_show_the_recorded_recall() -> None:
    page = (ROOT / "docs" / "real-world.md").read_text(encoding="utf-8")
    assert markdown(load_cases(), load_results(RESULTS_FILE)) in page


def test_a_held_out_miss_that_was_worked_on_is_explained_and_the_others_are_counted() -> None:
    held_out = [case for case in load_cases() if case.batch != TUNED_BATCH][:2]
    missed = Outcome(False, True, (), ())
    results = {
        held_out[0].id: Result(missed, miss="The threads start inside a library."),
        held_out[1].id: Result(missed),
    }
    page = markdown(held_out, results)
    assert (
        f"- **{held_out[0].id}** ({held_out[0].kind}): The threads start inside a library." in page
    )
    assert f"**{held_out[1].id}** (" not in page
    assert "The 1 other miss of batch" in page
