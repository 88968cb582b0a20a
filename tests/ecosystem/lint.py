"""concurlint over one unpacked project, in a subprocess exactly as a user runs it: JSON out,
the project pass on, the result cache off so that every run analyses every file."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .place import Place
from .projects import CONFIG_NAME

UNANALYZABLE = "CCL001"
INTERNAL_ERROR = "internal error"
TIMEOUT_SECONDS = 1800
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Report(Place):
    """One report of concurlint, matched to its verdict by its place."""

    message: str


@dataclass
class ProjectRun:
    project: str
    root: Path
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # user + system of concurlint's processes: steadier when shared
    reports: list[Report] = field(default_factory=list)
    unanalyzable: list[Report] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


def lint_project(name: str, root: Path, jobs: int) -> ProjectRun:
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
    started, cpu_started = time.monotonic(), _children_cpu()
    try:
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        run.seconds, run.cpu_seconds = time.monotonic() - started, _children_cpu() - cpu_started
        run.crashes.append(f"{name}: no result after {TIMEOUT_SECONDS} s")
        return run
    run.seconds, run.cpu_seconds = time.monotonic() - started, _children_cpu() - cpu_started
    try:
        items = json.loads(done.stdout)
    except json.JSONDecodeError:
        items = None
    if done.returncode != 0 or not isinstance(items, list):
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        run.crashes.append(f"{name}: concurlint exited {done.returncode}: {lines[-1]}")
        return run
    lines_of = _LineReader(root)
    for item in items:
        path, line = item["path"], item["line"]
        report = Report(
            name, path, line, item["code"], lines_of.text(path, line), message=item["message"]
        )
        if report.code != UNANALYZABLE:
            run.reports.append(report)
        elif INTERNAL_ERROR in report.message:
            run.crashes.append(f"{name}: {report.path}:{report.line}: {report.message}")
        else:
            run.unanalyzable.append(report)
    return run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
