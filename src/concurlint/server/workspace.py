"""What the language server knows about one workspace, independent of the protocol.

The server lints the documents an editor has open, with the facts of the whole project they
belong to: every source file under the workspace root (a fingerprint of each is kept, the
file read again when its summary is needed), with the unsaved text of open documents in
place of their files. Module summaries are memoized in memory in front of the on-disk cache,
so an edit re-summarizes the edited file alone and the join runs over summaries at hand.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from concurlint.cache import CACHE_DIR, Cache
from concurlint.config import Settings, load_settings, settings_from_table, validate_codes
from concurlint.diagnostic import Diagnostic, FileResult
from concurlint.engine import RuleSet, lint_source, run_with_deep_stack
from concurlint.files import (
    Source,
    Unreadable,
    discover,
    fingerprint,
    read_bytes,
    read_source,
)
from concurlint.fixes import FixOutcome, fix_source
from concurlint.model.catalog import Catalog, load_catalog
from concurlint.module_names import ModuleNames
from concurlint.project import NO_FACTS, FileFacts, project_facts
from concurlint.summary import ModuleSummary

_UTF8 = "utf-8"


@dataclass(frozen=True)
class MemoCache(Cache):
    """The on-disk cache with the module summaries and joined facts of this process kept in
    memory: the server asks for them on every edit."""

    summaries: dict[tuple[str, str, str], tuple[ModuleSummary, str] | None] = field(
        default_factory=dict, compare=False
    )
    projects: dict[str, dict[str, FileFacts]] = field(default_factory=dict, compare=False)

    def get_summary(
        self, path: str, content: str, module: str
    ) -> tuple[ModuleSummary, str] | None:
        key = (path, content, module)
        if key not in self.summaries:
            self.summaries[key] = super().get_summary(path, content, module)
        return self.summaries[key]

    def summary_digest(self, path: str, content: str, module: str) -> str | None:
        entry = self.get_summary(path, content, module)  # kept decoded for the next edit
        return entry[1] if entry is not None else None

    def put_summary(self, path: str, content: str, summary: tuple[ModuleSummary, str]) -> None:
        for key in [key for key in self.summaries if key[0] == path]:
            del self.summaries[key]  # one version of a file is kept: memory stays bounded
        self.summaries[(path, content, summary[0].module)] = summary
        super().put_summary(path, content, summary)

    def get_project(
        self, key: str, wanted: Collection[str] | None = None
    ) -> dict[str, FileFacts] | None:
        facts = self.projects.get(key)  # kept decoded: a subset costs nothing to make
        if facts is None or wanted is None:
            return facts
        return {path: facts[path] for path in wanted if path in facts}

    def copy_project(self, source: str, target: str) -> bool:
        facts = self.projects.get(source)
        if facts is not None:
            self.put_project(target, facts)
        return facts is not None

    def put_project(self, key: str, facts: dict[str, FileFacts]) -> None:
        if len(self.projects) > 8:  # joins of earlier edits are not asked for again
            self.projects.clear()
        self.projects[key] = facts


def options_settings(base: Settings, options: Mapping[str, Any]) -> Settings:
    """``base`` with the keys an editor passes (the same keys as ``[tool.concurlint]``)
    replacing the configured ones; unknown keys or bad values raise ``ConfigError``."""
    given = settings_from_table(options, origin="editor settings", root=base.root)
    names = {key.replace("-", "_") for key in options}
    changes = {f.name: getattr(given, f.name) for f in dataclasses.fields(given) if f.name in names}
    return dataclasses.replace(base, **changes)


class Workspace:
    """The project under ``root``: its files as on disk, the editor's unsaved buffers, and
    the rules and facts to lint them with."""

    def __init__(self, root: Path, options: Mapping[str, Any] | None = None) -> None:
        self.root = root.resolve()
        settings = load_settings(start=self.root)
        self.settings = options_settings(settings, options) if options else settings
        self.catalog: Catalog = load_catalog(self.settings.catalog_extensions())
        validate_codes(self.settings, self.catalog)
        self.ruleset = RuleSet.build(self.settings)
        salt_cache = Cache.open(self.settings.root / CACHE_DIR, self.settings, self.catalog.digest)
        self.cache = MemoCache(salt_cache.folder)
        paths, _ = discover([str(self.root)], self.settings)
        self._fingerprints: dict[str, str] = {}  # the files on disk; read again when needed
        for path in paths:
            self.reload(path)
        self._buffers: dict[str, str] = {}

    def open(self, path: str, text: str) -> None:
        self._buffers[path] = text

    def close(self, path: str) -> None:
        """The file on disk is what the project holds again."""
        self._buffers.pop(path, None)
        self.reload(path)

    def reload(self, path: str) -> None:
        """Read ``path`` from disk again (saved, created or changed outside the editor)."""
        raw = read_bytes(path, self.settings.max_file_size)
        if isinstance(raw, bytes):
            self._fingerprints[path] = fingerprint(raw)
        else:
            self._fingerprints.pop(path, None)

    @property
    def open_paths(self) -> list[str]:
        return sorted(self._buffers)

    def facts(self) -> dict[str, FileFacts]:
        unsaved = {path: text.encode(_UTF8, "surrogateescape")
                   for path, text in self._buffers.items()}
        prints: dict[str, str | Unreadable] = dict(self._fingerprints)
        prints.update((path, fingerprint(raw)) for path, raw in unsaved.items())
        return project_facts(sorted(prints), self.settings, self.cache, prints, unsaved=unsaved)

    def source(self, path: str) -> Source | Unreadable:
        if path in self._buffers:
            return Source(path, self._buffers[path], _UTF8)
        return read_source(path)

    def lint(self, path: str, facts: Mapping[str, FileFacts] | None = None) -> list[Diagnostic]:
        """The reports for ``path``'s current text with the project's current facts."""
        source = self.source(path)
        if isinstance(source, Unreadable):
            return []
        facts = self.facts() if facts is None else facts
        result: FileResult = run_with_deep_stack(
            lint_source, source, self.ruleset, facts.get(path, NO_FACTS)
        )
        return list(result.diagnostics)

    def fix_all(self, path: str) -> FixOutcome | None:
        """Every safe fix of ``path``'s current text, to a fixed point."""
        source = self.source(path)
        if isinstance(source, Unreadable):
            return None
        facts = self.facts().get(path, NO_FACTS)
        outcome: FixOutcome = run_with_deep_stack(fix_source, source, self.ruleset, False, facts)
        return outcome


    def definition(self, shown: str) -> tuple[str, int] | None:
        """Where a helper a call chain shows (``storage._write``: the module's last name, then
        the function's qualified name) is defined in the project: its path and line."""
        module_tail, _, qualname = shown.partition(".")
        names = ModuleNames.of(self.settings)
        for path in sorted({*self._fingerprints, *self._buffers}):
            module, _ = names(path)
            if module.rpartition(".")[2] != module_tail and module != module_tail:
                continue
            source = self.source(path)
            if isinstance(source, Unreadable):
                continue
            line = _defined_at(source.text, qualname)
            if line is not None:
                return path, line
        return None


def _defined_at(text: str, qualname: str) -> int | None:
    """The line of the ``def`` (or ``class``) named ``qualname`` (``Store.save``) in ``text``."""
    try:
        body: list[ast.stmt] = ast.parse(text).body
    except (SyntaxError, ValueError):
        return None
    found: ast.stmt | None = None
    for part in qualname.split("."):
        found = next(
            (
                node for node in body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.name == part
            ),
            None,
        )
        if found is None:
            return None
        body = found.body
    return found.lineno if found is not None else None
