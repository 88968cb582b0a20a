"""The README's pre-commit configuration really installs the hook from this repository, fixes
what it can and reports the rest once.

pre-commit installs from a commit, and only tracked changes reach it: the test commits a
snapshot of the working tree (tracked and untracked, minus ignored files) to a temporary
repository and points the README's snippet at that commit, so it checks what is on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
GOOD = "import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n"
FIXED = "import asyncio\nimport time\n\n\nasync def f():\n    await asyncio.sleep(1)\n"
# No fix repairs a lost task reference: the report must remain, printed once.
LOST_TASK = "import asyncio\n\n\nasync def f():\n    asyncio.create_task(f())\n"
NOTEBOOK = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                       "outputs": [], "source": BLOCKING.splitlines(keepends=True)}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
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


def commit_all(folder: Path) -> str:
    git(["init", "-q"], folder)
    git(["add", "-A"], folder)
    git(["commit", "-q", "-m", "snapshot"], folder)
    return git(["rev-parse", "HEAD"], folder).strip()


def snapshot_of_this_repository(target: Path) -> str:
    """Commit the working tree to ``target``; returns the commit."""
    listed = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return commit_all(target)


def readme_configuration(repository: Path, commit: str) -> str:
    """The README's ``.pre-commit-config.yaml``, installing from ``repository`` at ``commit``."""
    readme = (ROOT / "README.md").read_text()
    (snippet,) = [block for block in readme.split("```yaml\n")[1:] if "repos:" in block]
    configuration = yaml.safe_load(snippet.split("```")[0])
    for repo in configuration["repos"]:
        repo.update(repo=str(repository), rev=commit)
    return yaml.safe_dump(configuration)


@pytest.fixture(scope="module")
def committed(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    if shutil.which("git") is None:
        pytest.fail("git is required to try the pre-commit hook")
    base = tmp_path_factory.mktemp("precommit")
    hooks = base / "concurlint"
    hooks.mkdir()
    commit = snapshot_of_this_repository(hooks)
    project = base / "project"
    project.mkdir()
    (project / "bad.py").write_text(BLOCKING)
    (project / "good.py").write_text(GOOD)
    (project / "lost.py").write_text(LOST_TASK)
    (project / "nb.ipynb").write_text(json.dumps(NOTEBOOK, indent=1) + "\n")
    (project / ".pre-commit-config.yaml").write_text(readme_configuration(hooks, commit))
    commit_all(project)
    completed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=project,
        env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(base / "cache")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    return completed, project


def test_hook_fixes_the_bad_file_and_fails(
    committed: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, project = committed
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "files were modified by this hook" in completed.stdout
    assert (project / "bad.py").read_text() == FIXED
    assert (project / "good.py").read_text() == GOOD


def test_hook_fixes_notebooks_too(
    committed: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, project = committed
    (cell,) = json.loads((project / "nb.ipynb").read_text())["cells"]
    assert "".join(cell["source"]) == FIXED


def test_hook_prints_what_no_fix_repairs_once(
    committed: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, _ = committed
    output = completed.stdout + completed.stderr
    assert output.count("lost.py:5:5: CCL203") == 1, output
    assert "bad.py:" not in output  # fixed, so not reported
    assert "good.py" not in output
