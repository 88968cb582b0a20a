"""Per-file results on disk, keyed on everything that decides them.

A key hashes the file's bytes and path (for a result, also the digest of the project facts
it used; for a module summary, the module name) together with a salt: concurlint's version, the
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
from typing import TYPE_CHECKING

from concurlint import __version__
from concurlint.config import Settings
from concurlint.diagnostic import FileResult
from concurlint.summary import ModuleSummary

if TYPE_CHECKING:
    from concurlint.project import FileFacts

CACHE_DIR = ".concurlint_cache"
# The layout of summaries and project facts: a change of their classes bumps it, so entries
# of an older layout are never read.
SUMMARY_FORMAT = "summary-10"
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
    def key(path: str, content: bytes, extra: str = "") -> str:
        """``extra`` is what else decides the entry: the digest of the project facts a
        result used, or the module name a summary was made for."""
        digest = hashlib.sha256(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(content)
        if extra:
            digest.update(b"\0" + extra.encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[-2:] / key

    def get(self, path: str, content: bytes, facts: str = "") -> FileResult | None:
        """The result stored for these bytes and the project facts of digest ``facts``."""
        result = self._load(self.key(path, content, facts))
        return result if isinstance(result, FileResult) and result.path == path else None

    def put(self, path: str, content: bytes, result: FileResult, facts: str = "") -> None:
        self._store(self.key(path, content, facts), result)

    def get_summary(
        self, path: str, content: bytes, module: str
    ) -> tuple[ModuleSummary, str] | None:
        """The module summary of these bytes read as ``module``, with its own digest."""
        entry = self._load(self.key(path, content, f"{SUMMARY_FORMAT}:{module}"))
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], ModuleSummary):
            return entry
        return None

    def put_summary(self, path: str, content: bytes, summary: tuple[ModuleSummary, str]) -> None:
        self._store(self.key(path, content, f"{SUMMARY_FORMAT}:{summary[0].module}"), summary)

    def get_project(self, key: str) -> dict[str, FileFacts] | None:
        """The facts of a whole run, by the digest of every file's bytes and module name."""
        facts = self._load(f"{SUMMARY_FORMAT}-{key}")
        return facts if isinstance(facts, dict) else None

    def put_project(self, key: str, facts: dict[str, FileFacts]) -> None:
        self._store(f"{SUMMARY_FORMAT}-{key}", facts)

    def _load(self, key: str) -> object:
        try:
            return pickle.loads(self._entry(key).read_bytes())
        except Exception:  # missing, truncated or foreign: a miss, recomputed
            return None

    def _store(self, key: str, value: object) -> None:
        """Store ``value`` atomically; a cache that cannot be written is skipped."""
        entry = self._entry(key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=_TEMPORARY_PREFIX, dir=entry.parent)
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
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
