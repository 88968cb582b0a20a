"""Command-line interface: argument parsing, output and exit codes only.

Exit codes follow ruff and flake8: 0 nothing reported, 1 diagnostics reported (or fixes
pending under ``--diff``), 2 a usage, configuration or internal error. Option names and
their behaviour are ruff's where ruff has the option.
"""

from __future__ import annotations

import argparse
import codecs
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from concurlint import __version__
from concurlint.cache import CACHE_DIR, Cache, cache_dir_refusal
from concurlint.config import ConfigError, RuleLayer, Settings, validate_codes, with_overrides
from concurlint.diagnostic import Diagnostic, FileResult
from concurlint.files import Unreadable, discover
from concurlint.hierarchy import SettingsResolver
from concurlint.model.catalog import Catalog, load_catalog
from concurlint.output import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    Outcome,
    fixed_codes,
    report,
    unified_diff,
)
from concurlint.report import FORMATTERS
from concurlint.report.options import read_text
from concurlint.report.style import is_terminal
from concurlint.ruledocs import explain
from concurlint.runner import lint_paths
from concurlint.show import settings_text
from concurlint.unanalyzable import is_internal_error

NO_FILES = "warning: No Python files found under the given path(s)"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
_NAME_ERRORS = "concurlint-undecodable-names"


def _codes(value: str) -> list[str]:
    return [code.strip().upper() for code in value.split(",") if code.strip()]


def _globs(value: str) -> list[str]:
    return [glob.strip() for glob in value.split(",") if glob.strip()]


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
    add = parser.add_argument
    add("paths", nargs="*", metavar="PATH", help="files or folders (default: .); - reads stdin")

    def codes(flag: str, text: str) -> None:
        add(flag, type=_codes, action="extend", metavar="CODES", help=text)

    codes("--select", "codes or prefixes to enable, instead of the configured ones")
    codes("--extend-select", "codes or prefixes to enable in addition")
    codes("--ignore", "codes or prefixes to disable")
    codes("--extend-ignore", "codes or prefixes to disable (same as --ignore)")
    add("--fix", action="store_true", help="apply safe fixes in place")
    add("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    add("--diff", action="store_true", help="print fixes as a diff, write nothing")
    add("--show-fixes", action="store_true", help="show the fixes: as diffs, or what --fix fixed")
    add("--add-noqa", action="store_true", help="add `# noqa: CODE` to every reported line")
    add(
        "--output-format",
        "--format",
        choices=sorted(FORMATTERS),
        metavar="FORMAT",
        help="concise, full, json, github or sarif (text: concise); "
        "default: full on a terminal, concise otherwise",
    )
    add("--output-file", "-o", type=Path, metavar="FILE", help="write the report to FILE")
    add("--config", type=Path, help="a pyproject.toml (or TOML) to read settings from")
    add("--exclude", type=_globs, action="extend", metavar="GLOBS", help="replace excludes")
    add("--extend-exclude", type=_globs, action="extend", metavar="GLOBS", help="add excludes")
    add(
        "--force-exclude",
        action="store_true",
        help="apply excludes to files named on the command line too",
    )
    add(
        "--respect-gitignore",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="skip what .gitignore ignores (default: yes)",
    )
    add("--stdin-filename", metavar="PATH", help="the path of the source read from stdin")
    add(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="parallel processes (default: number of CPUs)",
    )
    add("--no-cache", action="store_true", help="do not read or write the cache")
    add(
        "--cache-dir",
        help=f"folder for cached results (default: {CACHE_DIR} in the root)",
    )
    add("--exit-zero", action="store_true", help="exit 0 even when reporting")
    add(
        "--statistics",
        action="store_true",
        help="print the number of diagnostics per rule instead of each one",
    )
    add("--quiet", "-q", action="store_true", help="print diagnostics only: no summary, no bar")
    add("--show-settings", action="store_true", help="print the settings of the first file")
    add("--show-files", action="store_true", help="print the files that would be linted")
    add("--list-rules", action="store_true", help="list the rules and exit")
    add("--explain", metavar="CODE", help="explain a rule and exit")
    add("--version", action="version", version=f"concurlint {__version__}")
    return parser


class _Catalogs:
    """One catalog per distinct user extension of it (most runs: one)."""

    def __init__(self) -> None:
        self._loaded: dict[str, Catalog] = {}

    def __call__(self, settings: Settings) -> Catalog:
        extensions = settings.catalog_extensions()
        key = repr(sorted(extensions.items()))
        if key not in self._loaded:
            self._loaded[key] = load_catalog(extensions)
        return self._loaded[key]


def main(argv: Sequence[str] | None = None) -> int:
    """Every failure ends in one line on stderr: Ctrl-C exits 130 as a shell would report
    it; an error of concurlint itself exits 2, after whatever output it could give."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["server"]:
        return _serve(argv[1:])
    args = build_parser().parse_args(argv)
    if args.jobs < 1:
        return _fail("--jobs must be at least 1")
    _tolerate_undecodable_names()
    try:
        return _main(args)
    except ConfigError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("concurlint: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        return _fail(f"internal error: {type(error).__name__}: {error}")


def _main(args: argparse.Namespace) -> int:
    catalogs = _Catalogs()
    layer = _rule_layer(args)

    def adjust(settings: Settings) -> Settings:
        adjusted = with_overrides(
            settings,
            rules=layer,
            exclude=args.exclude,
            extend_exclude=args.extend_exclude or (),
            respect_gitignore=args.respect_gitignore,
        )
        validate_codes(adjusted, catalogs(adjusted))
        return adjusted

    resolver = SettingsResolver(args.config, adjust)
    catalog = catalogs(resolver.default)
    if args.cache_dir is not None and not args.no_cache:
        refusal = cache_dir_refusal(args.cache_dir, resolver.default.root)
        if refusal is not None:
            return _fail(refusal)
    if args.list_rules:
        return _list_rules(catalog)
    if args.explain:
        return _explain(catalog, args.explain.upper())
    if args.paths == ["-"] or (not args.paths and args.stdin_filename):
        from concurlint.standard_input import lint_stdin  # loads libcst

        return lint_stdin(args, resolver, catalog)
    paths, problems = discover(args.paths or ["."], resolver, args.force_exclude)
    if args.show_files:
        sys.stdout.writelines(f"{os.path.abspath(path)}\n" for path in paths)
        return EXIT_CLEAN
    if args.show_settings:
        first = Path(paths[0]) if paths else Path.cwd()
        sys.stdout.write(settings_text(os.path.abspath(first), resolver(first)))
        return EXIT_CLEAN
    if not paths and not problems:
        print(NO_FILES, file=sys.stderr)
    run = Outcome()
    unreadable = {problem.path: problem for problem in problems}
    for settings, members in resolver.group([*paths, *unreadable]):
        group_problems = [unreadable[path] for path in members if path in unreadable]
        group_paths = [path for path in members if path not in unreadable]
        _run_group(run, group_paths, group_problems, settings, catalogs(settings), args)
    if args.add_noqa:
        return _add_noqa(run.diagnostics)
    try:
        code = report(run, args, catalog, read_text)
    except BrokenPipeError:  # a reader that went away (``| head``) ends the output, quietly
        _silence_stdout()
        code = EXIT_FINDINGS if run.diagnostics and not args.exit_zero else EXIT_CLEAN
    if any(is_internal_error(diagnostic) for diagnostic in run.diagnostics):
        return EXIT_ERROR
    return code


def _rule_layer(args: argparse.Namespace) -> RuleLayer | None:
    if args.select is None and not (args.extend_select or args.ignore or args.extend_ignore):
        return None
    return RuleLayer(
        select=None if args.select is None else tuple(args.select),
        extend_select=tuple(args.extend_select or ()),
        ignore=(*(args.ignore or ()), *(args.extend_ignore or ())),
    )


def _run_group(
    run: Outcome,
    paths: list[str],
    problems: list[Unreadable],
    settings: Settings,
    catalog: Catalog,
    args: argparse.Namespace,
) -> None:
    """Lint (or fix) the files that share one settings: one project."""
    if args.fix or args.diff:
        _fix(run, paths, problems, settings, args)
        return
    cache = None if args.no_cache else _open_cache(args, settings, catalog)
    results = lint_paths(paths, settings, problems, args.jobs, cache, wants_progress(args))
    run.diagnostics.extend(_flatten(results))


def wants_progress(args: argparse.Namespace) -> bool:
    """A bar belongs on a terminal only (never in a pipe, a file or a CI log), and not
    under ``--quiet`` or beside a machine-readable format."""
    readable = args.output_format in (None, "concise", "full", "text")
    return (
        readable
        and not args.quiet
        and is_terminal(sys.stderr)
        and not os.environ.get("CI")
    )


def _serve(argv: Sequence[str]) -> int:
    """``concurlint server``: the language server on stdio (a folder named ``server`` is
    linted as ``concurlint ./server``)."""
    if argv:
        return _fail(f"`concurlint server` takes no arguments (got {' '.join(argv)})")
    try:
        from concurlint.server.protocol import main as serve
    except ImportError as error:
        return _fail(f"the language server needs pygls ({error.name} is missing): "
                     "install concurlint[server]")
    return serve()


def _open_cache(args: argparse.Namespace, settings: Settings, catalog: Catalog) -> Cache:
    folder = Path(args.cache_dir) if args.cache_dir is not None else settings.root / CACHE_DIR
    return Cache.open(folder, settings, catalog.digest)


def _silence_stdout() -> None:
    """Python flushes stdout again at exit: point it where that cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _tolerate_undecodable_names() -> None:
    """A file name that is not valid in the file system's encoding reaches Python with
    surrogates in place of its bytes; print those bytes as they are (as ``ls`` does)
    instead of failing, whatever the output encoding."""
    codecs.register_error(_NAME_ERRORS, _undecodable_bytes)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=_NAME_ERRORS)


def _undecodable_bytes(error: UnicodeError) -> tuple[str | bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start:error.end]
    if all("\udc80" <= character <= "\udcff" for character in chunk):
        return bytes(ord(character) - 0xDC00 for character in chunk), error.end
    return codecs.backslashreplace_errors(error)


def _fail(message: str) -> int:
    print(f"concurlint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _flatten(results: Sequence[FileResult]) -> list[Diagnostic]:
    return sorted((d for r in results for d in r.diagnostics), key=Diagnostic.sort_key)


def _fix(
    run: Outcome,
    paths: Sequence[str],
    problems: Sequence[Unreadable],
    settings: Settings,
    args: argparse.Namespace,
) -> None:
    """Fix (or diff) every file, adding what remains and what was fixed to ``run``."""
    from concurlint.fixes import fix_paths, write_fix  # loads libcst
    from concurlint.writing import NotWritten

    remaining: list[FileResult] = lint_paths([], settings, problems)
    for outcome in fix_paths(paths, settings, args.unsafe_fixes):
        if isinstance(outcome, FileResult):
            remaining.append(outcome)
            continue
        if outcome.error is not None:
            print(f"concurlint: error: {outcome.error}", file=sys.stderr)
        if outcome.changed and args.diff:
            run.diff += unified_diff(outcome)
        elif outcome.changed:
            try:
                write_fix(outcome)
            except NotWritten as error:
                print(f"concurlint: {error}", file=sys.stderr)
                remaining.append(outcome.initial)
                continue
        run.fixed += outcome.fixed
        run.fixed_by_path[outcome.source.path] = fixed_codes(outcome)
        remaining.append(outcome.result)
    run.diagnostics.extend(_flatten(remaining))


def _add_noqa(diagnostics: Sequence[Diagnostic]) -> int:
    from concurlint.add_noqa import add_noqa
    from concurlint.files import Source, decode_source, encode_exactly, read_bytes
    from concurlint.writing import NotWritten, write_back

    by_path: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    added = 0
    for path, found in sorted(by_path.items()):
        raw = read_bytes(path)
        source = raw if not isinstance(raw, bytes) else decode_source(path, raw)
        if (
            not isinstance(raw, bytes)
            or not isinstance(source, Source)
            or source.notebook is not None
        ):
            continue  # a notebook's reports count lines within cells: not written there
        text, count = add_noqa(source.text, found)
        data = encode_exactly(source, text) if count else None
        if count and (data is None or encode_exactly(source, source.text) != raw):
            print(f"concurlint: {path}: noqa not added: its encoding ({source.encoding}) "
                  "would not keep its other lines unchanged", file=sys.stderr)
            continue
        if data is not None:
            try:
                write_back(path, raw, data)
            except NotWritten as error:
                print(f"concurlint: {error}", file=sys.stderr)
                continue
            added += count
    print(f"Added {added} noqa directive{'s' * (added != 1)}.", file=sys.stderr)
    return EXIT_CLEAN


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
