"""Per-file results on disk, keyed on everything that decides them.

A key hashes the file's bytes (their SHA-256, the file's ``fingerprint``) and path (for a
result, also the digest of the project facts it used; for a module summary, the module
name) together with a salt: concurlint's version, the Python and libcst versions, the
catalog digest and the settings. Content, not modification time, decides: a CI checkout
resets every mtime, and an edit that restores a file finds its old entry again. Any change
to the salt starts a new generation folder, so nothing stale is ever read.

The cache sits in the linted tree, and a tree can be anyone's: entries are JSON data, never
code (``concurlint.records``). An entry is a header line (format, kind, key and the SHA-256
of the body) and the body; it is read only from a regular file (no symbolic link, FIFO or
device) of at most ``MAX_ENTRY`` bytes, and used only when the header matches what was
asked and the body its digest and the declared types. Anything else is a miss, recomputed
and overwritten.

Entries are written to a temporary file in the target folder and renamed over the entry
(atomic on POSIX and Windows): concurrent runs sharing a cache at worst write the same
entry twice, and a run killed mid-write leaves only a stray temporary file, never a
truncated entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from concurlint import __version__
from concurlint.config import Settings
from concurlint.diagnostic import FileResult
from concurlint.files import fingerprint
from concurlint.project import FileFacts
from concurlint.records import Malformed, from_json, to_json
from concurlint.summary import ModuleSummary
from concurlint.summary_classes import ClassSummary
from concurlint.summary_processes import ProcessSummary
from concurlint.summary_threads import ThreadSummary

CACHE_DIR = ".concurlint_cache"
# The layout of summaries and project facts: a change of their classes bumps it, so entries
# of an older layout are never read.
SUMMARY_FORMAT = "summary-18"
# The largest entry read: the joined facts of the standard library (734 files) take 0.12 MB.
MAX_ENTRY = 64 * 1024 * 1024
_HEADER = b"concurlint-cache-1"
_TEMPORARY_PREFIX = ".tmp-"
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by concurlint.\n"
)
# Annotations the stored dataclasses name only for type checking.
_NAMES: dict[str, type] = {
    "ClassSummary": ClassSummary, "ProcessSummary": ProcessSummary, "ThreadSummary": ThreadSummary
}
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_BINARY", 0)
)
_RESULT, _SUMMARY, _PROJECT = "result", "summary", "project"
_KINDS: dict[str, object] = {
    _RESULT: FileResult,
    _SUMMARY: tuple[ModuleSummary, str],
    _PROJECT: dict[str, FileFacts],
}


def cache_salt(settings: Settings, catalog_digest: str) -> str:
    """What, besides a file's own bytes and path, decides its result."""
    parts = (
        __version__,
        sys.version,
        metadata.version("libcst"),
        catalog_digest,
        repr(settings),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Cache:
    """One generation of the cache: the folder for one salt. Picklable, so every worker
    process writes its own results."""

    folder: Path

    @classmethod
    def open(cls, root: Path, settings: Settings, catalog_digest: str) -> Cache:
        _mark_cache_root(root)
        return cls(root / cache_salt(settings, catalog_digest)[:32])

    @staticmethod
    def key(path: str, content: str, extra: str = "") -> str:
        """``content`` is the file's ``files.fingerprint``; ``extra`` is what else decides the
        entry: the digest of the project facts a result used, or the module name a summary
        was made for."""
        digest = hashlib.sha256(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\0" + content.encode())
        if extra:
            digest.update(b"\0" + extra.encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[-2:] / key

    def get(self, path: str, content: str, facts: str = "") -> FileResult | None:
        """The result stored for these bytes and the project facts of digest ``facts``."""
        result = self._load(_RESULT, self.key(path, content, facts))
        return result if isinstance(result, FileResult) and result.path == path else None

    def put(self, path: str, content: str, result: FileResult, facts: str = "") -> None:
        self._store(_RESULT, self.key(path, content, facts), result)

    def get_summary(
        self, path: str, content: str, module: str
    ) -> tuple[ModuleSummary, str] | None:
        """The module summary of these bytes read as ``module``, with its own digest."""
        entry = self._load(_SUMMARY, self._summary_key(path, content, module))
        return entry if isinstance(entry, tuple) and entry[0].module == module else None

    def put_summary(self, path: str, content: str, summary: tuple[ModuleSummary, str]) -> None:
        key = self._summary_key(path, content, summary[0].module)
        self._store(_SUMMARY, key, summary)

    def _summary_key(self, path: str, content: str, module: str) -> str:
        """Where the summary of these bytes read as ``module`` is stored."""
        return self.key(path, content, f"{SUMMARY_FORMAT}:{module}")

    def summary_digest(self, path: str, content: str, module: str) -> str | None:
        """The digest stored with the summary of these bytes read as ``module``, without
        checking and converting the summary itself: enough to find the joined facts."""
        body = self._body(_SUMMARY, self._summary_key(path, content, module))
        try:
            value = json.loads(body) if body is not None else None
        except (ValueError, RecursionError):
            return None
        if type(value) is list and len(value) == 2 and type(value[1]) is str:
            return value[1]
        return None

    def copy_project(self, source: str, target: str) -> bool:
        """Store the joined facts found under ``source`` under ``target`` too, as they are
        (neither decoded nor encoded again); False when there are none under ``source``."""
        body = self._body(_PROJECT, f"{SUMMARY_FORMAT}-{source}")
        if body is None:
            return False
        self._write(_PROJECT, f"{SUMMARY_FORMAT}-{target}", body)
        return True

    def get_project(
        self, key: str, wanted: Collection[str] | None = None
    ) -> dict[str, FileFacts] | None:
        """The facts of a whole run, by the digest of every file's bytes and module name;
        only those of the ``wanted`` paths when given (the others are not decoded)."""
        facts = self._load(_PROJECT, f"{SUMMARY_FORMAT}-{key}", wanted)
        return facts if isinstance(facts, dict) else None

    def put_project(self, key: str, facts: dict[str, FileFacts]) -> None:
        self._store(_PROJECT, f"{SUMMARY_FORMAT}-{key}", facts)

    def _load(self, kind: str, key: str, keys: Collection[str] | None = None) -> object:
        """The entry's value (of a mapping, only ``keys`` when given), or None: missing, not
        a regular file, too large, of another key, kind or format, corrupt, or not of the
        declared shape."""
        body = self._body(kind, key)
        if body is None:
            return None
        try:
            return from_json(body, _KINDS[kind], _NAMES, keys)
        except (Malformed, TypeError, ValueError, RecursionError):
            return None

    def _body(self, kind: str, key: str) -> bytes | None:
        """The entry's JSON bytes when its header names this kind and key and its body is
        whole (its fingerprint matches); None otherwise."""
        data = read_entry(self._entry(key))
        if data is None:
            return None
        header, _, body = data.partition(b"\n")
        expected = b" ".join((_HEADER, kind.encode(), key.encode(), fingerprint(body).encode()))
        return body if header == expected else None

    def _store(self, kind: str, key: str, value: object) -> None:
        self._write(kind, key, to_json(value))

    def _write(self, kind: str, key: str, body: bytes) -> None:
        """Store ``body`` atomically; a cache that cannot be written is skipped."""
        header = b" ".join((_HEADER, kind.encode(), key.encode(), fingerprint(body).encode()))
        entry = self._entry(key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=_TEMPORARY_PREFIX, dir=entry.parent)
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(header + b"\n" + body)
            os.replace(temporary, entry)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def cache_dir_refusal(given: str, root: Path) -> str | None:
    """Why ``given`` cannot be the cache folder: empty (an unset variable in CI), or the
    project's folder, the working folder or a folder above either. The cache writes its
    generations there, and a folder it creates is tagged to be left out of git and backups."""
    if not given.strip():
        return "--cache-dir is empty; give a folder of its own, or --no-cache"
    folder = Path(given).resolve()
    for kept in (root.resolve(), Path.cwd().resolve()):
        if folder == kept or folder in kept.parents:
            return (f"--cache-dir {given!r} is the project or working folder, or one above it; "
                    "give a folder of its own, or --no-cache")
    return None


def read_entry(path: Path, limit: int = MAX_ENTRY) -> bytes | None:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes, itself
    and not through a symbolic link; None otherwise. Never blocks on a FIFO or a device."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    with open(descriptor, "rb") as stream:
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
                return None
            data = stream.read(limit + 1)
        except OSError:
            return None
    return data if len(data) <= limit else None


def _mark_cache_root(root: Path) -> None:
    """Tag the folder so that backup tools and git leave it alone (as pytest and ruff do);
    only a folder this call creates: tagging a folder that holds anything else would hide
    it from backups and from git."""
    try:
        root.mkdir(parents=True)
    except OSError:
        return
    try:
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# Created by concurlint.\n*\n")):
            (root / name).write_text(text, encoding="utf-8")
    except OSError:
        pass
