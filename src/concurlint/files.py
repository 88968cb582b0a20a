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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from concurlint.config import Settings
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


def _is_excluded(path: Path, patterns: Iterable[str], root: Path) -> bool:
    """flake8's rule: a pattern matches the base name or the path (relative to the config root)."""
    try:
        relative = Path(os.path.realpath(path)).relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    return any(
        fnmatch(path.name, pattern)
        or fnmatch(relative, pattern)
        or fnmatch(path.as_posix(), pattern)
        for pattern in patterns
    )


def discover(
    paths: Iterable[str], settings: Settings, force_exclude: bool = False
) -> tuple[list[str], list[Unreadable]]:
    """Expand ``paths`` into source files (sorted, deduplicated) plus the paths that failed.

    Files named explicitly are linted whatever their suffix or the excludes, unless
    ``force_exclude`` (used by pre-commit, which passes every staged file).
    """
    patterns = (*settings.exclude, *settings.extend_exclude)
    found: set[str] = set()
    problems: list[Unreadable] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.update(_walk(path, patterns, settings.root, problems))
        elif path.is_file():
            if not (force_exclude and _is_excluded(path, patterns, settings.root)):
                found.add(os.path.normpath(given))
        else:
            problems.append(Unreadable(os.path.normpath(given), _missing_reason(path)))
    return sorted(found), problems


def _walk(
    top: Path, patterns: tuple[str, ...], root: Path, problems: list[Unreadable]
) -> Iterator[str]:
    def on_error(error: OSError) -> None:
        where = os.path.normpath(error.filename or str(top))
        problems.append(Unreadable(where, f"cannot read folder: {_reason(error)}"))

    for folder, subfolders, names in os.walk(top, onerror=on_error, followlinks=False):
        base = Path(folder)
        subfolders[:] = sorted(d for d in subfolders if not _is_excluded(base / d, patterns, root))
        for name in names:
            candidate = base / name
            if name.endswith(SOURCE_SUFFIXES) and not _is_excluded(candidate, patterns, root):
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


def encode_source(source: Source, text: str) -> bytes:
    """The bytes to write for ``text``: the same codec as read, so the BOM survives; for a
    notebook, its JSON with the code cells' new sources."""
    if source.notebook is not None:
        text = dump_cells(source.notebook, text)
    return text.encode(source.encoding)
