"""The wheel ships what an installed copy needs without the checkout: the rule catalog, the
generated rule pages (for --explain) and the flake8 entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

PROBE = (
    "import concurlint, json;"
    "from concurlint.model.catalog import catalog_dir, load_catalog;"
    "print(json.dumps([concurlint.__file__, str(catalog_dir()), sorted(load_catalog().rules)]))"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = dist.glob("concurlint-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def run_installed(installed: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run Python with only the unpacked wheel on the path, away from the checkout."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=installed.parent,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=True,
    )


def test_installed_wheel_finds_its_catalog(wheel: Path, installed: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        assert "concurlint/rules/rules.toml" in archive.namelist()
    completed = run_installed(installed, ["-c", PROBE])
    module_file, folder, codes = json.loads(completed.stdout)
    assert Path(module_file).is_relative_to(installed)
    assert Path(folder) == installed / "concurlint" / "rules"
    assert "CCL201" in codes


def test_installed_explain_prints_the_shipped_page(installed: Path) -> None:
    assert not (installed / "fixtures").exists()
    for page in (ROOT / "docs" / "rules").glob("CCL*.md"):
        shipped = installed / "concurlint" / "rule_pages" / page.name
        assert shipped.read_text(encoding="utf-8") == page.read_text(encoding="utf-8")
    completed = run_installed(installed, ["-m", "concurlint", "--explain", "CCL201"])
    assert completed.stdout == (ROOT / "docs" / "rules" / "CCL201.md").read_text(encoding="utf-8")
    assert "## Example" in completed.stdout


def test_wheel_registers_the_flake8_plugin(installed: Path) -> None:
    (entry_points,) = installed.glob("concurlint-*.dist-info/entry_points.txt")
    text = entry_points.read_text()
    assert "[flake8.extension]\nCCL = concurlint.flake8_plugin:ConcurlintChecker" in text
