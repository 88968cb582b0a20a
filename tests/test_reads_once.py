"""A run loads the catalog once, whatever the entry point (a lint, a one-file lint, ``--fix``).

Files themselves are read more than once by design: for their fingerprint, then again when
their turn comes, so that memory stays bounded (``tests/test_resources.py``)."""

from __future__ import annotations

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

