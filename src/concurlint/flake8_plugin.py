"""flake8 adapter: ``flake8 --select CCL`` runs the same engine as the ``concurlint`` command.

The plugin builds a ``Source`` from the lines flake8 has already read and decoded, and hands
it to ``engine.lint_source`` with the rules selected by ``[tool.concurlint]`` (found from the
working directory, as the command does). flake8 then applies its own ``# noqa``,
``--select``/``--extend-ignore`` and per-file ignores on top.

flake8 hands plugins an ``ast`` tree, which libcst cannot use: a file some rule screens in is
parsed a second time by libcst (see docs/integrations.md for the measured cost). What flake8's
parse does save: it proves the file compiles, so a file no rule screens in is skipped outright.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path

from concurlint import __version__
from concurlint.config import load_settings, validate_codes
from concurlint.engine import RuleSet, lint_source, run_with_deep_stack
from concurlint.files import Source

Flake8Report = tuple[int, int, str, type]


@cache
def _ruleset(cwd: Path) -> RuleSet:
    """Built once per process and working directory; a ConfigError propagates, so flake8
    fails loudly (as the command exits 2) instead of silently checking with defaults."""
    ruleset = RuleSet.build(load_settings(start=cwd))
    validate_codes(ruleset.settings, ruleset.catalog)
    return ruleset


class ConcurlintChecker:
    """The ``CCL`` plugin. flake8 builds one per file, passing arguments by name."""

    name = "concurlint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        # Settings are resolved here, not in run(): flake8 turns an exception raised while
        # building a plugin into a one-line "plugin failed" error instead of a traceback.
        self.ruleset = _ruleset(Path.cwd())
        self.filename = filename
        self.text = "".join(lines)

    def run(self) -> Iterator[Flake8Report]:
        if not self.ruleset.active_rules(self.filename, self.text):
            return
        source = Source(self.filename, self.text, "utf-8")
        result = run_with_deep_stack(lint_source, source, self.ruleset)
        for diagnostic in result.diagnostics:
            span = diagnostic.span
            yield span.line, span.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
