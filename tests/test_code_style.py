"""Our own code passes the linter configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_ruff_finds_nothing_in_the_sources_and_tests() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "src", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_mypy_finds_nothing_in_the_sources() -> None:
    """The settings are pyproject.toml's ``[tool.mypy]`` (strict); the cache lives in the
    environment, so a second run only re-checks what changed."""
    from mypy import api

    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(Path(sys.prefix) / "mypy_cache"),
            str(ROOT / "src"),
        ]
    )
    assert status == 0, stdout + stderr
