"""Lint a few modules written into a folder as one project, and read the reports of one of
them by the text of their lines: what the one-file and the split versions of a case share."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from concurlint.config import load_settings
from concurlint.runner import lint_paths


def reports_by_line(folder: Path, files: dict[str, str], linted: str) -> Counter[tuple[str, str]]:
    """Each report in ``linted`` as its code and the text of its line, linting ``files``
    as one project in ``folder``."""
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[tool.concurlint]\n")
    for name, text in files.items():
        (folder / name).write_text(text)
    results = lint_paths([str(folder / name) for name in files], load_settings(start=folder))
    lines = files[linted].splitlines()
    return Counter(
        (d.code, lines[d.span.line - 1].strip())
        for result in results if result.path.endswith(linted)
        for d in result.diagnostics
    )
