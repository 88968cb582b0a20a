"""Memory and processes stay bounded: workers die with the run, files are read one at a
time and only up to ``max-file-size``, large files are linted one at a time, and a file
named twice is linted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_crashes import HANG, _tree, _wait_for_workers

from concurlint import engine, files, project, runner
from concurlint.cli import main
from concurlint.config import Settings

BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
LARGE = 512 * 1024  # bytes: above engine.LARGE_FILE


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_exit_when_the_run_is_killed(folder: Path) -> None:
    _tree(folder, files=150, calls=20)
    run = subprocess.Popen(
        [sys.executable, "-m", "concurlint", "--no-cache", "--jobs", "2", "."], cwd=folder,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    workers = _wait_for_workers(run)
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + HANG  # a hang guard: orphans would live forever
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


class _Counted(bytes):
    """File contents that count how many of them are alive."""

    alive = 0
    most = 0

    def __new__(cls, raw: bytes) -> _Counted:
        cls.alive += 1
        cls.most = max(cls.most, cls.alive)
        return super().__new__(cls, raw)

    def __del__(self) -> None:
        type(self).alive -= 1


def test_files_are_read_one_at_a_time(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read = files.read_bytes

    def counted(path: str, *args: int | None) -> object:
        raw = read(path, *args)
        return _Counted(raw) if isinstance(raw, bytes) else raw

    for module in (files, engine, project, runner):
        monkeypatch.setattr(module, "read_bytes", counted, raising=False)
    _tree(folder, files=30, calls=1)
    paths = sorted(str(path) for path in folder.glob("*.py"))
    results = runner.lint_paths(paths, Settings(root=folder))
    assert sum(len(result.diagnostics) for result in results) == 30
    assert _Counted.most == 1


def test_file_above_max_file_size_is_skipped_with_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "pyproject.toml").write_text("[tool.concurlint]\nmax-file-size = 1000\n")
    (folder / "ok.py").write_text(BLOCKING)
    (folder / "data.py").write_text(BLOCKING + "DATA = [\n" + "    1,\n" * 200 + "]\n")
    assert main(["--no-cache", "--quiet", "--jobs", "1", "."]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "data.py:1:1: CCL001 cannot analyze this file: skipped: larger than max-file-size "
        "(1000 bytes)",
        "ok.py:5:5: CCL201 `time.sleep()` blocks the event loop inside `async def f`; "
        "use `await asyncio.sleep(...)` [*]",
    ]


@pytest.mark.parametrize("value", ['"1 MB"', "0", "true"])
def test_max_file_size_must_be_a_positive_number_of_bytes(
    folder: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    (folder / "pyproject.toml").write_text(f"[tool.concurlint]\nmax-file-size = {value}\n")
    assert main(["--no-cache", "."]) == 2
    assert "`max-file-size` must be a positive number of bytes" in capsys.readouterr().err


def _logged_lint_path(path: str, *args: object) -> object:
    """lint_path, logging when it starts and ends (the pool's workers are forked, so they
    run this replacement too)."""
    log = Path(os.environ["CONCURLINT_TEST_LOG"])
    with log.open("a") as stream:
        stream.write(f"start {path}\n")
    if Path(path).name.startswith("large"):
        time.sleep(0.2)  # gives two large files every chance to overlap
    result = _LINT_PATH(path, *args)
    with log.open("a") as stream:
        stream.write(f"end {path}\n")
    return result


_LINT_PATH = engine.lint_path


def test_large_files_are_never_linted_together(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = f'DATA = "{"a" * LARGE}"\n'  # no rule reads it with libcst
    for index in range(8):
        (folder / f"large{index}.py").write_text(data)
    _tree(folder, files=4, calls=1)
    log = folder / "log"
    monkeypatch.setenv("CONCURLINT_TEST_LOG", str(log))
    monkeypatch.setattr(engine, "lint_path", _logged_lint_path)
    paths = sorted(str(path) for path in folder.glob("*.py"))
    results = engine.lint_files(paths, Settings(root=folder), jobs=2)
    assert sum(len(result.diagnostics) for result in results) == 4
    large_running = 0
    for event, path in (line.split() for line in log.read_text().splitlines()):
        if Path(path).name.startswith("large"):
            large_running += 1 if event == "start" else -1
            assert large_running <= 1


def test_a_file_named_three_ways_is_linted_once(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "a.py").write_text(BLOCKING)
    assert main(["--no-cache", "--quiet", "a.py", "./a.py", str(folder / "a.py"), "."]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "a.py:5:5: CCL201 `time.sleep()` blocks the event loop inside `async def f`; "
        "use `await asyncio.sleep(...)` [*]",
    ]
