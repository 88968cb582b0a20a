"""The ecosystem check's own logic on small synthetic data: no download, no network."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .__main__ import main
from .docs import END, PAGE, START, DocsError, render_section, splice
from .lint import Report, lint_project
from .matching import RuleStats, failures, match, rule_stats, unexplained_losses
from .projects import (
    CONFIG_NAME,
    Project,
    ProjectError,
    parse_projects,
    project_root,
    read_projects,
)
from .verdicts import (
    VERDICTS_FILE,
    Lost,
    Verdict,
    VerdictError,
    VerdictFile,
    add_verdicts,
    parse_verdicts,
    read_verdicts,
    render_verdicts,
)


def report(line: int, text: str = "time.sleep(1)", code: str = "CCL201") -> Report:
    return Report("demo", "demo/app.py", line, code, text, message="message")


def verdict(
    line: int, kind: str = "TP", text: str = "time.sleep(1)", code: str = "CCL201"
) -> Verdict:
    return Verdict("demo", "demo/app.py", line, code, text, kind, "why")


def test_projects_are_pinned_with_comments_and_blank_lines() -> None:
    text = "# header\n\naiohttp==3.14.5   # asyncio\nschedule==1.2.2\n"
    assert parse_projects(text) == [Project("aiohttp", "3.14.5"), Project("schedule", "1.2.2")]


@pytest.mark.parametrize("text", ["aiohttp\n", "aiohttp>=3\n", "a==1\na==2\n"])
def test_an_unpinned_or_repeated_project_is_one_clear_error(text: str) -> None:
    with pytest.raises(ProjectError, match=r"projects.txt:\d+:"):
        parse_projects(text)


def test_the_shipped_list_has_forty_projects_or_more() -> None:
    assert len(read_projects()) >= 40


def test_a_moved_line_keeps_its_verdict() -> None:
    matching = match([report(120)], [verdict(100)])
    assert [(r.line, v.line) for r, v in matching.judged] == [(120, 100)]
    assert not matching.unjudged and not matching.disappeared


def test_a_changed_line_text_is_a_new_report_and_a_lost_verdict() -> None:
    matching = match([report(100, text="time.sleep(2)")], [verdict(100)])
    assert [r.text for r in matching.unjudged] == ["time.sleep(2)"]
    assert [v.text for v in matching.disappeared] == ["time.sleep(1)"]


def test_the_same_text_twice_pairs_the_closest_lines() -> None:
    matching = match([report(10), report(50)], [verdict(52, "FP"), verdict(11, "TP")])
    assert [(r.line, v.verdict) for r, v in matching.judged] == [(10, "TP"), (50, "FP")]


def test_a_third_report_of_the_same_text_is_unjudged() -> None:
    matching = match([report(10), report(30), report(50)], [verdict(10), verdict(50)])
    assert [r.line for r in matching.unjudged] == [30]


def test_the_code_and_path_are_part_of_the_key() -> None:
    other = Report("demo", "demo/other.py", 100, "CCL201", "time.sleep(1)", message="m")
    matching = match([other, report(100, code="CCL203")], [verdict(100)])
    assert len(matching.unjudged) == 2 and len(matching.disappeared) == 1


@pytest.mark.parametrize(
    ("true", "false", "failing"),
    [
        (9, 1, False),
        (4, 1, True),
        (45, 5, False),
        (44, 6, True),
        (3, 0, False),
        (3, 1, True),
        (0, 0, False),
    ],
)
def test_the_precision_bar(true: int, false: int, failing: bool) -> None:
    assert RuleStats("CCL201", true + false, true, false).failing is failing


def test_rule_stats_count_every_report_and_the_judged_ones() -> None:
    reports = [report(1), report(2, text="x()"), report(3, code="CCL203")]
    stats = rule_stats(reports, match(reports, [verdict(1), verdict(2, "FP", text="x()")]))
    assert [(s.code, s.reports, s.true, s.false) for s in stats] == [
        ("CCL201", 2, 1, 1),
        ("CCL203", 1, 0, 0),
    ]


def test_a_lost_true_positive_needs_an_entry_in_the_lost_list() -> None:
    gone = [verdict(1), verdict(2, "FP", text="x()")]
    lost = Lost("demo", "demo/app.py", 1, "CCL201", "time.sleep(1)", "the helper became async")
    assert unexplained_losses(gone, []) == [gone[0]]
    assert unexplained_losses(gone, [lost]) == []


def test_failures_name_each_cause() -> None:
    reports = [report(1), report(2, text="x()")]
    matching = match(reports, [verdict(2, "FP", text="x()"), verdict(5, text="gone()")])
    found = failures(rule_stats(reports, matching), matching, [], ["demo: exited 2"])
    assert found == [
        "1 report(s) without a verdict",
        "CCL201: 0 TP of 1 judged is under the bar",
        "1 true positive(s) no longer reported and not in the lost list",
        "1 crash(es)",
    ]


def test_a_clean_run_has_no_failure() -> None:
    reports = [report(1)]
    matching = match(reports, [verdict(1)])
    assert failures(rule_stats(reports, matching), matching, [], []) == []


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(texts, texts, texts, st.integers(1, 10**6), st.sampled_from(["TP", "FP"]))
def test_the_verdict_file_reads_back_what_it_writes(
    path: str, text: str, reason: str, line: int, kind: str
) -> None:
    written = VerdictFile(
        (
            Verdict(
                "p", path, line, "CCL101", text, kind, reason, fixed=reason if kind == "FP" else ""
            ),
        ),
        (Lost("p", path, line, "CCL102", text, reason),),
    )
    assert parse_verdicts(render_verdicts(written)) == written


ENTRY = """[[verdict]]
project = "p"
path = "a.py"
line = 1
code = "CCL201"
text = "t"
verdict = "TP"
reason = "r"
"""


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        (ENTRY.replace('"TP"', '"maybe"'), "must be TP or FP"),
        (ENTRY.replace('reason = "r"\n', ""), "missing `reason`"),
        (ENTRY.replace("line = 1", 'line = "1"'), "`line` must be a int"),
        ('[[verdict]]\nproject="p"\ncolour="red"\n', "unknown keys"),
        ("[[verdicts]]\n", "unknown tables"),
        ("verdict = [", "not TOML"),
    ],
)
def test_a_malformed_verdict_file_is_one_clear_error(toml: str, problem: str) -> None:
    with pytest.raises(VerdictError, match="verdicts.toml: .*" + problem.replace("`", ".")):
        parse_verdicts(toml)


def test_the_shipped_verdict_file_is_valid_and_in_canonical_order() -> None:
    text = VERDICTS_FILE.read_text(encoding="utf-8")
    assert render_verdicts(parse_verdicts(text)) == text


def test_splice_replaces_only_the_generated_part() -> None:
    page = f"# Title\n\nkept\n\n{START}\nold\n{END}\n\nalso kept\n"
    assert splice(page, "new\n") == f"# Title\n\nkept\n\n{START}\nnew\n{END}\n\nalso kept\n"
    with pytest.raises(DocsError):
        splice("# no markers\n", "new\n")


def test_the_section_gives_precision_before_and_after_fixes_and_every_fp() -> None:
    verdicts = (
        *(verdict(line) for line in range(1, 9)),
        Verdict("demo", "demo/app.py", 20, "CCL201", "x()", "FP", "argument-selected", "the cut"),
        Verdict("demo", "demo/app.py", 30, "CCL201", "y()", "FP", "a stub | never runs"),
    )
    section = render_section(VerdictFile(verdicts), [Project("demo", "1.0")])
    assert "| CCL201 | 10 | 8 | 2 | 80% | 1 | 89% |" in section
    assert "| demo | `demo/app.py:20` | CCL201 | argument-selected | the cut |" in section
    assert "| demo | `demo/app.py:30` | CCL201 | a stub \\| never runs | not yet |" in section


def test_the_page_shows_the_current_verdict_file() -> None:
    """Regenerate with `python -m tests.ecosystem --write-docs` after editing the verdicts."""
    page = PAGE.read_text(encoding="utf-8")
    assert splice(page, render_section(read_verdicts(), read_projects())) == page


def _wheel(folder: Path) -> None:
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "demo-1.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("demo/__init__.py", "")
        wheel.writestr(
            "demo/app.py",
            "import time\n\n\nasync def handler():\n    time.sleep(1)\n",
        )
        wheel.writestr("demo/broken.py", "def (:\n")


def test_a_downloaded_wheel_is_unpacked_once_and_linted_as_a_project(tmp_path: Path) -> None:
    _wheel(tmp_path / "downloads" / "demo-1.0")
    root = project_root(Project("demo", "1.0"), tmp_path)
    assert (root / "demo" / "app.py").is_file() and (root / CONFIG_NAME).is_file()
    (root / "demo" / "extra.py").write_text("x = 1\n")
    assert project_root(Project("demo", "1.0"), tmp_path) == root
    assert (root / "demo" / "extra.py").is_file()  # not unpacked again
    run = lint_project("demo", root, jobs=1)
    assert [(r.path, r.line, r.code, r.text) for r in run.reports] == [
        ("demo/app.py", 5, "CCL201", "time.sleep(1)")
    ]
    assert [r.path for r in run.unanalyzable] == ["demo/broken.py"]
    assert run.crashes == []


def test_judged_reports_are_added_and_a_second_judgement_replaces_the_first() -> None:
    item = {
        "project": "demo",
        "path": "demo/app.py",
        "line": 5,
        "code": "CCL201",
        "message": "m",
        "text": "time.sleep(1)",
        "file": "/cache/demo/app.py",
        "verdict": "TP",
        "reason": "blocks",
    }
    once = add_verdicts(VerdictFile(), [item], "judged.json")
    twice = add_verdicts(once, [{**item, "verdict": "FP", "reason": "never runs"}], "judged.json")
    assert [(v.verdict, v.reason) for v in once.verdicts] == [("TP", "blocks")]
    assert [(v.verdict, v.reason) for v in twice.verdicts] == [("FP", "never runs")]
    with pytest.raises(VerdictError, match=r"judged\.json: item #1: missing `reason`"):
        add_verdicts(
            VerdictFile(), [{k: v for k, v in item.items() if k != "reason"}], "judged.json"
        )


def test_an_unknown_project_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", "no-such-project"]) == 2
    assert capsys.readouterr().err == "error: not in projects.txt: no-such-project\n"


def test_a_half_unpacked_project_is_unpacked_again(tmp_path: Path) -> None:
    _wheel(tmp_path / "downloads" / "demo-1.0")
    stale = tmp_path / "src" / "demo-1.0"
    stale.mkdir(parents=True)
    (stale / "leftover.py").write_text("x = 1\n")
    root = project_root(Project("demo", "1.0"), tmp_path)
    assert not (root / "leftover.py").exists() and (root / "demo" / "app.py").is_file()
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["demo-1.0"]


def test_a_project_over_its_time_is_a_crash(tmp_path: Path) -> None:
    _wheel(tmp_path / "downloads" / "demo-1.0")
    run = lint_project("demo", project_root(Project("demo", "1.0"), tmp_path), 1, timeout=0.01)
    assert run.crashes == ["demo: no result after 0 s"] and run.reports == []
