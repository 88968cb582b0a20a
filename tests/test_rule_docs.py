"""Rule pages are generated from data (catalog + fixtures), kept fresh, and shown by --explain."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, ROOT

from concurlint.cli import main
from concurlint.config import _KEYS
from concurlint.model.catalog import catalog_dir, load_catalog
from concurlint.ruledocs import INDEX, generate, stale_pages

PAGES = ROOT / "docs" / "rules"
RUFF_ORDER = ["What it does", "Why is this bad?", "Example", "Use instead", "Options",
              "Fix safety", "References"]
WITHOUT_OPTIONS = [section for section in RUFF_ORDER if section != "Options"]


def sections(page: str) -> list[str]:
    return re.findall(r"^## (.+)$", page, flags=re.MULTILINE)


def test_generated_rule_pages_are_up_to_date() -> None:
    stale = stale_pages(generate(load_catalog(), FIXTURES), PAGES)
    assert stale == [], f"stale pages {stale}: run `python -m concurlint.ruledocs`"


def test_every_fixture_folder_belongs_to_a_catalog_rule() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders <= load_catalog().rules.keys()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs site, built in strict mode (a broken link or a page left out of the
    navigation fails the build)."""
    folder = tmp_path_factory.mktemp("site")
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(folder)],
        capture_output=True, text=True,
    )
    assert completed.returncode == 0, completed.stderr
    return folder


def navigation_pages(entries: list[Any]) -> set[str]:
    pages: set[str] = set()
    for entry in entries:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            pages |= navigation_pages(value) if isinstance(value, list) else {value}
    return pages


def test_every_page_is_in_the_navigation() -> None:
    configuration = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    written = {path.relative_to(ROOT / "docs").as_posix() for path in ROOT.glob("docs/**/*.md")}
    assert navigation_pages(configuration["nav"]) == written


def test_docs_site_works_offline_with_highlighting_search_and_code_copy(site: Path) -> None:
    page = (site / "rules" / "CCL201.html").read_text(encoding="utf-8")
    assert '<span class="kn">import</span>' in page  # highlighted when built, by Pygments
    assert "content.code.copy" in page
    assert (site / "search" / "search_index.js").is_file()  # search without a server
    assert "fonts.googleapis.com" not in page
    assert 'href="../reliability.html"' in page  # every page in the navigation


def test_rule_page_lists_the_options_that_change_it() -> None:
    page = generate(load_catalog(), FIXTURES)["CCL201.md"]
    options = page.split("## Options\n\n")[1].split("\n\n")[0]
    assert "[`extend-blocking-calls`](../configuration.md#extend-blocking-calls)" in options


def test_rule_options_are_configuration_keys() -> None:
    keys = {key for info in load_catalog().rules.values() for key in info.options}
    assert "extend-blocking-calls" in keys
    assert keys <= _KEYS.keys()


def test_index_gives_family_and_fix_availability() -> None:
    index = generate(load_catalog(), FIXTURES)[INDEX]
    assert "| code | name | family | fix | what it reports |" in index
    assert "| [CCL201](CCL201.md) | blocking-call-in-coroutine | asyncio | safe, unsafe |" in index
    assert "| [CCL203](CCL203.md) | task-reference-lost | asyncio | — |" in index


def test_catalog_fix_availability_is_what_the_rules_offer_on_their_fixtures(
    tmp_path: Path,
) -> None:
    unused_noqa = tmp_path / "unused_noqa.py"  # CCL002 is the engine's: it has no fixtures
    unused_noqa.write_text("x = 1  # noqa: CCL201\n")
    completed = subprocess.run(
        [sys.executable, "-m", "concurlint", "--no-cache", "--format", "json", "fixtures",
         str(unused_noqa)],
        cwd=ROOT, capture_output=True, text=True,
    )
    offered: dict[str, set[str]] = {code: set() for code in load_catalog().rules}
    for report in json.loads(completed.stdout):
        if report["fix"] is not None:
            offered[report["code"]].add(report["fix"]["applicability"])
    declared = {code: set(info.fixes) for code, info in load_catalog().rules.items()}
    assert offered == declared


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
    assert "## Options" not in page


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
        'fix = "No automatic fix."\n'
    )
    folder = fixtures / "CCL999"
    folder.mkdir(parents=True)
    (folder / "bad.py").write_text("# shows: lost updates\ncount += 1  # expect: CCL999\n")
    (folder / "good.py").write_text("with lock:\n    count += 1\n")
    page = generate(load_catalog(folder=rules), fixtures)["CCL999.md"]
    assert sections(page) == WITHOUT_OPTIONS
    assert "count += 1  # <- CCL999" in page
    assert "chapter2/article3.html#1-race-conditions" in page


def test_explain_prints_the_rule_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--explain", "ccl203"]) == 0
    assert capsys.readouterr().out == (PAGES / "CCL203.md").read_text(encoding="utf-8")


def test_explain_unknown_code_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--explain", "CCL999"]) == 2
    assert "unknown rule code `CCL999`" in capsys.readouterr().err
