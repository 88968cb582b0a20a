"""Command-line interface: argument parsing, output and exit codes only.

Exit codes follow ruff and flake8: 0 nothing reported, 1 diagnostics reported (or fixes
pending under ``--diff``), 2 a usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from concurlint import __version__
from concurlint.cache import CACHE_DIR, Cache
from concurlint.config import ConfigError, Settings, load_settings, validate_codes, with_overrides
from concurlint.diagnostic import Diagnostic, FileResult
from concurlint.files import discover
from concurlint.model.catalog import Catalog, load_catalog
from concurlint.notebook import changed_cells
from concurlint.report import FORMATTERS, statistics
from concurlint.ruledocs import explain
from concurlint.runner import lint_paths

if TYPE_CHECKING:
    from concurlint.fixes import FixOutcome

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str) -> list[str]:
    return [code.strip().upper() for code in value.split(",") if code.strip()]


class _Parser(argparse.ArgumentParser):
    """A usage error is one line (argparse would print the whole usage first), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="concurlint",
        description="Find concurrency pitfalls in Python code: threads, asyncio, "
        "multiprocessing and gevent.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: .)")
    parser.add_argument(
        "--select", type=_codes, help="codes or prefixes to enable (e.g. CCL2,CCL101)"
    )
    parser.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    parser.add_argument("--diff", action="store_true", help="print fixes as a diff, write nothing")
    parser.add_argument(
        "--format", choices=sorted(FORMATTERS), default="text", help="output format"
    )
    parser.add_argument(
        "--config", type=Path, help="a pyproject.toml (or TOML) to read settings from"
    )
    parser.add_argument("--exclude", type=lambda v: v.split(","), help="replace the excluded globs")
    parser.add_argument("--extend-exclude", type=lambda v: v.split(","), help="add excluded globs")
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to files named on the command line too",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="parallel processes (default: number of CPUs)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help=f"folder for cached results (default: {CACHE_DIR} in the root)",
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when reporting")
    parser.add_argument(
        "--statistics",
        action="store_true",
        help="print the number of diagnostics per rule instead of each one",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print diagnostics only, without the summary line",
    )
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    parser.add_argument("--explain", metavar="CODE", help="explain a rule and exit")
    parser.add_argument("--version", action="version", version=f"concurlint {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = with_overrides(
            load_settings(args.config),
            select=args.select,
            ignore=args.ignore,
            exclude=args.exclude,
            extend_exclude=args.extend_exclude,
        )
        catalog = load_catalog(settings.catalog_extensions())
        validate_codes(settings, catalog)
    except ConfigError as error:
        return _fail(str(error))
    if args.jobs < 1:
        return _fail("--jobs must be at least 1")
    if args.list_rules:
        return _list_rules(catalog)
    if args.explain:
        return _explain(catalog, args.explain.upper())
    paths, problems = discover(args.paths or ["."], settings, args.force_exclude)
    if args.fix or args.diff:
        diagnostics, pending = _fix(paths, problems, settings, args)
    else:
        cache = None if args.no_cache else _open_cache(args, settings, catalog)
        progress = args.format == "text" and _is_interactive(sys.stderr)
        results = lint_paths(paths, settings, problems, args.jobs, cache, progress)
        diagnostics, pending = _flatten(results), 0
    if args.statistics:
        sys.stdout.write(statistics.render(diagnostics))
    else:
        sys.stdout.write(FORMATTERS[args.format](diagnostics, catalog.rules))
    if not args.quiet:
        _summarize(diagnostics, pending, args)
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if diagnostics or (args.diff and pending) else EXIT_CLEAN


def _open_cache(args: argparse.Namespace, settings: Settings, catalog: Catalog) -> Cache:
    return Cache.open(args.cache_dir or settings.root / CACHE_DIR, settings, catalog.digest)


def _is_interactive(stream: object) -> bool:
    """A progress bar belongs on a terminal only: never in a pipe, a file or a CI log."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("CI")


def _fail(message: str) -> int:
    print(f"concurlint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _flatten(results: Sequence[FileResult]) -> list[Diagnostic]:
    return sorted((d for r in results for d in r.diagnostics), key=Diagnostic.sort_key)


def _fix(
    paths: Sequence[str], problems: Sequence[object], settings: Settings, args: argparse.Namespace
) -> tuple[list[Diagnostic], int]:
    """Fix (or diff) every file; returns what remains and how many diagnostics were fixed."""
    from concurlint.fixes import FixError, fix_paths, write_atomically  # loads libcst

    remaining: list[FileResult] = lint_paths([], settings, problems)  # type: ignore[arg-type]
    fixed = 0
    for outcome in fix_paths(paths, settings, args.unsafe_fixes):
        if isinstance(outcome, FileResult):
            remaining.append(outcome)
            continue
        if outcome.error is not None:
            print(f"concurlint: error: {outcome.error}", file=sys.stderr)
        if outcome.changed:
            if args.diff:
                sys.stdout.write(_unified_diff(outcome))
                remaining.append(outcome.result)
                fixed += outcome.fixed
                continue
            try:
                write_atomically(outcome.source, outcome.text)
            except FixError as error:
                print(f"concurlint: {error}", file=sys.stderr)
                remaining.append(outcome.initial)
                continue
        fixed += outcome.fixed
        remaining.append(outcome.result)
    diagnostics = [] if args.diff else _flatten(remaining)
    return diagnostics, fixed


def _unified_diff(outcome: FixOutcome) -> str:
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


def _summarize(diagnostics: Sequence[Diagnostic], fixed: int, args: argparse.Namespace) -> None:
    if args.diff:
        message = (
            f"Would fix {fixed} error{'s' * (fixed != 1)}." if fixed else "No fixes available."
        )
    elif not diagnostics:
        message = f"Fixed {fixed} error{'s' * (fixed != 1)}." if fixed else "All checks passed!"
    else:
        count = len(diagnostics)
        message = f"Found {count} error{'s' * (count != 1)}"
        message += f" ({fixed} fixed, {count} remaining)." if fixed else "."
        fixable = sum(d.fixable for d in diagnostics)
        if fixable:
            message += f" [*] {fixable} fixable with the `--fix` option."
    print(message, file=sys.stderr)


def _list_rules(catalog: Catalog) -> int:
    for code, info in sorted(catalog.rules.items()):
        print(f"{code}  {info.name:<32} {info.summary}")
    return EXIT_CLEAN


def _explain(catalog: Catalog, code: str) -> int:
    page = explain(catalog, code)
    if page is None:
        return _fail(f"unknown rule code `{code}`")
    sys.stdout.write(page)
    return EXIT_CLEAN
