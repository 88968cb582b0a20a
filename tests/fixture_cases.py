"""Fixture discovery and the ``# expect: CODE[, CODE]`` grammar.

A fixture folder ``fixtures/<CODE>/`` holds ``bad.py`` (runs and fails, showing the harm;
its first line ``# shows: <text>`` names what the failure prints), ``good.py`` (runs clean),
``bad_<shape>.py``/``good_<shape>.py`` pairs for further shapes of the rule, run alike,
``bad.fixed.py`` when the rule has a safe fix, and any number of lint-only ``*.py`` cases.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from conftest import FIXTURES

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")
_SHOWS = re.compile(r"^#\s*shows:\s*(?P<text>.+?)\s*$")


@dataclass(frozen=True)
class Fixture:
    code: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.code}/{self.path.name}"


def rule_folders() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("."))


def lint_cases() -> list[Fixture]:
    """Every fixture file whose lint result is compared with its expectations."""
    return [
        Fixture(folder.name, path)
        for folder in rule_folders()
        for path in sorted(folder.rglob("*.py"))
        if not path.name.endswith(".fixed.py")
    ]


def runnable(name: str) -> list[Fixture]:
    """``name`` in each rule folder, and its variants for further shapes of the rule
    (``bad_iteration.py`` beside ``bad.py``)."""
    stem, _, suffix = name.partition(".")
    return [
        Fixture(folder.name, path)
        for folder in rule_folders()
        for path in [folder / name, *sorted(folder.glob(f"{stem}_*.{suffix}"))]
        if path.exists()
    ]


def expectations(text: str) -> Counter[tuple[int, str]]:
    """(line, code) pairs the linter must report, counted (a line may expect a code twice)."""
    expected: Counter[tuple[int, str]] = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for code in re.split(r"\s*,\s*", match.group("codes")):
                expected[(number, code)] += 1
    return expected


def shown_failure(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    match = _SHOWS.match(first)
    if match is None:
        raise AssertionError("bad.py must start with `# shows: <what the failure prints>`")
    return match.group("text")


def as_noqa(text: str) -> str:
    """The metamorphic twin: every expectation turned into a matching ``# noqa``."""
    return _EXPECT.sub(lambda m: "# noqa: " + m.group("codes").replace(" ", ""), text)


def mismatch_table(expected: Counter[tuple[int, str]], actual: Counter[tuple[int, str]]) -> str:
    rows = []
    for line, code in sorted(set(expected) | set(actual)):
        want, got = expected[(line, code)], actual[(line, code)]
        if want != got:
            rows.append(f"  line {line:>4} {code}: expected {want}, reported {got}")
    return "\n".join(rows)
