"""Check the built docs site in a real browser, opened from disk with no network.

Headless Chromium renders a rule page (``file://``, so the offline plugin's work is what is
tested) and the rendered DOM must hold the highlighted code, the navigation to every part of
the site, the code-copy buttons (added by the theme's JavaScript: proof that it ran) and,
with ``?q=`` in the address, search results. A screenshot of the page is written for a
person to look at. Run from a checkout after the README's set-up::

    .venv/bin/python tests/docs_in_browser.py [--screenshot PATH]

It exits 1 and names what is missing when a check fails, 2 when no Chromium is installed
(``apt-get install chromium`` on Debian). ``tests/test_docs_browser.py`` runs the same checks
when a browser is found.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
PAGE = "rules/CCL201.html"
QUERY = "monkey"  # a word of several pages
# Headless, as root in a container too; the virtual time budget lets the page's scripts run.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--virtual-time-budget=8000")
TIMEOUT = 120
# What the rendered rule page must contain, and why.
PAGE_CHECKS = {
    "highlighted code": '<span class="kn">import</span>',
    "navigation to the other rules": 'href="CCL203.html"',
    "navigation to the design pages": 'href="../reliability.html"',
    "this page marked in the navigation":
        'href="CCL201.html" class="md-nav__link md-nav__link--active"',
    "code copy buttons (the theme's scripts ran)": 'data-md-type="copy"',
}
SEARCH_CHECK = "md-search-result__item"


def find_browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def build_site(target: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(target)],
        check=True, capture_output=True,
    )


def rendered(browser: str, url: str) -> str:
    """The DOM of ``url`` once its scripts have run."""
    completed = subprocess.run([browser, *FLAGS, "--dump-dom", url], capture_output=True,
                               text=True, timeout=TIMEOUT, check=True)
    return completed.stdout


def screenshot(browser: str, url: str, target: Path) -> None:
    subprocess.run([browser, *FLAGS, "--window-size=1280,1400", f"--screenshot={target}", url],
                   capture_output=True, timeout=TIMEOUT, check=True)


def missing(browser: str, site: Path) -> list[str]:
    """What the rendered rule page lacks (empty when every check passes)."""
    url = (site / PAGE).as_uri()
    dom = rendered(browser, url)
    absent = [what for what, marker in PAGE_CHECKS.items() if marker not in dom]
    if SEARCH_CHECK not in rendered(browser, f"{url}?q={QUERY}"):
        absent.append(f"search results for {QUERY!r}")
    return absent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshot", type=Path, default=Path("concurlint-docs.png"),
                        help="where to write the screenshot (default: %(default)s)")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("no Chromium found (tried: " + ", ".join(BROWSERS) + ")", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="concurlint-site-") as folder:
        site = Path(folder)
        build_site(site)
        absent = missing(browser, site)
        screenshot(browser, (site / PAGE).as_uri(), args.screenshot.resolve())
    for what in absent:
        print(f"missing: {what}", file=sys.stderr)
    print(f"screenshot of {PAGE}: {args.screenshot}")
    return 1 if absent else 0


if __name__ == "__main__":
    raise SystemExit(main())
