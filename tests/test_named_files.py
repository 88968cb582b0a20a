"""The project is the project, whatever files are named: ``concurlint file.py`` and
``flake8 file.py`` report on a file exactly what ``concurlint .`` reports on it, with or
without a cache, over the test packages of tests/data/project (whose reports need the
facts of other modules)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from concurlint import cli
from concurlint.cache import CACHE_DIR
from concurlint.config import Settings
from concurlint.files import discover

CASES = ROOT / "tests" / "data" / "project"
FORMAT = "%(path)s:%(row)d:%(col)d: %(code)s %(text)s"
Report = tuple[str, int, int, str]


@pytest.fixture(params=["app", "procs"])
def case(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of one test package, as the working folder."""
    folder = Path(shutil.copytree(CASES / request.param, tmp_path / request.param,
                                 ignore=shutil.ignore_patterns(CACHE_DIR)))  # a local run's
    monkeypatch.chdir(folder)
    return folder


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> set[Report]:
    cli.main(["--format", "json", "-q", "-j", "1", *args])
    return {
        (item["path"], item["line"], item["column"], f"{item['code']} {item['message']}")
        for item in json.loads(capsys.readouterr().out)
    }


def run_flake8(paths: list[str]) -> set[Report]:
    """flake8 checks the files one by one: each named file is a one-file run."""
    completed = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CCL", f"--format={FORMAT}", *paths],
        capture_output=True, text=True,
    )
    assert not completed.stderr, completed.stderr
    found = set()
    for line in completed.stdout.splitlines():
        path, row, column, message = line.split(":", 3)
        found.add((path.removeprefix("./"), int(row), int(column), message.strip()))
    return found


def source_files(folder: Path) -> list[str]:
    paths, _ = discover(["."], Settings(root=folder))
    return paths


def test_one_file_runs_report_what_the_project_run_reports(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = run_cli(["--no-cache", "."], capsys)
    assert any(report[3].startswith("CCL201") for report in whole) or any(
        report[3].startswith("CCL303") for report in whole)
    for path in source_files(case):
        expected = {report for report in whole if report[0] == path}
        assert run_cli(["--no-cache", path], capsys) == expected, path
    assert run_cli(["."], capsys) == whole  # fills the cache
    for path in source_files(case):
        expected = {report for report in whole if report[0] == path}
        assert run_cli([path], capsys) == expected, path


def test_a_one_file_run_first_reports_what_the_project_run_reports_after(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cold cache filled by a one-file run serves the whole run the same facts."""
    paths = source_files(case)
    named = {path: run_cli([path], capsys) for path in paths}
    whole = run_cli(["."], capsys)
    assert set().union(*named.values()) == whole


def test_flake8_reports_what_the_project_run_reports_with_or_without_a_cache(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [path for path in source_files(case) if path.endswith(".py")]
    whole = {report for report in run_cli(["--no-cache", "."], capsys) if report[0] in paths}
    assert not (case / CACHE_DIR).exists()
    assert run_flake8(paths) == whole
    run_cli(["."], capsys)
    assert (case / CACHE_DIR).exists()
    assert run_flake8(paths) == whole
