"""The cache is read from the linted tree, which may be anyone's: what it holds is data, a bad
entry is a miss, and only a cache folder of its own is used and tagged."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from concurlint.cache import Cache
from concurlint.config import Settings
from concurlint.diagnostic import FileResult
from concurlint.files import fingerprint
from concurlint.model.catalog import load_catalog

BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
HELPER = "import time\n\n\ndef nap():\n    time.sleep(1)\n"
CALLER = "from helpers import nap\n\n\nasync def f():\n    nap()\n"
# A hang guard for a FIFO entry, not a timing assertion: a run takes seconds.
HANG = 120


class _Payload:
    """Unpickling this runs a shell command: what an attacker would plant."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def _run(args: list[str], cwd: Path, *tool: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", *(tool or ("concurlint", "--jobs", "1")), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=HANG)


def _entries(cache_dir: Path) -> list[Path]:
    return [path for path in cache_dir.glob("*/*/*") if not path.name.startswith(".")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    (tmp_path / "helpers.py").write_text(HELPER)
    (tmp_path / "app.py").write_text(CALLER)
    return tmp_path


def _poison(cache_dir: Path, marker: Path) -> int:
    entries = _entries(cache_dir)
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Payload(marker)))
    return len(entries)


def test_poisoned_cache_runs_nothing_through_the_command(project: Path) -> None:
    fresh = _run(["--no-cache", "."], project)
    _run(["."], project)
    marker = project.parent / "executed"
    assert _poison(project / ".concurlint_cache", marker) >= 3  # results, summaries, facts
    poisoned = _run(["."], project)
    assert not marker.exists()
    assert (poisoned.stdout, poisoned.returncode) == (fresh.stdout, 1)
    assert "Traceback" not in poisoned.stderr


def test_poisoned_cache_runs_nothing_through_the_flake8_plugin(project: Path) -> None:
    _run(["."], project)
    marker = project.parent / "executed"
    assert _poison(project / ".concurlint_cache", marker)
    completed = _run(["--select", "CCL", "app.py"], project, "flake8")
    assert not marker.exists()
    assert "(helpers.nap() -> time.sleep())" in completed.stdout  # summaries recomputed
    assert "Traceback" not in completed.stderr


def test_fifo_entry_is_a_miss(project: Path) -> None:
    fresh = _run(["--no-cache", "."], project)
    _run(["."], project)
    for entry in _entries(project / ".concurlint_cache"):
        entry.unlink()
        os.mkfifo(entry)
    again = _run(["."], project)
    assert (again.stdout, again.stderr) == (fresh.stdout, fresh.stderr)


def _cache(folder: Path, root: Path) -> Cache:
    settings = Settings(root=root)
    return Cache.open(folder, settings, load_catalog(settings.catalog_extensions()).digest)


def test_symbolic_link_entries_are_not_followed(tmp_path: Path) -> None:
    """A link to a valid entry is a miss: a link cannot lead the reader to /dev/zero."""
    cache = _cache(tmp_path / "cache", tmp_path)
    content = fingerprint(BLOCKING.encode())
    planted = FileResult("a.py", skipped=True)
    cache.put("a.py", content, planted)
    assert cache.get("a.py", content) == planted
    (entry,) = _entries(cache.folder.parent)
    target = entry.with_name("target")
    entry.rename(target)
    entry.symlink_to(target)
    assert cache.get("a.py", content) is None
    entry.unlink()
    entry.symlink_to("/dev/zero")
    assert cache.get("a.py", content) is None


def test_entry_of_the_wrong_shape_is_a_miss(tmp_path: Path) -> None:
    """Data that decodes but is not what the type declares (a string where diagnostics
    belong) is a miss, not a traceback in the output formats."""
    cache = _cache(tmp_path / "cache", tmp_path)
    content = fingerprint(BLOCKING.encode())
    cache.put("a.py", content, FileResult("a.py", ("not a diagnostic",)))  # type: ignore[arg-type]
    assert cache.get("a.py", content) is None


def test_entry_stored_under_another_key_is_a_miss(tmp_path: Path) -> None:
    """An entry copied over another (same format, valid data) is recognized as foreign."""
    cache = _cache(tmp_path / "cache", tmp_path)
    first, second = fingerprint(b"first"), fingerprint(b"second")
    cache.put("a.py", first, FileResult("a.py", skipped=True))
    cache.put("a.py", second, FileResult("a.py"))
    stored = {entry.read_bytes(): entry for entry in _entries(cache.folder.parent)}
    (one, other) = stored.values()
    one.write_bytes(other.read_bytes())
    assert [cache.get("a.py", first), cache.get("a.py", second)].count(None) == 1


def test_corrupted_entry_is_a_miss(tmp_path: Path) -> None:
    cache = _cache(tmp_path / "cache", tmp_path)
    content = fingerprint(b"x")
    cache.put("a.py", content, FileResult("a.py", skipped=True))
    (entry,) = _entries(cache.folder.parent)
    entry.write_bytes(entry.read_bytes().replace(b"true", b"false"))
    assert cache.get("a.py", content) is None


@pytest.mark.parametrize("given", ["", ".", "..", "ABSOLUTE"])
def test_project_folder_is_refused_as_the_cache(project: Path, given: str) -> None:
    """An unset CI variable (``--cache-dir ""``) must not tag the project for git and
    backups to ignore: one line, exit 2, nothing written."""
    given = str(project) if given == "ABSOLUTE" else given
    completed = _run(["--cache-dir", given, "app.py"], project)
    assert completed.returncode == 2
    assert completed.stdout == ""
    (line,) = completed.stderr.splitlines()
    assert line.startswith("concurlint: error: --cache-dir")
    assert sorted(path.name for path in project.iterdir()) == ["app.py", "helpers.py",
                                                                "pyproject.toml"]


def test_only_a_cache_folder_concurlint_creates_is_tagged(project: Path) -> None:
    shared = project / "shared"
    shared.mkdir()
    (shared / "notes.txt").write_text("kept in git\n")
    assert _run(["--cache-dir", "shared", "."], project).returncode == 1
    assert _run(["--cache-dir", "own", "."], project).returncode == 1
    assert not (shared / ".gitignore").exists() and not (shared / "CACHEDIR.TAG").exists()
    assert _entries(shared)  # the folder is still used as the cache
    assert (project / "own" / ".gitignore").read_text().endswith("*\n")
    assert (project / "own" / "CACHEDIR.TAG").exists()
