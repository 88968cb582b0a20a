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

# Bytes; a larger file is reported as skipped (libcst needs minutes and gigabytes for a few
# megabytes of data literals). The largest module of the standard library is 0.75 MB.
DEFAULT_MAX_FILE_SIZE = 1024 * 1024


class ConfigError(Exception):
    """A setting that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class RuleLayer:
    """Codes given on the command line; ``select`` None keeps the configured selection."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def apply(self, code: str, selected: bool) -> bool:
        if self.select is not None:
            return is_selected(code, (*self.select, *self.extend_select), self.ignore)
        added = _specificity(code, self.extend_select)
        removed = _specificity(code, self.ignore)
        if added < 0 and removed < 0:
            return selected
        return added > removed

    def codes(self) -> list[str]:
        return [*(self.select or ()), *self.extend_select, *self.ignore]


@dataclass(frozen=True)
class Settings:
    """Everything that decides what a run reports. Hashable and picklable: it is part of
    the cache key and is sent once to every worker process."""

    select: tuple[str, ...] = ("CCL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extend_blocking_calls: tuple[str, ...] = ()
    gevent_patched_by: tuple[str, ...] = ()
    src: tuple[str, ...] = ()
    respect_gitignore: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    command_line: RuleLayer | None = None  # --select & co., applied over the configured codes
    root: Path = field(default_factory=Path.cwd, compare=False)
    # Whether a configuration file was found: only then is ``root`` a project's root, whose
    # source files give facts to any file linted under it (see docs/architecture.md).
    configured: bool = field(default=False, compare=False, repr=False)

    def selects(self, code: str) -> bool:
        """ruff's layers: the configured codes, then the command line's. Within a layer
        the most specific prefix wins; a later layer's ``select`` starts over, its
        ``extend-select`` and ``ignore`` only change the codes they match."""
        selected = is_selected(code, (*self.select, *self.extend_select), self.ignore)
        return self.command_line.apply(code, selected) if self.command_line else selected

    def codes_used(self) -> list[str]:
        """Every code or prefix the settings name."""
        used = [*self.select, *self.extend_select, *self.ignore]
        for _, codes in self.per_file_ignores:
            used.extend(codes)
        if self.command_line is not None:
            used.extend(self.command_line.codes())
        return used

    def source_roots(self) -> tuple[str, ...]:
        """The configured ``src`` folders (relative to the config's folder), like entries of
        ``sys.path``; none when they are left to ``module_names`` to find."""
        return tuple(str(self.root / folder) for folder in self.src)

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
    "extend-select": ("extend_select", "codes"),
    "ignore": ("ignore", "codes"),
    "exclude": ("exclude", "strings"),
    "extend-exclude": ("extend_exclude", "strings"),
    "per-file-ignores": ("per_file_ignores", "per-file"),
    "extend-blocking-calls": ("extend_blocking_calls", "strings"),
    "gevent-patched-by": ("gevent_patched_by", "strings"),
    "src": ("src", "strings"),
    "respect-gitignore": ("respect_gitignore", "bool"),
    "max-file-size": ("max_file_size", "size"),
}


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has ``[tool.concurlint]``."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and has_concurlint_table(candidate):
            return candidate
    return None


def has_concurlint_table(pyproject: Path) -> bool:
    return "concurlint" in _tools(_read_toml(pyproject), pyproject)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error


def _tools(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """The ``[tool]`` table; anything else there (``tool = [...]``) is a configuration error."""
    tools = data.get("tool", {})
    if not isinstance(tools, dict):
        raise ConfigError(f"{path}: `tool` must be a table")
    return tools


def load_settings(config: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from ``config`` if given, else from the nearest pyproject.toml, else defaults."""
    start = (start or Path.cwd()).resolve()
    path = config if config is not None else find_pyproject(start)
    if path is None:
        return Settings(root=start)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    data = _read_toml(path)
    table = _tools(data, path).get("concurlint", data if path.name != "pyproject.toml" else {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.concurlint] must be a table")
    settings = settings_from_table(table, origin=str(path), root=path.resolve().parent)
    return replace(settings, configured=True)


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
    if kind == "bool":
        if not isinstance(raw, bool):
            raise ConfigError(f"{where} must be true or false")
        return raw
    if kind in ("codes", "strings"):
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(raw)
    if kind == "size":
        if type(raw) is not int or raw < 1:
            raise ConfigError(f"{where} must be a positive number of bytes")
        return raw
    if not isinstance(raw, dict) or not all(
        isinstance(codes, list) and all(isinstance(code, str) for code in codes)
        for codes in raw.values()
    ):
        raise ConfigError(f"{where} must be a table of glob = [codes]")
    return tuple((pattern, tuple(codes)) for pattern, codes in raw.items())


def with_overrides(
    settings: Settings,
    rules: RuleLayer | None = None,
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] = (),
    respect_gitignore: bool | None = None,
) -> Settings:
    """Command-line values over the configured ones, as in ruff: ``--exclude`` replaces,
    ``--extend-exclude`` adds, codes form a layer of their own (see ``Settings.selects``)."""
    return replace(
        settings,
        command_line=rules,
        exclude=settings.exclude if exclude is None else tuple(exclude),
        extend_exclude=(*settings.extend_exclude, *extend_exclude),
        respect_gitignore=(
            settings.respect_gitignore if respect_gitignore is None else respect_gitignore
        ),
    )


def validate_codes(settings: Settings, catalog: Catalog) -> None:
    """Every code or prefix the settings name must name at least one rule."""
    known = catalog.rules.keys()
    for code in settings.codes_used():
        if not any(rule.startswith(code) for rule in known):
            raise ConfigError(f"unknown rule code or prefix `{code}`")


def is_selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """Ruff's precedence: the most specific matching prefix wins; a tie means ignored."""
    return _specificity(code, select) > _specificity(code, ignore)


def _specificity(code: str, prefixes: Iterable[str]) -> int:
    """The length of the longest of ``prefixes`` that ``code`` starts with; -1 if none."""
    return max((len(prefix) for prefix in prefixes if code.startswith(prefix)), default=-1)
