"""The docs site works in a real browser opened from disk: highlighted code, navigation,
code copy and search (headless Chromium; skipped when no browser is installed, then run
``tests/docs_in_browser.py`` where one is)."""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_in_browser import build_site, find_browser, missing, screenshot

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        pytest.skip("no Chromium installed (apt-get install chromium); see docs_in_browser.py")
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    build_site(folder)
    return folder


def test_rule_page_renders_offline_with_code_navigation_copy_and_search(
    browser: str, site: Path
) -> None:
    assert missing(browser, site) == []


def test_screenshot_of_a_rule_page_is_written(browser: str, site: Path, tmp_path: Path) -> None:
    target = tmp_path / "page.png"
    screenshot(browser, (site / "rules" / "CCL201.html").as_uri(), target)
    assert target.read_bytes().startswith(PNG)
