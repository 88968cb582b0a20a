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


def one_file_or_split(
    folder: Path, split: bool, library: tuple[str, str], user: tuple[str, str]
) -> Counter[tuple[str, str]]:
    """The reports in the ``user`` module (name, text whose ``{source}`` names the library
    module in its one import line of it), linted beside the ``library`` module (name, text),
    or with the library's text put first in the same file (that import line dropped)."""
    (library_name, library_text), (user_name, user_text) = library, user
    source = library_name.removesuffix(".py")
    if split:
        files = {library_name: library_text, user_name: user_text.format(source=source)}
    else:
        kept = [line for line in user_text.splitlines(keepends=True) if "{source}" not in line]
        files = {user_name: library_text + "\n\n" + "".join(kept)}
    return reports_by_line(folder, files, user_name)
