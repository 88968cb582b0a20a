"""flake8 adapter: ``flake8 --select CCL`` runs the same engine as the ``concurlint`` command.

The plugin builds a ``Source`` from the lines flake8 has already read and decoded, and hands
it to ``engine.lint_source`` with the rules selected by ``[tool.concurlint]`` (found from the
working directory, as the command does). flake8 then applies its own ``# noqa``,
``--select``/``--extend-ignore`` and per-file ignores on top.

flake8 hands plugins an ``ast`` tree, which libcst cannot use: a file some rule screens in is
parsed a second time by libcst (see docs/integrations.md for the measured cost). What flake8's
parse does save: it proves the file compiles, so a file no rule screens in is skipped outright.

flake8 hands over one file at a time, but calls into other modules of the project need their
summaries: when the project has a concurlint cache (``.concurlint_cache`` in the config's
folder, left by a ``concurlint`` run), the plugin joins the summaries of every file under
the project (reading them from the cache, summarizing the few that changed) once per
process, exactly as the command does. Without a cache it sees the file alone.

Installing concurlint must cost flake8 users nothing when they do not select CCL: flake8
runs every installed plugin and only then filters the codes. The plugin asks flake8's own
decision engine (from the options flake8 hands it) whether any CCL code can be reported, and
when none can, does nothing at all; the engine, libcst and the settings are imported and
built only for a run that may report.
"""

from __future__ import annotations

import argparse
import ast
import os
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from concurlint import __version__

if TYPE_CHECKING:
    from concurlint.engine import RuleSet
    from concurlint.project import FileFacts

Flake8Report = tuple[int, int, str, type]
# The options flake8's DecisionEngine reads to decide whether a code is reported.
_SELECTION_OPTIONS = (
    "select", "extend_select", "ignore", "extend_ignore",
    "extended_default_select", "extended_default_ignore",
)
_Selection = tuple[tuple[str, ...] | None, ...]


def _selection(options: argparse.Namespace) -> _Selection:
    """The selection options as a hashable key (flake8 passes lists, or None when unset)."""
    values = (getattr(options, name, None) for name in _SELECTION_OPTIONS)
    return tuple(None if value is None else tuple(value) for value in values)


@cache
def _reports_ccl(selection: _Selection) -> bool:
    """Whether flake8 would report at least one CCL code under these options."""
    from flake8.style_guide import Decision, DecisionEngine

    from concurlint.model.catalog import load_catalog

    options = dict(zip(_SELECTION_OPTIONS, selection, strict=True))
    decider = DecisionEngine(argparse.Namespace(**options))
    return any(
        decider.decision_for(code) is Decision.Selected for code in load_catalog().rules
    )


@cache
def _ruleset(cwd: Path) -> RuleSet:
    """Built once per process and working directory; a ConfigError propagates, so flake8
    fails loudly (as the command exits 2) instead of silently checking with defaults."""
    from concurlint.config import load_settings, validate_codes
    from concurlint.engine import RuleSet

    ruleset = RuleSet.build(load_settings(start=cwd))
    validate_codes(ruleset.settings, ruleset.catalog)
    return ruleset


@cache
def _project(cwd: Path) -> dict[str, FileFacts]:
    """The facts of every file of the project by absolute path, when a cache exists."""
    from concurlint.cache import CACHE_DIR, Cache
    from concurlint.files import discover
    from concurlint.project import project_facts

    settings = _ruleset(cwd).settings
    folder = settings.root / CACHE_DIR
    if not folder.is_dir():
        return {}
    paths, _ = discover([str(settings.root)], settings)
    store = Cache.open(folder, settings, _ruleset(cwd).catalog.digest)
    facts = project_facts(paths, settings, store)
    return {os.path.abspath(path): found for path, found in facts.items()}


class ConcurlintChecker:
    """The ``CCL`` plugin. flake8 builds one per file, passing arguments by name."""

    name = "concurlint"
    version = __version__

    def __init__(
        self, tree: ast.AST, filename: str, lines: Sequence[str], options: argparse.Namespace
    ) -> None:
        self.filename = filename
        self.ruleset: RuleSet | None = None
        if not _reports_ccl(_selection(options)):
            return
        from concurlint.project import NO_FACTS

        # Settings are resolved here, not in run(): flake8 turns an exception raised while
        # building a plugin into a one-line "plugin failed" error instead of a traceback.
        self.ruleset = _ruleset(Path.cwd())
        self.project = _project(Path.cwd()).get(os.path.abspath(filename), NO_FACTS)
        self.text = "".join(lines)

    def run(self) -> Iterator[Flake8Report]:
        if self.ruleset is None:
            return
        if not self.ruleset.active_rules(self.filename, self.text, self.project):
            return
        from concurlint.engine import lint_source, run_with_deep_stack
        from concurlint.files import Source

        source = Source(self.filename, self.text, "utf-8")
        result = run_with_deep_stack(lint_source, source, self.ruleset, self.project)
        for diagnostic in result.diagnostics:
            span = diagnostic.span
            yield span.line, span.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
