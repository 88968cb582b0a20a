"""Per-file results on disk, keyed on everything that decides them.

A key hashes the file's bytes and path together with a salt: concurlint's version, the
Python and libcst versions, the catalog digest and the settings. Content, not modification
time, decides: a CI checkout resets every mtime, and an edit that restores a file finds its
old entry again. Any change to the salt starts a new generation folder, so nothing stale
is ever read.

Entries are written to a temporary file in the target folder and renamed over the entry
(atomic on POSIX and Windows): concurrent runs sharing a cache at worst write the same
entry twice, and a run killed mid-write leaves only a stray temporary file, never a
truncated entry. An entry that cannot be read for any reason is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from concurlint import __version__
from concurlint.config import Settings
from concurlint.diagnostic import FileResult

CACHE_DIR = ".concurlint_cache"
_TEMPORARY_PREFIX = ".tmp-"
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by concurlint.\n"
)


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
    def key(path: str, content: bytes) -> str:
        digest = hashlib.sha256(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(content)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def get(self, path: str, content: bytes) -> FileResult | None:
        try:
            result = pickle.loads(self._entry(self.key(path, content)).read_bytes())
        except Exception:  # missing, truncated or foreign: a miss, recomputed
            return None
        return result if isinstance(result, FileResult) and result.path == path else None

    def put(self, path: str, content: bytes, result: FileResult) -> None:
        """Store ``result`` atomically; a cache that cannot be written is skipped."""
        entry = self._entry(self.key(path, content))
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=_TEMPORARY_PREFIX, dir=entry.parent)
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(result, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _mark_cache_root(root: Path) -> None:
    """Tag the folder so that backup tools and git leave it alone (as pytest and ruff do)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# Created by concurlint.\n*\n")):
            marker = root / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")
    except OSError:
        pass
