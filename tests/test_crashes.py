"""What used to end a run in a traceback or lose its output: each is one clear line now, the
run goes on, and an error of concurlint itself exits 2."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from concurlint import cli, engine
from concurlint.cli import main

BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
LOCKED = (
    "import threading\n\nlock = threading.Lock()\n\n\n"
    "def f():\n    lock.acquire()\n    print(1)\n    lock.release()"
)
UNGUARDED = (
    "import multiprocessing\n\n\ndef work():\n    pass\n\n\n"
    "p = multiprocessing.Process(target=work)\np.start()"
)
UNDECODABLE = b"b\xe9.py"  # a file name that is not UTF-8
HANG = 300  # a hang guard for subprocesses, not a timing assertion


def _lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--jobs", "1", "--no-cache", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.py").write_text(BLOCKING)
    return tmp_path


@pytest.mark.parametrize(("text", "code"), [(LOCKED, "CCL103"), (UNGUARDED, "CCL303")])
def test_file_without_final_line_break_keeps_its_reports(
    folder: Path, capsys: pytest.CaptureFixture[str], text: str, code: str
) -> None:
    """A whole-module fix spans the module, whose end libcst places past the last line."""
    (folder / "last.py").write_text(text)
    status, out, _ = _lint(capsys, "--quiet", "--unsafe-fixes", "last.py")
    assert [line.split()[1] for line in out.splitlines()] == [code]
    assert status == 1


def _tree(folder: Path, files: int, calls: int) -> None:
    body = "".join(f"    time.sleep({index + 1})\n" for index in range(calls))
    for index in range(files):
        (folder / f"m{index:03}.py").write_text(f"import time\n\n\nasync def f():\n{body}")


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def _start(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "concurlint", "--no-cache", *args, "."], cwd=folder,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def _wait_for_workers(run: subprocess.Popen[str]) -> list[int]:
    deadline = time.monotonic() + HANG
    while run.poll() is None and time.monotonic() < deadline:
        workers = _children(run.pid)
        if workers:
            return workers
        time.sleep(0.05)
    pytest.fail("the run started no worker process")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_killed_worker_loses_no_report(folder: Path) -> None:
    """What the OOM killer does: every file is still reported."""
    _tree(folder, files=150, calls=20)
    run = _start(folder, "--jobs", "2")
    os.kill(_wait_for_workers(run)[0], signal.SIGKILL)
    out, err = run.communicate(timeout=HANG)
    assert "Traceback" not in err
    assert out.count("CCL201") == 150 * 20 + 1
    assert run.returncode == 1


def _kill_on_poison(task: str) -> str:
    if task == "poison":
        os.kill(os.getpid(), signal.SIGKILL)
    return task.upper()


def test_task_that_kills_every_worker_is_lost_alone() -> None:
    from concurlint.workers import DIED, Pool

    tasks = [f"t{index}" for index in range(12)]
    tasks.insert(5, "poison")
    results = Pool(_kill_on_poison, 2).map(tasks)
    assert results == [DIED if task == "poison" else task.upper() for task in tasks]


def _large_answer(task: int) -> bytes:
    return bytes([task % 256]) * 2_000_000  # long to write: a kill often lands mid-write


def test_workers_killed_at_random_moments_never_hang_the_pool() -> None:
    """A worker killed halfway through writing its answer, or while reading its task, costs
    at most that task; every other answer arrives whole."""
    from concurlint.workers import DIED, Pool

    killing = threading.Event()

    def kill_workers() -> None:
        while not killing.wait(0.003):
            workers = _children(os.getpid())
            if workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(random.choice(workers), signal.SIGKILL)

    killer = threading.Thread(target=kill_workers, daemon=True)
    killer.start()
    outcome: list[object] = []
    runner = threading.Thread(target=lambda: outcome.append(Pool(_large_answer, 2).map(
        list(range(60)))), daemon=True)
    runner.start()
    runner.join(HANG)
    killing.set()
    assert not runner.is_alive(), "the pool hung"
    [results] = outcome
    assert all(result in (DIED, _large_answer(task)) for task, result in enumerate(results))


def _unshare_available() -> bool:
    return shutil.which("unshare") is not None and os.geteuid() == 0


@pytest.mark.skipif(not _unshare_available(), reason="a read-only /dev/shm needs root, unshare")
def test_read_only_dev_shm_still_runs_workers(folder: Path) -> None:
    """Workers talk over pipes of their own, which need no semaphore in ``/dev/shm``."""
    _tree(folder, files=80, calls=1)
    command = (f"mount -t tmpfs -o ro tmpfs /dev/shm && "
               f"{sys.executable} -m concurlint --no-cache --jobs 2 .")
    completed = subprocess.run(["unshare", "-m", "sh", "-c", command], cwd=folder,
                                capture_output=True, text=True, timeout=HANG)
    if "mount" in completed.stderr and "concurlint" not in completed.stderr:
        pytest.skip(f"cannot mount here: {completed.stderr.strip()}")
    assert completed.stdout.count("CCL201") == 81
    assert completed.stderr == ""
    assert completed.stdout.splitlines()[-2].startswith("Found 81 errors")


def test_platform_without_processes_runs_in_one_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from concurlint import workers

    def refuse(_self: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(workers.Pool, "_start", refuse)
    assert workers.Pool(str.upper, 2).map(["a", "b"]) == ["A", "B"]
    [warning] = capsys.readouterr().err.splitlines()
    assert warning.startswith("concurlint: warning: cannot start worker processes")


@pytest.mark.parametrize("output", ["text", "json", "sarif", "github"])
def test_file_name_that_is_not_utf8_is_printed(folder: Path, output: str) -> None:
    Path(os.fsdecode(UNDECODABLE)).write_text(BLOCKING)
    completed = subprocess.run(
        [sys.executable, "-m", "concurlint", "--no-cache", "--format", output, "."],
        cwd=folder, capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert b"Traceback" not in completed.stderr
    assert completed.returncode == 1
    if output in ("text", "github"):
        assert UNDECODABLE + b":5:5" in completed.stdout or UNDECODABLE + b",line=5" in \
            completed.stdout
    elif output == "json":
        paths = {item["path"] for item in json.loads(completed.stdout)}
        assert os.fsdecode(UNDECODABLE) in paths
    else:
        assert b'"uri": "b%E9.py"' in completed.stdout


@pytest.mark.parametrize("tool", ['tool = ["concurlint"]', 'tool = "concurlint"'])
def test_tool_that_is_not_a_table_is_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], tool: str
) -> None:
    (folder / "pyproject.toml").write_text(tool + "\n")
    status, out, err = _lint(capsys, ".")
    (line,) = err.splitlines()
    assert line.endswith("pyproject.toml: `tool` must be a table")
    assert (status, out) == (2, "")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_is_one_line_and_exit_130(folder: Path, jobs: str) -> None:
    _tree(folder, files=150, calls=20)
    run = subprocess.Popen(
        [sys.executable, "-m", "concurlint", "--jobs", jobs, "--cache-dir", "cache", "."],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + HANG
    while not list((folder / "cache").glob("*/*/*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # linting is under way once the first entries are written
    os.killpg(run.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the whole group
    _, err = run.communicate(timeout=HANG)
    assert (run.returncode, err) == (130, "concurlint: interrupted\n")


def test_closed_stdout_ends_quietly(folder: Path) -> None:
    _tree(folder, files=20, calls=20)
    run = _start(folder, "--jobs", "1")
    assert run.stdout is not None
    run.stdout.close()  # the reader is gone before anything is written (`| head -0`)
    _, err = run.communicate(timeout=HANG)
    assert "Traceback" not in err and "Error" not in err
    assert run.returncode == 1


def test_internal_error_in_one_file_keeps_the_others_and_exits_2(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "broken.py").write_text(BLOCKING)
    check = engine._check

    def failing(source: object, *args: object) -> object:
        if str(getattr(source, "path", "")).endswith("broken.py"):
            raise RuntimeError("a rule failed")
        return check(source, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_check", failing)
    status, out, _ = _lint(capsys, ".")
    assert "broken.py:1:1: CCL001 cannot analyze this file: internal error: RuntimeError" in out
    assert "ok.py:5:5: CCL201" in out
    assert status == 2


def test_unexpected_exception_is_one_line_and_exit_2(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("lost")

    monkeypatch.setattr(cli, "lint_paths", failing)
    status, out, err = _lint(capsys, ".")
    assert (status, out, err) == (2, "", "concurlint: error: internal error: RuntimeError: lost\n")
