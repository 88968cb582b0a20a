"""Running many files: parallel output equals serial output, and progress is shown on a
terminal only."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from test_screen import stdlib_sample

from concurlint.cli import build_parser, wants_progress
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
    progress = Progress(Progress.MIN_FILES, stream)
    for _ in range(Progress.MIN_FILES):
        progress.advance()
    progress.close()
    assert f"{Progress.MIN_FILES}/{Progress.MIN_FILES} files" in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_is_drawn_before_the_first_file_is_done() -> None:
    stream = _Terminal()
    Progress(Progress.MIN_FILES, stream)
    assert f"0/{Progress.MIN_FILES} files" in stream.getvalue()


def test_progress_is_not_drawn_for_a_short_run() -> None:
    stream = _Terminal()
    progress = Progress(1, stream)
    progress.advance()
    progress.close()
    assert stream.getvalue() == ""


def test_progress_on_a_dumb_terminal_sends_no_escape_sequence() -> None:
    stream = _Terminal()
    progress = Progress(Progress.MIN_FILES, stream, dumb=True)
    progress.advance(Progress.MIN_FILES)
    progress.close()
    assert "\x1b" not in stream.getvalue()
    assert stream.getvalue().endswith("\r")


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_progress_only_on_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert wants_progress(_args("."))
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not wants_progress(_args("."))
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.setenv("CI", "true")
    assert not wants_progress(_args("."))


def test_quiet_hides_the_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert not wants_progress(_args("-q", "."))


def test_piped_run_prints_no_progress(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n")
    completed = subprocess.run(
        [sys.executable, "-m", "concurlint", "--no-cache", "a.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert "\r" not in completed.stderr and "files" not in completed.stderr
