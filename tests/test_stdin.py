"""``concurlint -`` lints standard input; ``--stdin-filename`` gives it a name and settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_cli import BLOCKING


def run_stdin(args: list[str], cwd: Path, text: str = BLOCKING) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concurlint", "--no-cache", *args],
        cwd=cwd, input=text, capture_output=True, text=True,
    )


def test_dash_reads_standard_input(tmp_path: Path) -> None:
    completed = run_stdin(["-"], tmp_path)
    assert completed.returncode == 1
    assert completed.stdout.startswith("-:5:5: CCL201 `time.sleep()` blocks")


def test_stdin_filename_names_the_reports(tmp_path: Path) -> None:
    completed = run_stdin(["--stdin-filename", "pkg/mod.py", "-"], tmp_path)
    assert completed.stdout.startswith("pkg/mod.py:5:5: CCL201")


def test_stdin_filename_gets_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.concurlint]\nper-file-ignores = { 'tests/*' = ['CCL201'] }\n"
    )
    completed = run_stdin(["--stdin-filename", "tests/t.py", "-"], tmp_path)
    assert (completed.returncode, completed.stdout) == (0, "All checks passed!\n")


def test_stdin_filename_excluded_with_force_exclude(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\nextend-exclude = ['gen']\n")
    completed = run_stdin(["--force-exclude", "--stdin-filename", "gen/x.py", "-"], tmp_path)
    assert (completed.returncode, completed.stdout) == (0, "")


def test_fix_writes_the_fixed_source_to_stdout(tmp_path: Path) -> None:
    completed = run_stdin(["--fix", "--stdin-filename", "a.py", "-"], tmp_path)
    assert "await asyncio.sleep(1)" in completed.stdout
    assert "import asyncio" in completed.stdout
    assert "Found 1 error (1 fixed, 0 remaining)." in completed.stderr
    assert completed.returncode == 0
    assert not (tmp_path / "a.py").exists()


def test_fix_of_an_excluded_name_echoes_the_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\nextend-exclude = ['gen']\n")
    args = ["--fix", "--force-exclude", "--stdin-filename", "gen/x.py", "-"]
    assert run_stdin(args, tmp_path).stdout == BLOCKING


def test_diff_of_standard_input(tmp_path: Path) -> None:
    completed = run_stdin(["--diff", "--stdin-filename", "a.py", "-"], tmp_path)
    assert "+    await asyncio.sleep(1)" in completed.stdout
    assert completed.returncode == 1
