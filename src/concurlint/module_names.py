"""The dotted name Python would import a file as: the one definition every pass uses.

A name is the file's path below its source root, the folder that would be on ``sys.path``:

- the configured ``src`` folders, when the configuration lists any (the deepest holding the
  file wins), as mypy's ``explicit_package_bases`` takes its bases from ``mypy_path``;
- else the nearest project root above the file, or that root's ``src/`` when the file is
  below it (ruff's default ``src = [".", "src"]``, taken per project so that a monorepo's
  distributions each get theirs). A project root is a folder holding ``pyproject.toml``,
  ``setup.cfg`` or ``setup.py`` that is no package itself (``homeassistant/setup.py`` is a
  module), or the configuration's folder (the working folder when there is none).

Below a source root every folder is a package, ``__init__.py`` or not (PEP 420): one
namespace package spread over several distributions (``diracx-db/src/diracx/db``,
``diracx-logic/src/diracx/logic``) gets one set of names, so its parts resolve each other.
A file under no root is named after the folders holding an ``__init__.py`` above it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from concurlint.config import Settings
from concurlint.files import inside

PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
SOURCE_FOLDER = "src"
_INITIALIZER = "__init__.py"


class ModuleNames:
    """Module names of files, each folder looked at once per run however many files it holds.

    ``roots`` are the configured source roots (none: detect them); ``project`` is the
    configuration's folder, a project root whatever it holds."""

    def __init__(self, roots: Iterable[str] = (), project: str | None = None) -> None:
        self.roots = sorted({os.path.abspath(root) for root in roots}, key=len, reverse=True)
        self.project = os.path.abspath(project) if project is not None else None
        self._packages: dict[str, list[str]] = {}
        self._projects: dict[str, str | None] = {}

    @classmethod
    def of(cls, settings: Settings) -> ModuleNames:
        """The names every pass of a run under ``settings`` gives its files."""
        return cls(settings.source_roots(), str(settings.root))

    def __call__(self, path: str) -> tuple[str, bool]:
        """The module name of ``path`` and whether it is a package (an ``__init__``)."""
        folder, name = os.path.split(os.path.abspath(path))
        stem = name.rpartition(".")[0] or name
        is_package = stem == "__init__"
        names = self._package(folder) + ([] if is_package else [stem])
        return ".".join(names), is_package

    def _package(self, folder: str) -> list[str]:
        """The package names a folder stands for (empty for a root or a plain folder)."""
        if folder not in self._packages:
            root = self._source_root(folder)
            if root is not None:
                relative = os.path.relpath(folder, root)
                self._packages[folder] = [] if relative == "." else relative.split(os.sep)
            elif os.path.isfile(os.path.join(folder, _INITIALIZER)):
                parent, name = os.path.split(folder)
                self._packages[folder] = [*self._package(parent), name] if parent != folder else []
            else:
                self._packages[folder] = []
        return self._packages[folder]

    def _source_root(self, folder: str) -> str | None:
        if self.roots:
            return next((root for root in self.roots if inside(folder, root)), None)
        project = self._project(folder)
        if project is None:
            return None
        source = os.path.join(project, SOURCE_FOLDER)
        if inside(folder, source) and not os.path.isfile(os.path.join(source, _INITIALIZER)):
            return source
        return project

    def _project(self, folder: str) -> str | None:
        """The nearest project root at or above ``folder``."""
        if folder not in self._projects:
            if folder == self.project or _holds_project(folder):
                self._projects[folder] = folder
            else:
                parent = os.path.dirname(folder)
                self._projects[folder] = None if parent == folder else self._project(parent)
        return self._projects[folder]


def _holds_project(folder: str) -> bool:
    """A project file in a package's folder is one of its modules, not a project's root."""
    if os.path.isfile(os.path.join(folder, _INITIALIZER)):
        return False
    return any(os.path.isfile(os.path.join(folder, name)) for name in PROJECT_FILES)
