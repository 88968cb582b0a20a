"""What git ignores, as ruff's ``respect-gitignore`` reads it while walking folders.

Only inside a git repository (a folder with ``.git`` at or above it), as git itself: the
repository's ``.git/info/exclude``, then every ``.gitignore`` from the repository's top down
to the path's folder, the deepest match winning. The user's global excludes file is not read
(its location comes from git's own configuration).
"""

from __future__ import annotations

import os
from pathlib import Path

from concurlint.globs import Patterns


class GitIgnore:
    """Answers per path, reading each ignore file once per run."""

    def __init__(self) -> None:
        self._tops: dict[Path, Path | None] = {}
        self._files: dict[Path, Patterns | None] = {}

    def ignored(self, path: Path, is_dir: bool) -> bool:
        path = Path(os.path.abspath(path))
        top = self._top(path.parent)
        if top is None:
            return False
        verdict = None
        for patterns in self._chain(top, path.parent):
            found = patterns.verdict(path, is_dir)
            if found is not None:
                verdict = found
        return bool(verdict)

    def _chain(self, top: Path, folder: Path) -> list[Patterns]:
        folders = [folder, *folder.parents]
        folders = folders[: folders.index(top) + 1]
        files = [top / ".git" / "info" / "exclude", *(f / ".gitignore" for f in reversed(folders))]
        return [patterns for file in files if (patterns := self._read(file)) is not None]

    def _read(self, file: Path) -> Patterns | None:
        if file not in self._files:
            try:
                lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            base = file.parent.parent.parent if file.name == "exclude" else file.parent
            self._files[file] = Patterns(lines, base) if lines else None
        return self._files[file]

    def _top(self, folder: Path) -> Path | None:
        if folder not in self._tops:
            if os.path.exists(folder / ".git"):
                self._tops[folder] = folder
            else:
                parent = folder.parent
                self._tops[folder] = None if parent == folder else self._top(parent)
        return self._tops[folder]
