"""Gitignore-style patterns: ``exclude`` settings and ``.gitignore`` files use one grammar.

``migrations`` matches a file or folder of that name at any depth, ``build/`` only a folder,
``tests/*`` and ``/gen`` are anchored where the pattern was written (the config's folder for
settings, the ``.gitignore``'s folder for ignore files), ``**`` spans any number of folders
and ``!keep.py`` re-includes. ruff's users write exactly these patterns.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import pathspec


class Patterns:
    """Patterns written relative to ``base``."""

    def __init__(self, patterns: Iterable[str], base: Path) -> None:
        self.lines = tuple(patterns)
        self.base = os.path.realpath(base)

    @cached_property
    def _spec(self) -> pathspec.GitIgnoreSpec:
        return pathspec.GitIgnoreSpec.from_lines(self.lines)

    def verdict(self, path: Path, is_dir: bool) -> bool | None:
        """True when excluded, False when re-included by ``!``, None when nothing matched.
        A path outside ``base`` is matched by its name alone."""
        if not self.lines:
            return None
        relative = relative_to(path, self.base) or path.name
        result = self._spec.check_file(relative + "/" if is_dir else relative)
        return result.include

    def matches(self, path: Path, is_dir: bool) -> bool:
        return bool(self.verdict(path, is_dir))

    def inside(self, path: Path) -> bool:
        return relative_to(path, self.base) is not None


def relative_to(path: Path, base: str) -> str | None:
    """``path`` relative to the real folder ``base`` in POSIX form; None outside it."""
    try:
        relative = Path(os.path.realpath(path)).relative_to(base)
    except ValueError:
        return None
    text = relative.as_posix()
    return None if text == "." else text
