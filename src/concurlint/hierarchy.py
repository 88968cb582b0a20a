"""Which settings each file gets: ruff's hierarchical configuration.

A file is linted with the ``[tool.concurlint]`` of the nearest ``pyproject.toml`` above
it, not the one above the working directory, so that ``concurlint proj/tests`` run from a
monorepo's root honours ``proj``'s ``per-file-ignores``. A file with no such table above it
gets the settings found from the working directory (else the defaults); ``--config`` gives
one file's settings to every file. Command-line options apply to every settings found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from concurlint.config import Settings, has_concurlint_table, load_settings

Adjust = Callable[[Settings], Settings]


class SettingsResolver:
    """Settings per folder, each pyproject.toml read once per run."""

    def __init__(self, config: Path | None, adjust: Adjust, cwd: Path | None = None) -> None:
        self._adjust = adjust
        self._fixed = adjust(load_settings(config)) if config is not None else None
        self.default = self._fixed or adjust(load_settings(start=cwd))
        self._configs: dict[Path, Path | None] = {}
        self._loaded: dict[Path, Settings] = {}

    def __call__(self, path: Path) -> Settings:
        """The settings for a file or folder named ``path``."""
        if self._fixed is not None:
            return self._fixed
        absolute = Path(os.path.abspath(path))
        config = self._config(absolute if os.path.isdir(absolute) else absolute.parent)
        if config is None:
            return self.default
        if config not in self._loaded:
            self._loaded[config] = self._adjust(load_settings(config))
        return self._loaded[config]

    def _config(self, folder: Path) -> Path | None:
        if folder not in self._configs:
            candidate = folder / "pyproject.toml"
            if os.path.isfile(candidate) and has_concurlint_table(candidate):
                self._configs[folder] = candidate
            else:
                parent = folder.parent
                self._configs[folder] = None if parent == folder else self._config(parent)
        return self._configs[folder]

    def group(self, paths: Iterable[str]) -> list[tuple[Settings, list[str]]]:
        """``paths`` by the settings they get, in order of first appearance: each group is
        one project (its own cache and cross-module pass)."""
        groups: dict[tuple[Settings, Path], list[str]] = {}
        for path in paths:
            settings = self(Path(path))
            groups.setdefault((settings, settings.root), []).append(path)
        return [(settings, members) for (settings, _), members in groups.items()]
