"""Runs this checkout's concurlint on a tree as a user would (JSON output, no cache) and reads
its reports; a crash or unreadable output is an error, never an empty result."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .matching import Report


class LintError(RuntimeError):
    """concurlint failed (exit code 2) or printed something that is not its JSON report."""


def lint(root: Path, paths: Sequence[str], jobs: int = 2) -> list[Report]:
    """Lint ``paths`` (relative to ``root``) as one project, from ``root``."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "concurlint",
            "--format",
            "json",
            "--no-cache",
            "--exit-zero",
            "--quiet",
            "--jobs",
            str(jobs),
            *paths,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if completed.returncode != 0:
        raise LintError(f"concurlint exited {completed.returncode}: {completed.stderr[-2000:]}")
    try:
        raw = json.loads(completed.stdout or "[]")
    except json.JSONDecodeError as error:
        raise LintError(f"unreadable concurlint output: {error}") from error
    return [Report(Path(item["path"]).as_posix(), item["line"], item["code"]) for item in raw]
