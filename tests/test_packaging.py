"""The wheel ships the rule catalog: an installed copy finds it without the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

PROBE = (
    "import concurlint, json;"
    "from concurlint.model.catalog import catalog_dir, load_catalog;"
    "print(json.dumps([concurlint.__file__, str(catalog_dir()), sorted(load_catalog().rules)]))"
)


def test_installed_wheel_finds_its_catalog(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("concurlint-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert "concurlint/rules/rules.toml" in archive.namelist()
        archive.extractall(installed)
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, folder, codes = __import__("json").loads(completed.stdout)
    assert Path(module_file).is_relative_to(installed)
    assert Path(folder) == installed / "concurlint" / "rules"
    assert "CCL201" in codes
