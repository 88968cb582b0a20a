"""One documentation page per rule, generated from the catalog and the rule's fixtures.

The same text is the docs site's page (``docs/rules/<CODE>.md``) and the output of
``concurlint --explain CODE``. A page needs nothing but data: the rule's catalog metadata
(name, summary, book, why, fix, fixes, options) and, when the folder exists,
``fixtures/<CODE>/bad.py`` and ``good.py`` as the example. Fixtures are not in the wheel,
so the wheel carries the generated pages instead (``concurlint/rule_pages``); a checkout
renders them live. Regenerate the checked-in pages with ``python -m concurlint.ruledocs``.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from concurlint.model.catalog import Catalog, RuleInfo, load_catalog

CHECKOUT = Path(__file__).resolve().parents[2]
PACKAGED_PAGES = "rule_pages"  # folder inside the installed package (see pyproject.toml)
INDEX = "index.md"
BOOK = '*Mastering Python*, part 8 "Concurrency and Parallelism"'
# The family of a rule is its code's first digit.
FAMILIES = {"0": "analysis", "1": "threads", "2": "asyncio", "3": "multiprocessing",
            "4": "gevent"}
# Where the configuration keys are documented, relative to a rule page.
CONFIGURATION = "../configuration.md"

_SHOWS = re.compile(r"^#\s*shows:\s*(?P<text>.+?)\s*$")
_EXPECT = re.compile(r"\s*#\s*expect:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)\s*$")


@dataclass(frozen=True)
class Example:
    """A rule's fixture programs as readers see them: the fixture grammar turned into plain
    markers (``# <- CODE`` on reported lines), what the bad program prints when run, and
    what ``--fix`` changes in it (a diff, when the rule has a safe fix)."""

    bad: str
    good: str | None
    shows: str | None
    fix_diff: str | None


def load_example(folder: Path) -> Example | None:
    """The example in ``folder`` (a ``fixtures/<CODE>`` folder), or None without ``bad.py``."""
    if not (folder / "bad.py").is_file():
        return None
    shows, bad = _program(folder / "bad.py")
    good, fixed = folder / "good.py", folder / "bad.fixed.py"
    return Example(
        bad="\n".join(_marked(line) for line in bad),
        good=good.read_text(encoding="utf-8").strip("\n") if good.is_file() else None,
        shows=shows,
        fix_diff=_diff(bad, _program(fixed)[1]) if fixed.is_file() else None,
    )


def _program(path: Path) -> tuple[str | None, list[str]]:
    """The ``# shows:`` text (None without one) and the remaining lines of a fixture."""
    lines = path.read_text(encoding="utf-8").strip("\n").splitlines()
    shows = _SHOWS.match(lines[0]) if lines else None
    if shows is None:
        return None, lines
    return shows.group("text"), lines[1:]


def _marked(line: str) -> str:
    """``x()  # expect: CCL201`` -> ``x()  # <- CCL201``: the reader sees what is reported."""
    match = _EXPECT.search(line)
    if match is None:
        return line
    codes = ", ".join(code.strip() for code in match.group("codes").split(","))
    return f"{line[: match.start()]}  # <- {codes}"


def _diff(before: list[str], after: list[str]) -> str:
    """What the fix changed, without the expectation comments (they mean nothing after it)."""
    lines = difflib.unified_diff(
        [_EXPECT.sub("", line) for line in before],
        [_EXPECT.sub("", line) for line in after],
        "example.py", "example.py (fixed)", n=1, lineterm="",
    )
    return "\n".join(lines)


def render_page(info: RuleInfo, example: Example | None) -> str:
    """The page, in ruff's order: What it does / Why is this bad? / Example / Use instead /
    Options / Fix safety / References. Sections without content are left out."""
    sections = [f"# {info.name} ({info.code})", _section("What it does", info.summary)]
    if info.why:
        sections.append(_section("Why is this bad?", info.why))
    if example is not None:
        bad = _python(example.bad)
        if example.shows:
            bad += f"\n\nRun as a program, it prints `{example.shows}` and fails."
        sections.append(_section("Example", bad))
        if example.good is not None:
            sections.append(_section("Use instead", _python(example.good)))
    if info.options:
        sections.append(_section("Options", _options(info.options)))
    fix = _fix_safety(info, example)
    if fix:
        sections.append(_section("Fix safety", fix))
    sections.append(_section("References", f"- {BOOK}: <{info.url}>"))
    return "\n\n".join(sections) + "\n"


def _options(keys: Iterable[str]) -> str:
    """The ``[tool.concurlint]`` keys that change what the rule reports, linked to their
    entry in the configuration page."""
    return "\n".join(f"- [`{key}`]({CONFIGURATION}#{key})" for key in keys)


def _fix_safety(info: RuleInfo, example: Example | None) -> str:
    parts = [info.fix] if info.fix else []
    if example is not None and example.fix_diff:
        parts.append("`concurlint --fix` changes the example like this:")
        parts.append(f"```diff\n{example.fix_diff}\n```")
    return "\n\n".join(parts)


def _section(title: str, body: str) -> str:
    return f"## {title}\n\n{body}"


def _python(code: str) -> str:
    return f"```python\n{code}\n```"


def render_index(rules: Iterable[RuleInfo]) -> str:
    rows = "\n".join(
        f"| [{info.code}]({info.code}.md) | {info.name} | {family(info.code)} | "
        f"{', '.join(info.fixes) or '—'} | {_cell(info.summary)} |"
        for info in rules
    )
    return (
        "# Rules\n\n"
        "Every rule, with what it reports. Each page is generated from the rule's catalog entry\n"
        "(`rules/*.toml`) and its fixtures (`fixtures/<CODE>/`): "
        "run `python -m concurlint.ruledocs` to regenerate.\n\n"
        "*fix*: `safe` fixes are applied by `concurlint --fix`, `unsafe` ones only with\n"
        "`--unsafe-fixes` as well (each page's *Fix safety* says when).\n\n"
        "| code | name | family | fix | what it reports |\n|---|---|---|---|---|\n"
        f"{rows}\n"
    )


def family(code: str) -> str:
    """``CCL201`` -> ``asyncio``; a code of a family not listed yet is "other"."""
    return FAMILIES.get(code[3], "other")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def generate(catalog: Catalog, fixtures: Path) -> dict[str, str]:
    """Every page of ``docs/rules/``: file name -> text, for every rule in the catalog."""
    rules = [catalog.rules[code] for code in sorted(catalog.rules)]
    pages = {
        f"{info.code}.md": render_page(info, load_example(fixtures / info.code)) for info in rules
    }
    pages[INDEX] = render_index(rules)
    return pages


def explain(catalog: Catalog, code: str) -> str | None:
    """The page of ``code`` (None for an unknown code): the page shipped in the wheel when
    installed, else rendered from the checkout's catalog and fixtures."""
    info = catalog.rules.get(code)
    if info is None:
        return None
    packaged = resources.files("concurlint").joinpath(PACKAGED_PAGES, f"{code}.md")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return render_page(info, load_example(CHECKOUT / "fixtures" / code))


def stale_pages(pages: Mapping[str, str], folder: Path) -> list[str]:
    """Names of pages that differ from ``folder``'s, are missing there, or should not exist."""
    present = {path.name for path in folder.glob("*.md")} if folder.is_dir() else set()
    changed = [
        name for name, text in pages.items()
        if name not in present or (folder / name).read_text(encoding="utf-8") != text
    ]
    return sorted([*changed, *(present - pages.keys())])


def write_pages(pages: Mapping[str, str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.md"):
        if path.name not in pages:
            path.unlink()
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m concurlint.ruledocs",
        description="Regenerate docs/rules/ from the rule catalog and the fixtures.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the pages are stale")
    args = parser.parse_args(argv)
    if not (CHECKOUT / "fixtures").is_dir():
        parser.error("the pages are generated from a source checkout (no fixtures/ found)")
    pages = generate(load_catalog(), CHECKOUT / "fixtures")
    folder = CHECKOUT / "docs" / "rules"
    if args.check:
        stale = stale_pages(pages, folder)
        for name in stale:
            print(f"docs/rules/{name} is stale", file=sys.stderr)
        return 1 if stale else 0
    write_pages(pages, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
