"""Lint source text into diagnostics: one parse, one MetadataWrapper, one batched traversal.

Files are screened first: a rule runs on a file only if the file contains one of the rule's
screen words, and a file no rule can report on is never parsed by libcst. Positions are
computed only for files that produced a report.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from concurlint.checks import ALL_RULES
from concurlint.config import Settings, is_selected
from concurlint.diagnostic import Diagnostic, Edit, FileResult, Fix, Span
from concurlint.files import Source, Unreadable, read_source
from concurlint.limits import libcst_refusal, parse_quietly
from concurlint.model.catalog import Catalog, load_catalog
from concurlint.model.module import ModuleModel
from concurlint.noqa import is_suppressed
from concurlint.rule import FileContext, NodeFix, Report, Rule

UNANALYZABLE = "CCL001"
# libcst's metadata providers recurse once per nesting level: a deep file (the standard
# library's pydoc_data/topics.py) needs far more than Python's default limit and stack.
RECURSION_LIMIT = 20_000
STACK_SIZE = 512 * 1024 * 1024
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_T = TypeVar("_T")


@dataclass(frozen=True)
class RuleSet:
    """The selected rules with their settings and catalog, built once per process."""

    settings: Settings
    catalog: Catalog
    rules: tuple[Rule, ...]
    screens: tuple[frozenset[str], ...]

    @classmethod
    def build(cls, settings: Settings) -> RuleSet:
        catalog = load_catalog(settings.catalog_extensions())
        rules = tuple(
            rule(catalog, settings)
            for rule in ALL_RULES
            if is_selected(rule.code, settings.select, settings.ignore)
        )
        return cls(settings, catalog, rules, tuple(rule.screen_words() for rule in rules))

    def reports_unanalyzable(self, path: str) -> bool:
        return self.selected_for(path, UNANALYZABLE)

    def selected_for(self, path: str, code: str) -> bool:
        settings = self.settings
        if not is_selected(code, settings.select, settings.ignore):
            return False
        ignored = [c for pattern, codes in settings.per_file_ignores
                   if _path_matches(path, pattern, settings.root) for c in codes]
        return not any(code.startswith(prefix) for prefix in ignored)

    def active_rules(self, path: str, text: str) -> list[Rule]:
        """Rules that are selected for ``path`` and whose screen words occur in ``text``."""
        return [
            rule
            for rule, words in zip(self.rules, self.screens)
            if any(word in text for word in words) and self.selected_for(path, rule.code)
        ]


def _path_matches(path: str, pattern: str, root: Path) -> bool:
    candidate = Path(path)
    try:
        relative = Path(os.path.realpath(candidate)).relative_to(root).as_posix()
    except ValueError:
        relative = candidate.as_posix()
    return fnmatch(relative, pattern) or fnmatch(candidate.name, pattern)


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line, with libcst's idea of a line break."""
    return [0, *(match.end() for match in _LINE_BREAK.finditer(text))]


def unanalyzable(path: str, reason: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        path=path,
        span=Span(line, column, line, column),
        code=UNANALYZABLE,
        name="unanalyzable-file",
        message=f"cannot analyze this file: {reason}",
        url="",
    )


def lint_source(source: Source, ruleset: RuleSet) -> FileResult:
    """Lint one decoded file. Never raises: failures become a CCL001 diagnostic."""
    rules = ruleset.active_rules(source.path, source.text)
    if not rules:
        return _screened_out(source, ruleset)
    refusal = libcst_refusal(source.text)
    if refusal is not None:  # Python's own message first, when it has one
        compiled = _screened_out(source, ruleset)
        return compiled if compiled.diagnostics else _failed(ruleset, source.path, refusal)
    try:
        module = cst.parse_module(source.text)
    except Exception as error:  # noqa: BLE001 - a parser failure must not stop the run
        # Prefer Python's own message and location; libcst's is the fallback for code that
        # Python compiles but libcst cannot parse.
        compiled = _screened_out(source, ruleset)
        if compiled.diagnostics:
            return compiled
        reason = " ".join(str(error).split()) or type(error).__name__
        return _failed(ruleset, source.path, f"libcst cannot parse it: {reason}")
    try:
        diagnostics = _check(source, module, rules)
    except RecursionError:
        return _failed(ruleset, source.path, "too deeply nested to analyze")
    except Exception as error:  # noqa: BLE001 - one file's internal error must not stop the run
        return _failed(ruleset, source.path, f"internal error: {type(error).__name__}: {error}")
    return FileResult(source.path, tuple(sorted(diagnostics, key=Diagnostic.sort_key)))


def _screened_out(source: Source, ruleset: RuleSet) -> FileResult:
    """No rule can report on this file: only check that Python could compile it, with the
    C parser, so that a broken file is still reported (CCL001) at a fraction of the cost."""
    try:
        parse_quietly(source.text, source.path)
    except SyntaxError as error:
        return _failed(ruleset, source.path, f"syntax error: {error.msg}",
                       error.lineno or 1, error.offset or 1)
    except (RecursionError, MemoryError):
        return _failed(ruleset, source.path, "too deeply nested to parse")
    return FileResult(source.path, skipped=True)


def _failed(ruleset: RuleSet, path: str, reason: str, line: int = 1, column: int = 1) -> FileResult:
    if not ruleset.reports_unanalyzable(path):
        return FileResult(path)
    return FileResult(path, (unanalyzable(path, reason, line, column),))


def _check(source: Source, module: cst.Module, rules: Sequence[Rule]) -> list[Diagnostic]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    context = FileContext(source.path, ModuleModel(wrapper, rules[0].catalog))
    for rule in rules:
        rule.start(context)
    wrapper.visit_batched(rules)
    if not context.reports:
        return []
    positions = wrapper.resolve(PositionProvider)
    converter = _Converter(source, module, positions)
    lines = source.text.splitlines()
    diagnostics = []
    for report in context.reports:
        diagnostic = converter.diagnostic(report)
        line = lines[diagnostic.span.line - 1] if diagnostic.span.line <= len(lines) else ""
        if not is_suppressed(diagnostic.code, line):
            diagnostics.append(diagnostic)
    return diagnostics


class _Converter:
    """Turns reports about nodes into diagnostics with spans and text edits."""

    def __init__(self, source: Source, module: cst.Module, positions: object) -> None:
        self.source = source
        self.module = module
        self.positions = positions
        self.line_starts = line_starts(source.text)

    def diagnostic(self, report: Report) -> Diagnostic:
        rule = report.rule
        info = rule.catalog.rules[rule.code]
        position = self._range(report.node)
        return Diagnostic(
            path=self.source.path,
            span=Span(
                position.start.line,
                position.start.column + 1,
                position.end.line,
                position.end.column + 1,
            ),
            code=rule.code,
            name=info.name,
            message=rule.message.format(**report.args),
            url=info.url,
            fix=self._fix(report.fix) if report.fix is not None else None,
            args=tuple(sorted(report.args.items())),
        )

    def _range(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]  # type: ignore[index]

    def _offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def _fix(self, fix: NodeFix) -> Fix | None:
        edits = []
        for old, new in fix.replacements:
            position = self._range(old)
            start = self._offset(position.start.line, position.start.column)
            end = self._offset(position.end.line, position.end.column)
            if self.source.text[start:end] != self.module.code_for_node(old):
                return None  # the span does not hold exactly the node: never guess
            content = new if isinstance(new, str) else self.module.code_for_node(new)
            edits.append(Edit(start, end, content))
        return Fix(tuple(sorted(edits)), fix.safety, fix.imports)


# -- running many files ---------------------------------------------------------------------

_WORKER_RULES: dict[str, RuleSet] = {}  # per process: built once by the pool initializer


def _deep_stack_executor() -> ThreadPoolExecutor:
    """One thread with a large stack: libcst's deep recursion runs there, not on main."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    previous = threading.stack_size(STACK_SIZE)
    try:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="concurlint-lint")
        executor.submit(lambda: None).result()  # start the thread with the large stack now
    finally:
        threading.stack_size(previous)
    return executor


def _init_worker(settings: Settings) -> None:
    _WORKER_RULES["rules"] = RuleSet.build(settings)


def lint_path(path: str, ruleset: RuleSet) -> FileResult:
    source = read_source(path)
    if isinstance(source, Unreadable):
        return FileResult(path, _unreadable(source, ruleset))
    return lint_source(source, ruleset)


def _unreadable(problem: Unreadable, ruleset: RuleSet) -> tuple[Diagnostic, ...]:
    if not ruleset.reports_unanalyzable(problem.path):
        return ()
    return (unanalyzable(problem.path, problem.reason, problem.line),)


def _lint_in_worker(path: str) -> FileResult:
    ruleset = _WORKER_RULES["rules"]
    executor = _WORKER_RULES.setdefault("executor", _deep_stack_executor())  # type: ignore[arg-type]
    return executor.submit(lint_path, path, ruleset).result()  # type: ignore[union-attr]


def run_with_deep_stack(function: Callable[..., _T], *args: object) -> _T:
    """Run ``function`` on a thread with a large stack and a raised recursion limit."""
    executor = _deep_stack_executor()
    try:
        return executor.submit(function, *args).result()
    finally:
        executor.shutdown()


def lint_paths(
    paths: Sequence[str], settings: Settings, problems: Iterable[Unreadable] = (), jobs: int = 1
) -> list[FileResult]:
    """Lint every path (in parallel when ``jobs`` > 1); results sorted by path, so the
    output does not depend on scheduling or on the order paths were given."""
    ruleset = RuleSet.build(settings)
    results = [FileResult(p.path, _unreadable(p, ruleset)) for p in problems]
    if jobs > 1 and len(paths) > 1:
        with _process_pool(jobs, settings) as pool:
            results.extend(pool.map(_lint_in_worker, paths, chunksize=_chunksize(len(paths), jobs)))
    else:
        results.extend(run_with_deep_stack(_lint_serially, paths, ruleset))
    return sorted(results, key=lambda result: result.path)


def _lint_serially(paths: Sequence[str], ruleset: RuleSet) -> list[FileResult]:
    return [lint_path(path, ruleset) for path in paths]


def _process_pool(jobs: int, settings: Settings) -> Executor:
    return ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(settings,))


def _chunksize(count: int, jobs: int) -> int:
    return max(1, min(16, count // (jobs * 8)))
