"""The CLI contract other tools depend on: formats, exit codes, selection, fixes, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from concurlint.cli import main

BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concurlint", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(BLOCKING)
    (tmp_path / "pkg" / "clean.py").write_text("x = 1\n")
    return tmp_path


def test_text_output_and_exit_code_one(project: Path) -> None:
    completed = run(["pkg"], project)
    assert completed.returncode == 1
    report, *summary = completed.stdout.splitlines()
    assert report.startswith("pkg/a.py:5:5: CCL201 `time.sleep()` blocks")
    assert report.endswith("[*]")
    assert summary == ["Found 1 error.", "[*] 1 fixable with `--fix`."]


def test_clean_run_exits_zero(project: Path) -> None:
    completed = run(["pkg/clean.py"], project)
    assert (completed.returncode, completed.stdout) == (0, "All checks passed!\n")


def test_json_output_fields(project: Path) -> None:
    completed = run(["--format", "json", "pkg"], project)
    (item,) = json.loads(completed.stdout)
    assert item["code"] == "CCL201"
    assert item["name"] == "blocking-call-in-coroutine"
    assert (item["path"], item["line"], item["column"]) == ("pkg/a.py", 5, 5)
    assert (item["end_line"], item["end_column"]) == (5, 18)
    assert item["fixable"] is True
    assert item["url"].startswith("https://almightyai.github.io/python/docs/part8/chapter4/")


def test_ignore_prefix_silences(project: Path) -> None:
    assert run(["--ignore", "CCL2", "pkg"], project).returncode == 0


def test_more_specific_select_beats_ignore(project: Path) -> None:
    assert run(["--ignore", "CCL2", "--select", "CCL201", "pkg"], project).returncode == 1


def test_unknown_code_is_a_usage_error(project: Path) -> None:
    completed = run(["--select", "CCL999", "pkg"], project)
    assert completed.returncode == 2
    assert "unknown rule code" in completed.stderr


def test_unknown_config_key_is_an_error(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.concurlint]\nselectt = ['CCL']\n")
    completed = run(["pkg"], project)
    assert completed.returncode == 2
    assert "unknown key `selectt`" in completed.stderr


def test_config_ignore_and_per_file_ignores(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.concurlint]\nper-file-ignores = { 'pkg/a.py' = ['CCL201'] }\n"
    )
    assert run(["pkg"], project).returncode == 0


def test_config_exclude(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.concurlint]\nextend-exclude = ['pkg']\n")
    assert run(["."], project).returncode == 0


def test_extend_blocking_calls_from_config(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.concurlint]\nextend-blocking-calls = ['mylib.sync_fetch']\n"
    )
    (project / "pkg" / "a.py").write_text(
        "from mylib import sync_fetch\n\nasync def f():\n    sync_fetch()\n"
    )
    completed = run(["pkg"], project)
    assert "`mylib.sync_fetch()` blocks the event loop" in completed.stdout


def test_syntax_error_is_reported_and_run_goes_on(project: Path) -> None:
    (project / "pkg" / "broken.py").write_text("async def f(:\n")
    completed = run(["pkg"], project)
    assert completed.returncode == 1
    assert "pkg/broken.py:1:13: CCL001 cannot analyze this file: syntax error" in completed.stdout
    assert "pkg/a.py:5:5: CCL201" in completed.stdout


def test_syntax_error_in_a_file_no_rule_screens_in_is_reported(project: Path) -> None:
    (project / "pkg" / "broken.py").write_text("x = (\n")
    completed = run(["pkg/broken.py"], project)
    assert completed.stdout.startswith(
        "pkg/broken.py:1:5: CCL001 cannot analyze this file: syntax error"
    )


def test_missing_path_is_reported(project: Path) -> None:
    completed = run(["nope.py"], project)
    assert (
        "nope.py:1:1: CCL001 cannot analyze this file: no such file or directory"
        in completed.stdout
    )


def test_fix_rewrites_and_adds_nothing_else(project: Path) -> None:
    completed = run(["--fix", "pkg"], project)
    assert completed.returncode == 0
    assert (project / "pkg" / "a.py").read_text() == (
        "import asyncio\nimport time\n\n\nasync def f():\n    await asyncio.sleep(1)\n"
    )


def test_diff_writes_nothing(project: Path) -> None:
    completed = run(["--diff", "pkg"], project)
    assert completed.returncode == 1
    assert "+    await asyncio.sleep(1)" in completed.stdout
    assert (project / "pkg" / "a.py").read_text() == BLOCKING


def test_output_is_identical_in_parallel_and_in_any_order(project: Path) -> None:
    for index in range(6):
        (project / "pkg" / f"m{index}.py").write_text(BLOCKING)
    serial = run(["--jobs", "1", "pkg"], project).stdout
    parallel = run(["--jobs", "2", "pkg/m5.py", "pkg"], project).stdout
    assert serial == parallel


def test_list_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-rules"]) == 0
    assert "CCL203  task-reference-lost" in capsys.readouterr().out
    assert main(["--explain", "ccl204"]) == 0
    assert "event-loop-in-coroutine" in capsys.readouterr().out


def test_no_cache_and_exit_zero(project: Path) -> None:
    assert run(["--no-cache", "--exit-zero", "pkg"], project).returncode == 0
