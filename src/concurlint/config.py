"""``[tool.concurlint]`` in the nearest ``pyproject.toml`` (or ``--config``) -> one frozen Settings.

Unknown keys, unknown rule codes and malformed values raise ConfigError, which the CLI turns
into a one-line message and exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from concurlint.model.catalog import Catalog

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".ipynb_checkpoints", ".mypy_cache", ".nox",
    ".pytest_cache",
    ".ruff_cache", ".svn", ".tox", ".venv", "venv", "__pypackages__", "__pycache__",
    "_build", "build", "dist", "node_modules", "site-packages", ".concurlint_cache",
)


class ConfigError(Exception):
    """A setting that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    """Everything that decides what a run reports. Hashable and picklable: it is part of
    the cache key and is sent once to every worker process."""

    select: tuple[str, ...] = ("CCL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extend_blocking_calls: tuple[str, ...] = ()
    gevent_patched_by: tuple[str, ...] = ()
    src: tuple[str, ...] = ()
    root: Path = field(default_factory=Path.cwd, compare=False)

    def source_roots(self) -> tuple[str, ...]:
        """Folders that imports are resolved from, like entries of ``sys.path``: the
        configured ``src`` (relative to the config's folder), else the usual layouts, the
        config's folder itself and its ``src/``."""
        folders = self.src or (".", "src")
        return tuple(str(self.root / folder) for folder in folders)

    def catalog_extensions(self) -> dict[str, Any]:
        """User additions to the catalog, merged over the shipped data."""
        extensions: dict[str, Any] = {}
        if self.extend_blocking_calls:
            extensions["blocking"] = [
                {
                    "kind": "configured",
                    "advice": "it is listed in `extend-blocking-calls`; "
                    "use an async API or `await asyncio.to_thread(...)`",
                    "names": list(self.extend_blocking_calls),
                }
            ]
        return extensions


# Config keys (kebab-case, as written in pyproject.toml) -> Settings field and value kind.
_KEYS: Mapping[str, tuple[str, str]] = {
    "select": ("select", "codes"),
    "ignore": ("ignore", "codes"),
    "exclude": ("exclude", "strings"),
    "extend-exclude": ("extend_exclude", "strings"),
    "per-file-ignores": ("per_file_ignores", "per-file"),
    "extend-blocking-calls": ("extend_blocking_calls", "strings"),
    "gevent-patched-by": ("gevent_patched_by", "strings"),
    "src": ("src", "strings"),
}


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has ``[tool.concurlint]``."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "concurlint" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error


def load_settings(config: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from ``config`` if given, else from the nearest pyproject.toml, else defaults."""
    start = (start or Path.cwd()).resolve()
    path = config if config is not None else find_pyproject(start)
    if path is None:
        return Settings(root=start)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    data = _read_toml(path)
    table = data.get("tool", {}).get("concurlint", data if path.name != "pyproject.toml" else {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.concurlint] must be a table")
    return settings_from_table(table, origin=str(path), root=path.resolve().parent)


def settings_from_table(table: Mapping[str, Any], origin: str, root: Path) -> Settings:
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(
                f"{origin}: unknown key `{key}` in [tool.concurlint] (known: {known})"
            )
        attribute, kind = _KEYS[key]
        values[attribute] = _convert(raw, kind, f"{origin}: `{key}`")
    return Settings(root=root, **values)


def _convert(raw: Any, kind: str, where: str) -> Any:
    if kind in ("codes", "strings"):
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(raw)
    if not isinstance(raw, dict) or not all(
        isinstance(codes, list) and all(isinstance(code, str) for code in codes)
        for codes in raw.values()
    ):
        raise ConfigError(f"{where} must be a table of glob = [codes]")
    return tuple((pattern, tuple(codes)) for pattern, codes in raw.items())


def with_overrides(settings: Settings, **overrides: Sequence[str] | None) -> Settings:
    """Command-line values replace the configured ones (as in ruff and flake8)."""
    given = {key: tuple(value) for key, value in overrides.items() if value is not None}
    return replace(settings, **given)


def validate_codes(settings: Settings, catalog: Catalog) -> None:
    """Every code or prefix in select/ignore/per-file-ignores must name at least one rule."""
    known = catalog.rules.keys()
    used: list[str] = [*settings.select, *settings.ignore]
    for _, codes in settings.per_file_ignores:
        used.extend(codes)
    for code in used:
        if not any(rule.startswith(code) for rule in known):
            raise ConfigError(f"unknown rule code or prefix `{code}`")


def is_selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """Ruff's precedence: the most specific matching prefix wins; a tie means ignored."""
    selected = max((len(prefix) for prefix in select if code.startswith(prefix)), default=-1)
    ignored = max((len(prefix) for prefix in ignore if code.startswith(prefix)), default=-1)
    return selected > ignored
