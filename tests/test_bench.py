"""The benchmark's one-named-file rows measure what they say, on a tiny corpus (nothing timed).

The rows time ``concurlint <one file>`` inside a configured project after a whole run
filled the cache; a row whose command named the wrong file, missed the project or the
cache would still print a figure, so the commands are checked here by running them once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.bench import (
    Row,
    _copy_corpus,
    _largest_coroutine_module,
    _median_size,
    _one_file_rows,
)

from concurlint.config import find_pyproject, load_settings
from concurlint.files import project_files

SOURCES = {
    "pkg/__init__.py": "",
    "pkg/small.py": "VALUE = 1\n",
    "pkg/medium.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
    "pkg/coro.py": "import time\n\n\nasync def handler():\n    time.sleep(1)\n",
    "pkg/large_plain.py": "".join(f"def f{n}():\n    return {n}\n\n\n" for n in range(40)),
    "venv/__init__.py": "",  # as in the standard library: a folder a project's walk leaves out
}


def _rows(prefix: list[str], files: list[str]) -> list[Row]:
    return _one_file_rows(prefix, _median_size(files), _largest_coroutine_module(files))


def _corpus(tmp_path: Path) -> list[str]:
    original = tmp_path / "original"
    for name, text in SOURCES.items():
        (original / name).parent.mkdir(parents=True, exist_ok=True)
        (original / name).write_text(text)
    return _copy_corpus([original], tmp_path / "copy")


def test_the_copied_corpus_is_one_configured_project(tmp_path: Path) -> None:
    files = _corpus(tmp_path)
    root = tmp_path / "copy" / "original"
    assert sorted(Path(path).relative_to(root).as_posix() for path in files) == sorted(SOURCES)
    for path in files:
        assert find_pyproject(Path(path).parent) == root / "pyproject.toml"
    settings = load_settings(root / "pyproject.toml")
    assert settings.configured
    named = next(path for path in files if path.endswith("small.py"))
    summarized = {os.path.abspath(path) for path in project_files([named], settings)}
    assert summarized == {os.path.abspath(path) for path in files if "venv" not in path}


def test_one_file_rows_name_the_typical_then_the_worst_file(tmp_path: Path) -> None:
    files = _corpus(tmp_path)
    prefix = [sys.executable, "-m", "concurlint", "--exit-zero"]
    rows = _rows(prefix, files)
    typical = os.path.join(tmp_path, "copy", "original", "pkg", "medium.py")
    worst = os.path.join(tmp_path, "copy", "original", "pkg", "coro.py")
    assert [row.command for row in rows] == [[*prefix, typical], [*prefix, typical],
                                             [*prefix, worst]]
    assert [row.name for row in rows] == [
        "concurlint warm, 1 file named (medium.py), nothing changed",
        "concurlint warm, 1 file named and changed (medium.py)",
        "concurlint warm, 1 file named and changed (coro.py)",
    ]
    assert rows[0].before is None


def test_one_file_rows_run_warm_and_change_their_file(tmp_path: Path) -> None:
    files = _corpus(tmp_path)
    cache = tmp_path / "cache"
    prefix = [sys.executable, "-m", "concurlint", "--exit-zero", "--cache-dir", str(cache)]
    # filled as the benchmark fills it: the project named, not its files
    subprocess.run([*prefix, str(tmp_path / "copy" / "original")], capture_output=True, check=True)
    filled = sorted(cache.rglob("*"))
    unchanged, *changed = _rows(prefix, files)
    run = subprocess.run(unchanged.command, capture_output=True, text=True, check=True)
    assert sorted(cache.rglob("*")) == filled  # every summary and result came from the cache
    assert "CCL" not in run.stdout  # medium.py has nothing to report
    for row in changed:
        path = Path(row.command[-1])
        lines = path.read_text().count("\n")
        assert row.before is not None
        row.before()
        assert path.read_text().count("\n") == lines + 1
        run = subprocess.run(row.command, capture_output=True, text=True, check=True)
        assert ("CCL201" in run.stdout) == path.name.endswith("coro.py")
