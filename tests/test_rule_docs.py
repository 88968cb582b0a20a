"""Rule pages are generated from data (catalog + fixtures), kept fresh, and shown by --explain."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from concurlint.cli import main
from concurlint.model.catalog import catalog_dir, load_catalog
from concurlint.ruledocs import INDEX, generate, stale_pages

PAGES = ROOT / "docs" / "rules"
RUFF_ORDER = ["What it does", "Why is this bad?", "Known problems", "Example", "Use instead",
              "Fix safety", "References"]


def sections(page: str) -> list[str]:
    return re.findall(r"^## (.+)$", page, flags=re.MULTILINE)


def test_generated_rule_pages_are_up_to_date() -> None:
    stale = stale_pages(generate(load_catalog(), FIXTURES), PAGES)
    assert stale == [], f"stale pages {stale}: run `python -m concurlint.ruledocs`"


def test_every_fixture_folder_belongs_to_a_catalog_rule() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders <= load_catalog().rules.keys()


def test_docs_site_builds_in_strict_mode(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
        capture_output=True, text=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "site" / "rules" / "CCL201" / "index.html").is_file()


def test_page_sections_follow_ruffs_order() -> None:
    page = generate(load_catalog(), FIXTURES)["CCL201.md"]
    assert page.startswith("# blocking-call-in-coroutine (CCL201)\n")
    assert sections(page) == RUFF_ORDER


def test_example_marks_reported_lines_without_the_fixture_grammar() -> None:
    page = generate(load_catalog(), FIXTURES)["CCL201.md"]
    assert "    time.sleep(0.3)  # <- CCL201\n" in page
    assert "# expect:" not in page
    assert "# shows:" not in page
    assert "Run as a program, it prints `event loop stalled` and fails." in page


def test_fix_safety_shows_what_the_fix_changes_only_for_fixable_rules() -> None:
    pages = generate(load_catalog(), FIXTURES)
    assert "-    time.sleep(0.3)\n+    await asyncio.sleep(0.3)\n" in pages["CCL201.md"]
    assert "```diff" not in pages["CCL203.md"]


def test_rule_without_fixtures_still_gets_a_page() -> None:
    page = generate(load_catalog(), FIXTURES)["CCL001.md"]
    assert sections(page) == ["What it does", "Why is this bad?", "Fix safety", "References"]


def test_index_links_every_rule_page() -> None:
    pages = generate(load_catalog(), FIXTURES)
    for name in pages.keys() - {INDEX}:
        assert f"]({name})" in pages[INDEX]


def test_a_new_rule_is_documented_from_its_data_alone(tmp_path: Path) -> None:
    rules, fixtures = tmp_path / "rules", tmp_path / "fixtures"
    shutil.copytree(catalog_dir(), rules)
    (rules / "added.toml").write_text(
        '[rules.CCL999]\nname = "unguarded-shared-state"\nsummary = "Shared state is mutated."\n'
        'book = "chapter2/article3.html#1-race-conditions"\nwhy = "Updates are lost."\n'
        'known = "Reads are not checked."\nfix = "No automatic fix."\n'
    )
    folder = fixtures / "CCL999"
    folder.mkdir(parents=True)
    (folder / "bad.py").write_text("# shows: lost updates\ncount += 1  # expect: CCL999\n")
    (folder / "good.py").write_text("with lock:\n    count += 1\n")
    page = generate(load_catalog(folder=rules), fixtures)["CCL999.md"]
    assert sections(page) == RUFF_ORDER
    assert "count += 1  # <- CCL999" in page
    assert "chapter2/article3.html#1-race-conditions" in page


def test_explain_prints_the_rule_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--explain", "ccl203"]) == 0
    assert capsys.readouterr().out == (PAGES / "CCL203.md").read_text(encoding="utf-8")


def test_explain_unknown_code_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--explain", "CCL999"]) == 2
    assert "unknown rule code `CCL999`" in capsys.readouterr().err
