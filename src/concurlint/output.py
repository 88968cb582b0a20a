"""Printing what a run found or changed, and its exit code: shared by the files' run and
standard input's."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from concurlint.diagnostic import Diagnostic
from concurlint.model.catalog import Catalog
from concurlint.notebook import changed_cells
from concurlint.report import FORMATTERS, statistics, totals
from concurlint.report.options import RenderOptions
from concurlint.report.style import Style, is_terminal, wants_colour

if TYPE_CHECKING:
    from concurlint.fixes import FixOutcome

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# Formats read by people get the closing summary; the others are parsed by programs (ruff).
HUMAN_FORMATS = ("concise", "full", "text")


@dataclass
class Outcome:
    """What a run produced: the diagnostics left, the fixes applied, and for
    ``--show-fixes`` under ``--fix`` the fixed codes per file."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0
    fixed_by_path: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    diff: str = ""


def report(
    run: Outcome,
    args: argparse.Namespace,
    catalog: Catalog,
    read: Callable[[str], str | None],
    console: TextIO | None = None,
) -> int:
    """Print what ``run`` found (or changed) and return the exit code. The report goes to
    ``--output-file``, else to ``console`` (stdout unless stdout carries fixed code); the
    summary goes with it, except under ``--diff`` (stderr: stdout is the diff)."""
    diagnostics = sorted(run.diagnostics, key=Diagnostic.sort_key)
    to_file = args.output_file is not None
    if to_file:
        try:
            stream: TextIO = open(args.output_file, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            reason = error.strerror or error
            print(f"concurlint: error: {args.output_file}: cannot write: {reason}", file=sys.stderr)
            return EXIT_ERROR
    else:
        stream = console or sys.stdout
    try:
        fmt = args.output_format or ("full" if is_terminal(stream) else "concise")
        options = RenderOptions(
            style=Style(not to_file and wants_colour(stream)),
            show_fixes=args.show_fixes,
            unsafe_fixes=args.unsafe_fixes,
            read=read,
        )
        if args.diff:
            sys.stdout.write(run.diff)
        elif args.statistics:
            stream.write(statistics.render(diagnostics))
        else:
            stream.write(FORMATTERS[fmt](diagnostics, catalog.rules, options))
        if not args.quiet and fmt in HUMAN_FORMATS:
            _summarize(run, diagnostics, args, sys.stderr if args.diff else stream)
    finally:
        if to_file:
            stream.close()
    if args.exit_zero:
        return EXIT_CLEAN
    pending = run.fixed if args.diff else len(diagnostics)
    return EXIT_FINDINGS if pending else EXIT_CLEAN


def _summarize(
    run: Outcome, diagnostics: list[Diagnostic], args: argparse.Namespace, stream: TextIO
) -> None:
    if args.diff:
        stream.write(totals.diff_summary(diagnostics, run.fixed, args.unsafe_fixes))
    elif args.fix:
        if args.show_fixes:
            stream.write(totals.fixed_listing(run.fixed_by_path))
        stream.write(totals.fix_summary(diagnostics, run.fixed, args.unsafe_fixes))
    else:
        stream.write(totals.check_summary(diagnostics, args.unsafe_fixes))


def fixed_codes(outcome: FixOutcome) -> Counter[tuple[str, str]]:
    """The codes the fixes removed from a file (for ``--show-fixes``)."""
    before = Counter((d.code, d.name) for d in outcome.initial.diagnostics)
    after = Counter((d.code, d.name) for d in outcome.result.diagnostics)
    return before - after


def unified_diff(outcome: FixOutcome) -> str:
    """The fix as a diff; for a notebook, one diff per changed cell (``path:cell N``)."""
    path, source = outcome.source.path, outcome.source
    if source.notebook is None:
        return _diff(source.text, outcome.text, path)
    changes = changed_cells(source.notebook, source.text, outcome.text)
    return "".join(_diff(old, new, f"{path}:cell {cell}") for cell, old, new in changes)


def _diff(before: str, after: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )
