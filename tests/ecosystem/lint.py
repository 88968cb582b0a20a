"""concurlint over one unpacked project, in a subprocess exactly as a user runs it: JSON out,
the project pass on, the result cache off so that every run analyses every file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .place import Place
from .projects import CONFIG_NAME

UNANALYZABLE = "CCL001"
INTERNAL_ERROR = "internal error"
TIMEOUT_SECONDS = 3600  # per project; generous: a loaded shared machine is many times slower
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Report(Place):
    """One report of concurlint, matched to its verdict by its place; ``file`` is the
    absolute path of the reported file in the download cache, for the judges."""

    message: str
    file: str = ""


@dataclass
class ProjectRun:
    project: str
    root: Path
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # user + system of concurlint's processes: steadier when shared
    reports: list[Report] = field(default_factory=list)
    unanalyzable: list[Report] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


def lint_project(name: str, root: Path, jobs: int, timeout: float = TIMEOUT_SECONDS) -> ProjectRun:
    """Lint ``root`` as one project; a failure of the run becomes a crash line, never an
    exception, so that one project cannot stop the others."""
    run = ProjectRun(name, root)
    command = [
        sys.executable,
        "-m",
        "concurlint",
        "--config",
        CONFIG_NAME,
        "--format",
        "json",
        "--no-cache",
        "--exit-zero",
        "--jobs",
        str(jobs),
        ".",
    ]
    started = time.monotonic()
    finished = _run_timed(command, root, timeout)
    run.seconds, run.cpu_seconds = time.monotonic() - started, finished.cpu_seconds
    if finished.timed_out:
        run.crashes.append(f"{name}: no result after {timeout:.0f} s")
        return run
    try:
        items = json.loads(finished.stdout)
    except json.JSONDecodeError:
        items = None
    if finished.returncode != 0 or not isinstance(items, list):
        lines = (finished.stderr or finished.stdout).strip().splitlines() or ["no output"]
        run.crashes.append(f"{name}: concurlint exited {finished.returncode}: {lines[-1]}")
        return run
    lines_of = _LineReader(root)
    for item in items:
        path, line = item["path"], item["line"]
        report = Report(
            name,
            path,
            line,
            item["code"],
            lines_of.text(path, line),
            message=item["message"],
            file=str(root / path),
        )
        if report.code != UNANALYZABLE:
            run.reports.append(report)
        elif INTERNAL_ERROR in report.message:
            run.crashes.append(f"{name}: {report.path}:{report.line}: {report.message}")
        else:
            run.unanalyzable.append(report)
    return run


@dataclass(frozen=True)
class _Finished:
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float
    timed_out: bool


def _run_timed(command: list[str], cwd: Path, timeout: float) -> _Finished:
    """Run ``command`` and measure the CPU time of it and its workers alone (``wait4``), so
    that projects linted at once do not share each other's time."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            process.kill()

        timer = threading.Timer(timeout, expire)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return _Finished(
            process.returncode,
            out.read().decode("utf-8", errors="replace"),
            err.read().decode("utf-8", errors="replace"),
            usage.ru_utime + usage.ru_stime,
            timed_out=expired.is_set(),
        )


class _LineReader:
    """The stripped text of a file's line, each file read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lines: dict[str, list[str]] = {}

    def text(self, path: str, line: int) -> str:
        if path not in self._lines:
            try:
                source = (self.root / path).read_bytes().decode("utf-8", errors="replace")
            except OSError:
                source = ""
            self._lines[path] = _LINE_BREAK.split(source)  # the linter's own line breaks
        lines = self._lines[path]
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""
