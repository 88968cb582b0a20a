"""The usage tables (README, getting started) list exactly the options of ``--help``."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

_OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")
_INVOCATION = re.compile(r"^  (-\S.*?)(?:\s{2,}|$)")


def _help_options() -> set[str]:
    """The option strings of ``--help``: the start of each option line, before its text."""
    completed = subprocess.run(
        [sys.executable, "-m", "concurlint", "--help"], capture_output=True, text=True, check=True
    )
    found: set[str] = set()
    for line in completed.stdout.split("\noptions:\n", 1)[1].splitlines():
        invocation = _INVOCATION.match(line)
        if invocation:
            found.update(_OPTION.findall(invocation.group(1)))
    return found


def _table_options(page: str) -> set[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    table = text.split("| option | meaning |", 1)[1].split("\n\n", 1)[0]
    firsts = [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]
    return {option for cell in firsts for option in _OPTION.findall(cell)}


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md"])
def test_usage_table_matches_help(page: str) -> None:
    assert _table_options(page) == _help_options()
