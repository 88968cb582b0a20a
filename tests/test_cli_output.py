"""What a run prints, as ruff prints it: the summary on stdout, fix counts, hidden unsafe
fixes, output formats and files, colour, and the `full` format."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import BLOCKING, run

# requests.get gets an unsafe fix (asyncio.to_thread); time.sleep a safe one.
MIXED = (
    "import requests\nimport time\n\n\nasync def f(url):\n    requests.get(url)\n"
    "    time.sleep(1)\n"
)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text(MIXED)
    return tmp_path


def summary(completed: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in completed.stdout.splitlines() if not line.startswith("a.py:")]


def test_summary_goes_to_stdout_and_names_hidden_unsafe_fixes(mixed: Path) -> None:
    completed = run(["--no-cache", "a.py"], mixed)
    assert completed.stderr == ""
    assert summary(completed) == [
        "Found 2 errors.",
        "[*] 1 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`).",
    ]


def test_unsafe_fixes_count_as_fixable_when_enabled(mixed: Path) -> None:
    completed = run(["--no-cache", "--unsafe-fixes", "a.py"], mixed)
    assert summary(completed) == ["Found 2 errors.", "[*] 2 fixable with `--fix`."]


def test_fix_reports_fixed_and_remaining(mixed: Path) -> None:
    completed = run(["--no-cache", "--fix", "a.py"], mixed)
    assert summary(completed) == [
        "Found 2 errors (1 fixed, 1 remaining).",
        "1 unsafe fix available with `--fix --unsafe-fixes`.",
    ]


def test_fix_of_everything_counts_it(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BLOCKING)
    completed = run(["--no-cache", "--fix", "a.py"], tmp_path)
    fixed = "Found 1 error (1 fixed, 0 remaining).\n"
    assert (completed.returncode, completed.stdout) == (0, fixed)


def test_diff_with_only_unsafe_fixes_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(MIXED.replace("    time.sleep(1)\n", ""))
    completed = run(["--no-cache", "--diff", "a.py"], tmp_path)
    assert completed.stderr == "No errors would be fixed (1 fix available with `--unsafe-fixes`).\n"


def test_show_fixes_under_fix_lists_what_was_fixed(mixed: Path) -> None:
    completed = run(["--no-cache", "--fix", "--show-fixes", "a.py"], mixed)
    assert "Fixed 1 error:\n- a.py:\n    1 \N{MULTIPLICATION SIGN} CCL201 " in completed.stdout


@pytest.mark.parametrize("flag", ["--output-format", "--format"])
def test_output_format_and_its_alias(mixed: Path, flag: str) -> None:
    assert run(["--no-cache", flag, "concise", "a.py"], mixed).stdout.startswith("a.py:6:5: ")


def test_output_file_receives_the_report(mixed: Path) -> None:
    completed = run(["--no-cache", "--output-file", "report.txt", "a.py"], mixed)
    assert (completed.returncode, completed.stdout) == (1, "")
    written = (mixed / "report.txt").read_text()
    assert written.startswith("a.py:6:5: CCL201") and "Found 2 errors." in written


def test_output_file_that_cannot_be_written_is_one_line(mixed: Path) -> None:
    completed = run(["--no-cache", "--output-file", "missing/report.txt", "a.py"], mixed)
    assert completed.returncode == 2
    assert completed.stderr == (
        "concurlint: error: missing/report.txt: cannot write: No such file or directory\n"
    )


def test_machine_formats_get_no_summary(mixed: Path) -> None:
    completed = run(["--no-cache", "--output-format", "json", "a.py"], mixed)
    assert completed.stdout.startswith("[") and "Found" not in completed.stdout


def test_full_format_shows_the_line_a_caret_and_help(mixed: Path) -> None:
    completed = run(["--no-cache", "--output-format", "full", "a.py"], mixed)
    block = completed.stdout.split("\n\n")[1].splitlines()
    assert block[0].startswith("CCL201 [*] `time.sleep()` blocks the event loop")
    assert block[1] == " --> a.py:7:5"
    assert "7 |     time.sleep(1)" in block
    assert "  |     ^^^^^^^^^^^^^" in block
    assert block[-1].startswith("help: https://")


def test_full_format_shows_the_call_chain(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text("import time\n\n\ndef save():\n    time.sleep(1)\n")
    (tmp_path / "app.py").write_text("from store import save\n\n\nasync def f():\n    save()\n")
    completed = run(["--no-cache", "--output-format", "full", "app.py", "store.py"], tmp_path)
    assert "note: call chain: store.save() -> time.sleep()" in completed.stdout


def test_full_format_with_show_fixes_shows_the_diff(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BLOCKING)
    completed = run(["--no-cache", "--output-format", "full", "--show-fixes", "a.py"], tmp_path)
    assert "  -     time.sleep(1)\n5 +     await asyncio.sleep(1)\n" in completed.stdout


def _on_a_terminal(args: list[str], cwd: Path, **environ: str) -> str:
    """Run with stdout on a pseudo-terminal; returns what the terminal received."""
    leader, follower = pty.openpty()
    env = {key: value for key, value in os.environ.items()
           if key not in ("NO_COLOR", "FORCE_COLOR", "CI")}
    env.update({"TERM": "xterm", **environ})
    with subprocess.Popen(
        [sys.executable, "-m", "concurlint", "--no-cache", *args],
        cwd=cwd, stdout=follower, stderr=subprocess.DEVNULL, env=env,
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait()
    os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_a_terminal_gets_the_full_format_in_colour(mixed: Path) -> None:
    shown = _on_a_terminal(["a.py"], mixed)
    assert " --> a.py:7:5" in shown.replace("\x1b[34m-->\x1b[0m", "-->")
    assert "\x1b[" in shown


def test_no_color_wins_on_a_terminal(mixed: Path) -> None:
    assert "\x1b[" not in _on_a_terminal(["a.py"], mixed, NO_COLOR="1")


def test_dumb_terminal_gets_no_colour(mixed: Path) -> None:
    assert "\x1b[" not in _on_a_terminal(["a.py"], mixed, TERM="dumb")


def test_force_color_colours_a_pipe(mixed: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "concurlint", "--no-cache", "a.py"],
        cwd=mixed, capture_output=True, text=True,
        env={**os.environ, "FORCE_COLOR": "1", "NO_COLOR": ""},
    )
    assert "\x1b[1;31mCCL201\x1b[0m" in completed.stdout


def test_a_pipe_gets_concise_without_colour(mixed: Path) -> None:
    completed = run(["--no-cache", "a.py"], mixed)
    assert completed.stdout.startswith("a.py:6:5: CCL201") and "\x1b[" not in completed.stdout
