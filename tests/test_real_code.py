"""Real code nobody here wrote: the standard library and the installed packages.

``pydoc_data/topics.py`` (757 KB of implicitly concatenated strings) exceeds every libcst
metadata provider's default recursion limit: it must be linted for real, serially and in
the process pool. The ``slow`` crawl lints the whole standard library, ``test/`` included
(it holds deliberately broken files), and every package of the test environment: zero
internal errors, every file accounted for.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections import Counter
from pathlib import Path

import pytest

from concurlint.config import Settings
from concurlint.engine import UNANALYZABLE
from concurlint.files import SOURCE_SUFFIXES, discover
from concurlint.runner import lint_paths

STDLIB = Path(sysconfig.get_paths()["stdlib"])
TOPICS = STDLIB / "pydoc_data" / "topics.py"
BLOCKING_TAIL = "\n\nimport time\n\n\nasync def _tail():\n    time.sleep(1)\n"


@pytest.fixture(scope="module")
def topics_with_a_finding(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """topics.py plus one blocking call at its end: whatever a screen decides, the file
    must go through libcst and its metadata to find it."""
    if not TOPICS.is_file():
        pytest.skip(f"{TOPICS} is not installed")
    copy = tmp_path_factory.mktemp("topics") / "topics.py"
    copy.write_text(TOPICS.read_text(encoding="utf-8") + BLOCKING_TAIL, encoding="utf-8")
    return copy


def _expected_line(path: Path) -> int:
    return path.read_text(encoding="utf-8").count("\n")


@pytest.mark.parametrize("jobs", [1, 2], ids=["serial", "pool"])
def test_pydoc_topics_is_linted_for_real(jobs: int, topics_with_a_finding: Path) -> None:
    small = topics_with_a_finding.parent / "small.py"
    small.write_text("x = 1\n")
    results = lint_paths([str(topics_with_a_finding), str(small)], Settings(), jobs=jobs)
    (topics,) = [r for r in results if r.path == str(topics_with_a_finding)]
    assert [(d.code, d.span.line) for d in topics.diagnostics] == [
        ("CCL201", _expected_line(topics_with_a_finding))
    ]


# -- the crawl -----------------------------------------------------------------------------


def _roots() -> list[Path]:
    """The standard library and the packages this project's test environment installs. The
    interpreter's own site-packages is left out: what it holds depends on the machine (17,000
    files of 224 unrelated packages here), and real third-party projects are the ecosystem
    check's (``tests/ecosystem``)."""
    paths = sysconfig.get_paths()
    environment = {Path(paths["purelib"]), Path(paths["platlib"])}
    roots = sorted(
        entry
        for entry in STDLIB.iterdir()
        if entry.name != "site-packages"
        and (entry.is_dir() or entry.name.endswith(SOURCE_SUFFIXES))
    )
    for root in sorted(environment):
        if root.is_dir() and not any(root.is_relative_to(other) for other in roots):
            roots.append(root)
    return roots


def _every_source_file(roots: list[Path]) -> set[str]:
    return {
        os.path.normpath(os.path.join(folder, name))
        for root in roots
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith(SOURCE_SUFFIXES)
    } | {os.path.normpath(root) for root in roots if root.is_file()}


@pytest.mark.slow
def test_stdlib_and_installed_packages_never_crash_and_every_file_is_accounted_for() -> None:
    roots = _roots()
    settings = Settings(exclude=(), root=STDLIB, respect_gitignore=False)
    paths, problems = discover([str(root) for root in roots], settings)
    assert set(paths) | {p.path for p in problems} >= _every_source_file(roots)
    results = lint_paths(paths, settings, problems, jobs=os.cpu_count() or 1)
    assert {r.path for r in results} == set(paths) | {p.path for p in problems}
    unanalyzable = [d for r in results for d in r.diagnostics if d.code == UNANALYZABLE]
    assert [d for d in unanalyzable if "internal error" in d.message] == []
    assert all(d.message.removeprefix("cannot analyze this file: ").strip() for d in unanalyzable)
    reasons = Counter(d.message.split(":")[1].strip() for d in unanalyzable)
    print(f"\n{len(paths)} files linted, CCL001 by reason: {dict(reasons)}", file=sys.stderr)


@pytest.mark.slow
def test_fifty_thousand_lines_of_real_statements(tmp_path: Path) -> None:
    header = "import asyncio\nimport time\n"
    function = "async def f{0}(x):\n    await asyncio.sleep(0)\n    time.sleep(x)\n    return {0}\n"
    path = tmp_path / "big.py"
    path.write_text(header + "\n\n".join(function.format(n) for n in range(8_400)))
    (result,) = lint_paths([str(path)], Settings())
    assert _expected_line(path) + 1 >= 50_000
    assert Counter(d.code for d in result.diagnostics) == {"CCL201": 8_400}
