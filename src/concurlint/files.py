"""Which files to lint, and reading them into text without ever raising.

Reading keeps what a fix must write back unchanged: the encoding (from the BOM or the
PEP 263 cookie) and whether the file starts with a BOM. Line endings stay inside the text.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import stat
import tokenize
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from concurlint.config import Settings
from concurlint.gitignore import GitIgnore
from concurlint.globs import Patterns
from concurlint.notebook import Notebook, NotebookError, dump_cells, load_cells

# Notebooks are linted by default, as ruff does (docs/configuration.md, "Notebooks").
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True)
class Source:
    """A decoded source file."""

    path: str
    text: str
    encoding: str  # the codec to write it back with ("utf-8-sig" keeps a BOM)
    notebook: Notebook | None = None  # for a notebook, ``text`` is its code cells


@dataclass(frozen=True)
class Unreadable:
    """A file that could not be turned into text; ``line`` is 1 unless the reason has one."""

    path: str
    reason: str
    line: int = 1


SettingsFor = Callable[[Path], Settings]


class _Exclusions:
    """The ``exclude`` patterns of each folder's settings, and what git ignores."""

    def __init__(self, settings_for: SettingsFor) -> None:
        self.settings_for = settings_for
        self.gitignore = GitIgnore()
        self._patterns: dict[tuple[Settings, Path], Patterns] = {}

    def patterns(self, folder: Path) -> tuple[Settings, Patterns]:
        settings = self.settings_for(folder)
        key = (settings, settings.root)
        if key not in self._patterns:
            lines = (*settings.exclude, *settings.extend_exclude)
            self._patterns[key] = Patterns(lines, settings.root)
        return settings, self._patterns[key]

    def walked(self, path: Path, is_dir: bool) -> bool:
        """Excluded while walking a folder: by the settings, or by git."""
        settings, patterns = self.patterns(path.parent)
        if patterns.matches(path, is_dir):
            return True
        return settings.respect_gitignore and self.gitignore.ignored(path, is_dir)

    def named(self, path: Path) -> bool:
        """``--force-exclude`` for a file named explicitly: the file or one of its folders
        matches (ruff's rule, so that ``migrations`` excludes ``migrations/0001.py``). Only
        the folders below the settings' root count: a project kept in a folder named
        ``build`` is not excluded by the default patterns."""
        _, patterns = self.patterns(path.parent)
        absolute = Path(os.path.abspath(path))
        folders = [folder for folder in absolute.parents if patterns.inside(folder)]
        return patterns.matches(absolute, False) or any(
            patterns.matches(folder, True) for folder in folders
        )


def force_excluded(path: Path, settings: Settings | SettingsFor) -> bool:
    """Whether ``--force-exclude`` drops ``path`` (a file named explicitly, or stdin's name)."""
    return _Exclusions(_settings_for(settings)).named(path)


def _settings_for(settings: Settings | SettingsFor) -> SettingsFor:
    return settings if callable(settings) else lambda _folder: settings


def discover(
    paths: Iterable[str], settings: Settings | SettingsFor, force_exclude: bool = False
) -> tuple[list[str], list[Unreadable]]:
    """Expand ``paths`` into source files (sorted, deduplicated) plus the paths that failed.

    ``settings`` is one Settings for every file, or the settings of each folder. Files
    named explicitly are linted whatever their suffix or the excludes, unless
    ``force_exclude`` (used by pre-commit, which passes every staged file); ``.gitignore``
    applies to the folders walked only, as in ruff.
    """
    exclusions = _Exclusions(_settings_for(settings))
    found: set[str] = set()
    problems: list[Unreadable] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.update(_walk(path, exclusions, problems))
        elif path.is_file():
            if not (force_exclude and exclusions.named(path)):
                found.add(os.path.normpath(given))
        else:
            problems.append(Unreadable(os.path.normpath(given), _missing_reason(path)))
    return sorted(found), problems


def _walk(top: Path, exclusions: _Exclusions, problems: list[Unreadable]) -> Iterator[str]:
    def on_error(error: OSError) -> None:
        where = os.path.normpath(error.filename or str(top))
        problems.append(Unreadable(where, f"cannot read folder: {_reason(error)}"))

    for folder, subfolders, names in os.walk(top, onerror=on_error, followlinks=False):
        base = Path(folder)
        subfolders[:] = sorted(d for d in subfolders if not exclusions.walked(base / d, True))
        for name in names:
            candidate = base / name
            if name.endswith(SOURCE_SUFFIXES) and not exclusions.walked(candidate, False):
                yield os.path.normpath(candidate)


def _missing_reason(path: Path) -> str:
    """Why ``path`` is neither a file nor a folder: a symlink loop, a broken symlink, ..."""
    try:
        path.stat()
    except OSError as error:
        broken = path.is_symlink() and error.errno == errno.ENOENT
        return "broken symbolic link" if broken else _reason(error)
    return "not a regular file"


def _reason(error: OSError) -> str:
    return error.strerror.lower() if error.strerror else str(error)


def read_source(path: str) -> Source | Unreadable:
    """Read and decode ``path`` the way Python would, never raising."""
    raw = read_bytes(path)
    return raw if isinstance(raw, Unreadable) else decode_source(path, raw)


def read_bytes(path: str) -> bytes | Unreadable:
    try:
        # Non-blocking, then checked: a FIFO or a device named *.py must not hang the run.
        with open(os.open(path, os.O_RDONLY | _NONBLOCK), "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return Unreadable(path, "not a regular file")
            return stream.read()
    except OSError as error:
        return Unreadable(path, f"cannot read: {_reason(error)}")


def decode_source(path: str, raw: bytes) -> Source | Unreadable:
    if path.endswith(".ipynb"):
        return _decode_notebook(path, raw)
    if b"\0" in raw:
        return Unreadable(path, "binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        codecs.lookup(encoding)
    except (SyntaxError, LookupError) as error:
        return Unreadable(path, f"cannot decode: {error}")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return Unreadable(path, f"cannot decode as {encoding}: byte {error.start}", line)
    except UnicodeError as error:  # codecs such as idna raise the base class
        return Unreadable(path, f"cannot decode as {encoding}: {error}")
    if encoding == "utf-8-sig":
        text = text.removeprefix("\ufeff")
    return Source(path, text, encoding)


def _decode_notebook(path: str, raw: bytes) -> Source | Unreadable:
    try:
        document = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return Unreadable(path, f"cannot decode as utf-8: byte {error.start}")
    try:
        text, cells = load_cells(document)
    except NotebookError as error:
        return Unreadable(path, str(error))
    return Source(path, text, "utf-8", cells)


def encode_exactly(source: Source, text: str) -> bytes | None:
    """The bytes to write for ``text`` in the codec it was read with (so a BOM survives),
    or None when decoding them would not give ``text`` back: codecs such as
    ``unicode_escape`` or ``utf-7`` have several spellings of one text, and ``idna``
    cannot encode most programs. For a notebook, its JSON with the code cells' new sources."""
    if source.notebook is not None:
        text = dump_cells(source.notebook, text)
    try:
        data = text.encode(source.encoding)
        decoded = data.decode(source.encoding)
    except (UnicodeError, LookupError):
        return None
    return data if decoded == text else None
