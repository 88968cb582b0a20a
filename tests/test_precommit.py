"""The pre-commit hooks really install from this repository and report (``pre-commit try-repo``).

try-repo installs from a commit, and only tracked changes reach it: the test commits a
snapshot of the working tree (tracked and untracked, minus ignored files) to a temporary
repository and tries that, so it checks what is on disk, committed or not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
GOOD = "import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n"
FIXED = "import asyncio\nimport time\n\n\nasync def f():\n    await asyncio.sleep(1)\n"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "concurlint tests", "GIT_AUTHOR_EMAIL": "tests@concurlint.invalid",
    "GIT_COMMITTER_NAME": "concurlint tests", "GIT_COMMITTER_EMAIL": "tests@concurlint.invalid",
}


def git(args: list[str], cwd: Path) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV},
        capture_output=True, text=True, check=True,
    )
    return completed.stdout


def commit_all(folder: Path) -> None:
    git(["init", "-q"], folder)
    git(["add", "-A"], folder)
    git(["commit", "-q", "-m", "snapshot"], folder)


def snapshot_of_this_repository(target: Path) -> Path:
    listed = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    commit_all(target)
    return target


@pytest.fixture(scope="module")
def tried(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    if shutil.which("git") is None:
        pytest.fail("git is required to try the pre-commit hooks")
    base = tmp_path_factory.mktemp("precommit")
    hooks = snapshot_of_this_repository(base / "concurlint")
    project = base / "project"
    project.mkdir()
    (project / "bad.py").write_text(BLOCKING)
    (project / "good.py").write_text(GOOD)
    commit_all(project)
    completed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "--all-files",
         "--color", "never"],
        cwd=project,
        env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(base / "cache")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    return completed, project


def test_check_hook_installs_and_reports_the_bad_file_only(
    tried: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, _ = tried
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "bad.py:5:5: CCL201 `time.sleep()` blocks the event loop" in output
    assert "good.py" not in output


def test_fix_hook_rewrites_the_bad_file_and_fails(
    tried: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, project = tried
    assert "files were modified by this hook" in completed.stdout
    assert (project / "bad.py").read_text() == FIXED
