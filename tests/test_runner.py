"""Running many files: parallel output equals serial output, and progress is shown on a
terminal only."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from test_screen import stdlib_sample

from concurlint.cli import _is_interactive
from concurlint.config import Settings
from concurlint.runner import Progress, lint_paths


def _corpus() -> list[str]:
    return [*sorted(str(path) for path in FIXTURES.rglob("*.py")), *stdlib_sample()]


def test_parallel_output_equals_serial_output() -> None:
    settings = Settings(root=ROOT)
    assert lint_paths(_corpus(), settings, jobs=2) == lint_paths(_corpus(), settings, jobs=1)


def test_output_order_does_not_depend_on_input_order() -> None:
    settings = Settings(root=ROOT)
    paths = sorted(str(path) for path in FIXTURES.rglob("*.py"))
    assert lint_paths(paths[::-1], settings, jobs=2) == lint_paths(paths, settings, jobs=2)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_files_and_erases_itself() -> None:
    stream = _Terminal()
    progress = Progress(3, stream)
    for _ in range(3):
        progress.advance()
    progress.close()
    assert "3/3 files" in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_only_on_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert _is_interactive(_Terminal()) and not _is_interactive(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not _is_interactive(_Terminal())


def test_piped_run_prints_no_progress(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n")
    completed = subprocess.run(
        [sys.executable, "-m", "concurlint", "--no-cache", "a.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert "\r" not in completed.stderr and "files" not in completed.stderr
