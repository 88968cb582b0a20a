"""A run loads the catalog once and reads each file once in its own process, whatever the
entry point (a lint, a one-file lint, ``--fix``)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from concurlint import cli
from concurlint.model import catalog

HELPER = "import time\n\n\ndef nap():\n    time.sleep(1)\n"
API = "from helpers import nap\n\n\nasync def f():\n    nap()\n    slow()\n"
CONFIG = '[tool.concurlint]\nextend-blocking-calls = ["vendor.slow"]\n'
RUNS = [["."], ["api.py"], ["--fix", "."], ["--fix", "api.py"]]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    (tmp_path / "helpers.py").write_text(HELPER)
    (tmp_path / "api.py").write_text("from vendor import slow\n" + API)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("args", RUNS, ids=" ".join)
def test_a_run_loads_the_catalog_once(
    project: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[object] = []
    read = catalog._read_catalog

    def counted(*arguments: object) -> catalog.Catalog:
        reads.append(arguments)
        return read(*arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog, "_read_catalog", counted)
    catalog._load_catalog.cache_clear()
    assert cli.main(["--no-cache", "-j", "1", "-q", *args]) == 1
    assert len(reads) == 1


@pytest.mark.parametrize("args", RUNS, ids=" ".join)
def test_a_run_reads_each_file_once(
    project: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: Counter[str] = Counter()
    open_file = os.open

    def counted(path: str, *arguments: int, **options: int) -> int:
        if str(path).endswith(".py"):
            opened[os.path.basename(path)] += 1
        return open_file(path, *arguments, **options)

    monkeypatch.setattr(os, "open", counted)
    assert cli.main(["--no-cache", "-j", "1", "-q", *args]) == 1
    assert opened == {"api.py": 1, "helpers.py": 1}
