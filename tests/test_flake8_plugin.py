"""``flake8 --select CCL`` must report exactly what ``concurlint`` reports, and obey flake8's
own suppression and selection as well as ``[tool.concurlint]``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

FORMAT = "%(path)s:%(row)d:%(col)d: %(code)s %(text)s"
BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
Report = tuple[str, int, int, str]


def flake8(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CCL", f"--format={FORMAT}", *args],
        cwd=cwd, capture_output=True, text=True,
    )


def concurlint(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concurlint", *args], cwd=cwd, capture_output=True, text=True
    )


def flake8_reports(stdout: str) -> list[Report]:
    reports = []
    for line in stdout.splitlines():
        path, row, col, message = line.split(":", 3)
        reports.append((path, int(row), int(col), message.strip()))
    return reports


def cli_reports(stdout: str) -> list[Report]:
    return [
        (item["path"], item["line"], item["column"], f"{item['code']} {item['message']}")
        for item in json.loads(stdout)
    ]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text(BLOCKING)
    return tmp_path


def test_flake8_reports_exactly_what_the_cli_reports_on_the_fixtures() -> None:
    via_flake8 = flake8_reports(flake8(["fixtures"], ROOT).stdout)
    via_cli = cli_reports(concurlint(["--format", "json", "fixtures"], ROOT).stdout)
    assert via_cli, "the fixtures must produce reports to compare"
    assert sorted(via_flake8) == sorted(via_cli)


def test_flake8_exit_code_and_location(project: Path) -> None:
    completed = flake8(["a.py"], project)
    assert completed.returncode == 1
    assert completed.stdout.startswith("a.py:5:5: CCL201 `time.sleep()` blocks the event loop")


def test_flake8_noqa_silences(project: Path) -> None:
    (project / "a.py").write_text(BLOCKING.replace("sleep(1)", "sleep(1)  # noqa:CCL201"))
    assert flake8(["a.py"], project).stdout == ""


def test_flake8_extend_ignore_silences(project: Path) -> None:
    assert flake8(["--extend-ignore", "CCL201", "a.py"], project).stdout == ""


def test_flake8_honours_concurlint_settings(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.concurlint]\nignore = ['CCL201']\n")
    completed = flake8(["a.py"], project)
    assert (completed.returncode, completed.stdout) == (0, "")


def test_flake8_fails_loudly_on_a_bad_concurlint_setting(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.concurlint]\nselect = ['CCL999']\n")
    completed = flake8(["a.py"], project)
    assert completed.returncode != 0
    assert "failed during execution" in completed.stdout + completed.stderr
    assert "unknown rule code or prefix `CCL999`" in completed.stdout + completed.stderr


def test_flake8_sees_other_modules_only_once_a_cache_exists(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    (tmp_path / "helpers.py").write_text("import time\n\n\ndef nap():\n    time.sleep(1)\n")
    (tmp_path / "app.py").write_text("from helpers import nap\n\n\nasync def f():\n    nap()\n")
    assert flake8_reports(flake8(["app.py"], tmp_path).stdout) == []
    concurlint(["."], tmp_path)  # leaves the cache with every module's summary
    (report,) = flake8_reports(flake8(["app.py"], tmp_path).stdout)
    assert report[:3] == ("app.py", 5, 5)
    assert "(helpers.nap() -> time.sleep())" in report[3]


def test_flake8_sees_threads_started_by_other_modules_once_a_cache_exists(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    (tmp_path / "counters.py").write_text("total = 0\n\n\ndef count():\n"
                                          "    global total\n    total += 1\n")
    (tmp_path / "main.py").write_text("import threading\n\nfrom counters import count\n\n"
                                      "for _ in range(4):\n"
                                      "    threading.Thread(target=count).start()\n")
    assert flake8_reports(flake8(["counters.py"], tmp_path).stdout) == []
    concurlint(["."], tmp_path)
    (report,) = flake8_reports(flake8(["counters.py"], tmp_path).stdout)
    assert report[:3] == ("counters.py", 6, 5)
    assert "(started in a loop in `main`)" in report[3]


@pytest.mark.parametrize(
    "directive",
    [
        "# concurlint: noqa",
        "# flake8: noqa",
        "# flake8: noqa: CCL203",
        "x = 1  # flake8: noqa",
        "x = 1  # noqa: CCL201",
    ],
)
def test_plugin_and_command_agree_on_noqa_directives(tmp_path: Path, directive: str) -> None:
    (tmp_path / "a.py").write_text(directive + "\n" + BLOCKING)
    plugin = flake8_reports(flake8(["a.py"], tmp_path).stdout)
    command = cli_reports(concurlint(["--no-cache", "--format", "json", "a.py"], tmp_path).stdout)
    assert plugin == command


FLAKE8_IN_PROCESS = """import sys
from flake8.main.cli import main
status = main(sys.argv[1:])
print("engine loaded" if "concurlint.engine" in sys.modules else "engine not loaded")
"""


def flake8_in_one_process(args: list[str], cwd: Path) -> str:
    """flake8's output followed by whether concurlint's engine was ever imported (-j 1: the
    checks run in this very process)."""
    completed = subprocess.run(
        [sys.executable, "-c", FLAKE8_IN_PROCESS, "-j", "1", f"--format={FORMAT}", *args],
        cwd=cwd, capture_output=True, text=True,
    )
    return completed.stdout


@pytest.mark.parametrize(
    "selection", [["--select", "E,W,F"], ["--select", "CCL", "--extend-ignore", "CCL"]]
)
def test_flake8_without_ccl_selected_never_loads_the_engine(
    project: Path, selection: list[str]
) -> None:
    assert flake8_in_one_process([*selection, "a.py"], project) == "engine not loaded\n"


@pytest.mark.parametrize(
    "selection",
    [[], ["--select", "E,CCL2"], ["--select", "E", "--extend-select", "CCL201"]],
    ids=["default", "prefix", "extend-select"],
)
def test_flake8_reports_when_some_ccl_code_is_selected(
    project: Path, selection: list[str]
) -> None:
    output = flake8_in_one_process([*selection, "a.py"], project)
    assert "a.py:5:5: CCL201 `time.sleep()` blocks the event loop" in output
    assert output.endswith("engine loaded\n")
