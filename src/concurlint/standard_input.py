"""``concurlint -``: lint the source read from standard input, as editors do for an unsaved
buffer. ``--stdin-filename`` names it: its settings, ``per-file-ignores`` and (with
``--force-exclude``) excludes apply by that name, and reports carry it.

With ``--fix`` the fixed source goes to stdout and the reports that remain to stderr, as
in ruff; with ``--diff`` the diff goes to stdout. Without a name the source is ``-`` and
gets the settings found from the working directory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from concurlint.diagnostic import FileResult
from concurlint.engine import RuleSet, lint_source, run_with_deep_stack
from concurlint.files import Source, decode_source, force_excluded
from concurlint.fixes import fix_source
from concurlint.hierarchy import SettingsResolver
from concurlint.model.catalog import Catalog
from concurlint.output import EXIT_CLEAN, Outcome, fixed_codes, report, unified_diff
from concurlint.runner import unreadable_result

STDIN = "-"


def lint_stdin(args: argparse.Namespace, resolver: SettingsResolver, catalog: Catalog) -> int:
    name = args.stdin_filename or STDIN
    settings = resolver(Path(name)) if args.stdin_filename else resolver.default
    raw = sys.stdin.buffer.read()
    fixing = args.fix and not args.diff
    if args.stdin_filename and args.force_exclude and force_excluded(Path(name), resolver):
        if fixing:
            sys.stdout.buffer.write(raw)
        return EXIT_CLEAN
    source = decode_source(name, raw)
    run = Outcome()
    if not isinstance(source, Source):
        run.diagnostics.extend(unreadable_result(source, settings).diagnostics)
        if fixing:
            sys.stdout.buffer.write(raw)
        return report(run, args, catalog, lambda _path: None, sys.stderr if fixing else None)
    ruleset = RuleSet.build(settings)
    if args.fix or args.diff:
        outcome = run_with_deep_stack(fix_source, source, ruleset, args.unsafe_fixes)
        if outcome.error is not None:
            print(f"concurlint: error: {outcome.error}", file=sys.stderr)
        run.fixed = outcome.fixed
        run.fixed_by_path[name] = fixed_codes(outcome)
        run.diagnostics.extend(outcome.result.diagnostics)
        if args.diff:
            run.diff = unified_diff(outcome) if outcome.changed else ""
        else:
            sys.stdout.write(outcome.text)
            sys.stdout.flush()
            return report(run, args, catalog, lambda _path: outcome.text, sys.stderr)
    else:
        result: FileResult = run_with_deep_stack(lint_source, source, ruleset)
        run.diagnostics.extend(result.diagnostics)
    text = source.text
    return report(run, args, catalog, lambda path: text if path == name else None)

