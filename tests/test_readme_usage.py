"""The README's usage table lists exactly the options of ``concurlint --help``."""

from __future__ import annotations

import re
import subprocess
import sys

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


def _readme_options() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| option | meaning |", 1)[1].split("\n\n", 1)[0]
    firsts = [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]
    return {option for cell in firsts for option in _OPTION.findall(cell)}


def test_readme_usage_table_matches_help() -> None:
    assert _readme_options() == _help_options()
