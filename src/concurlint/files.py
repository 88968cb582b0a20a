"""Which files to lint, and reading them into text without ever raising.

Reading keeps what a fix must write back unchanged: the encoding (from the BOM or the
PEP 263 cookie) and whether the file starts with a BOM. Line endings stay inside the text.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
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
STUB_SUFFIX = ".pyi"  # a stub: declarations Python never runs
SOURCE_SUFFIXES = (".py", STUB_SUFFIX, ".ipynb")
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
    """Expand ``paths`` into source files (sorted, each once) plus the paths that failed.

    ``settings`` is one Settings for every file, or the settings of each folder. Files
    named explicitly are linted whatever their suffix or the excludes, unless
    ``force_exclude`` (used by pre-commit, which passes every staged file); ``.gitignore``
    applies to the folders walked only, as in ruff.
    """
    exclusions = _Exclusions(_settings_for(settings))
    # by absolute path: ``a.py``, ``./a.py`` and ``/project/a.py`` are one file, linted once
    # and reported under the first of its names
    found: dict[str, str] = {}
    problems: list[Unreadable] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            names = list(_walk(path, exclusions, problems))
        elif path.is_file():
            excluded = force_exclude and exclusions.named(path)
            names = [] if excluded else [os.path.normpath(given)]
        else:
            names = []
            problems.append(Unreadable(os.path.normpath(given), _missing_reason(path)))
        for name in names:
            found.setdefault(os.path.abspath(name), name)
    return sorted(found.values()), problems


def project_files(named: Iterable[str], settings: Settings) -> list[str]:
    """The source files whose facts the ``named`` files use (the named files included).

    With a configuration, the project is every source file under its root and its ``src``
    roots, found as a run over the root finds them, whatever files are named: one file
    gets the reports a run over the whole project gives it. A named file outside those
    roots (a loose script, or no configuration at all) brings the source files of its own
    folder. Files are spelled as a run over the root spells them (relative to the working
    folder when under it), so both runs share their cache entries; a named file keeps
    its own spelling."""
    exclusions = _Exclusions(_settings_for(settings))
    roots = _project_roots(settings) if settings.configured else []
    found: dict[str, str] = {}
    for root in roots:
        for path in _walk(Path(_spelled(root)), exclusions, []):
            found.setdefault(os.path.abspath(path), path)
    for path in named:
        folder = loose_folder(path, settings)
        for sibling in folder_files(folder, settings) if folder is not None else ():
            found.setdefault(os.path.abspath(sibling), sibling)
        found[os.path.abspath(path)] = path
    return sorted(found.values())


def loose_folder(path: str, settings: Settings) -> str | None:
    """The folder whose files form the project of ``path`` when it is outside every
    configured root (spelled as ``path`` spells it); None when the configuration's
    project holds it."""
    absolute = os.path.abspath(path)
    if settings.configured and any(inside(absolute, root) for root in _project_roots(settings)):
        return None
    return os.path.dirname(path)


def _project_roots(settings: Settings) -> list[str]:
    """The configuration's folder and the ``src`` roots outside it (absolute paths)."""
    roots: list[str] = []
    for folder in (str(settings.root), *settings.source_roots()):
        absolute = os.path.abspath(folder)
        if os.path.isdir(absolute) and not any(inside(absolute, root) for root in roots):
            roots.append(absolute)
    return roots


def inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or below it (both absolute)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _spelled(folder: str) -> str:
    """``folder`` as ``concurlint .`` would spell files under it: relative to the working
    folder when under it, else absolute."""
    here = os.getcwd()
    return os.path.relpath(folder, here) if inside(folder, here) else folder


def folder_files(folder: str, settings: Settings) -> list[str]:
    """The source files directly in ``folder`` (not below it) that a run over it lints."""
    exclusions = _Exclusions(_settings_for(settings))
    try:
        names = sorted(os.listdir(folder or "."))
    except OSError:
        return []
    return [
        os.path.normpath(os.path.join(folder, name)) for name in names
        if name.endswith(SOURCE_SUFFIXES) and os.path.isfile(os.path.join(folder or ".", name))
        and not exclusions.walked(Path(folder or ".") / name, False)
    ]


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


def read_source(path: str, limit: int | None = None) -> Source | Unreadable:
    """Read and decode ``path`` the way Python would, never raising."""
    raw = read_bytes(path, limit)
    return raw if isinstance(raw, Unreadable) else decode_source(path, raw)


def read_bytes(path: str, limit: int | None = None) -> bytes | Unreadable:
    """The file's bytes; a file larger than ``limit`` bytes is not read (``max-file-size``)."""
    try:
        # Non-blocking, then checked: a FIFO or a device named *.py must not hang the run.
        with open(os.open(path, os.O_RDONLY | _NONBLOCK), "rb") as stream:
            status = os.fstat(stream.fileno())
            if not stat.S_ISREG(status.st_mode):
                return Unreadable(path, "not a regular file")
            if limit is not None and status.st_size > limit:
                return _too_large(path, limit)
            raw = stream.read() if limit is None else stream.read(limit + 1)
    except OSError as error:
        return Unreadable(path, f"cannot read: {_reason(error)}")
    if limit is not None and len(raw) > limit:  # grew since fstat
        return _too_large(path, limit)
    return raw


def _too_large(path: str, limit: int) -> Unreadable:
    return Unreadable(path, f"skipped: larger than max-file-size ({limit} bytes)")


def fingerprint(content: bytes) -> str:
    """What the cache and the project pass keep of a file's bytes."""
    return hashlib.sha256(content).hexdigest()


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
