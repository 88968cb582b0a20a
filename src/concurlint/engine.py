"""Lint source text into diagnostics: one parse, one MetadataWrapper, one traversal of all rules.

Files are screened first (the rules' words, then their verdict on Python's own ``ast``), and
a file no rule can report on is never parsed by libcst. Metadata is resolved only when a
rule asks the model for it; positions only for files that produced a report, and cheaply
(``positions.Positions``).

``runner.lint_paths`` answers from the cache first and hands the misses to ``lint_files``,
which runs them in a process pool.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypedDict, TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper

from concurlint import noqa
from concurlint.cache import Cache
from concurlint.checks import ALL_RULES
from concurlint.config import Settings
from concurlint.diagnostic import Diagnostic, Edit, FileResult, Fix, Span
from concurlint.files import (
    STUB_SUFFIX,
    Source,
    Unreadable,
    decode_source,
    fingerprint,
    read_bytes,
)
from concurlint.limits import parse_quietly, token_refusal, tree_refusal
from concurlint.model.catalog import Catalog, load_catalog
from concurlint.model.module import ModuleModel
from concurlint.positions import Positions
from concurlint.project import NO_FACTS, FileFacts
from concurlint.rule import FileContext, NodeFix, Report, Rule
from concurlint.screen import TreeFacts
from concurlint.selection import ignored_in, selected_for
from concurlint.unanalyzable import (
    UNANALYZABLE,
    internal_error,
    unanalyzable,
    unreadable_result,
)
from concurlint.workers import Lost, Pool

# libcst's metadata providers recurse once per nesting level: a deep file (the standard
# library's pydoc_data/topics.py) needs far more than Python's default limit and stack.
RECURSION_LIMIT = 20_000
STACK_SIZE = 512 * 1024 * 1024
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_T = TypeVar("_T")
__all__ = ["UNANALYZABLE", "RuleSet", "lint_files", "lint_path", "lint_source", "unanalyzable"]


@dataclass(frozen=True)
class RuleSet:
    """The selected rules with their settings and catalog, built once per process.

    ``screen`` off runs every selected rule on every file: the reference the screens are
    tested against, never faster.
    """

    settings: Settings
    catalog: Catalog
    rules: tuple[Rule, ...]
    screens: tuple[frozenset[str], ...]
    screen: bool = True

    @classmethod
    def build(cls, settings: Settings, screen: bool = True) -> RuleSet:
        catalog = load_catalog(settings.catalog_extensions())
        rules = tuple(
            rule(catalog, settings)
            for rule in ALL_RULES
            if settings.selects(rule.code)
        )
        return cls(settings, catalog, rules, tuple(rule.screen_words() for rule in rules), screen)

    def unused_noqa(self, path: str) -> noqa.UnusedNoqa | None:
        """What CCL002 needs for ``path``; None when it is not selected there."""
        if not self.selected_for(path, noqa.UNUSED_NOQA):
            return None
        info = self.catalog.rules[noqa.UNUSED_NOQA]
        return noqa.UnusedNoqa(info.name, info.url, lambda code: self.selected_for(path, code))

    def reports_unanalyzable(self, path: str) -> bool:
        return self.selected_for(path, UNANALYZABLE)

    def selected_for(self, path: str, code: str) -> bool:
        return selected_for(self.settings, path, code)

    def active_rules(self, path: str, text: str, project: FileFacts = NO_FACTS) -> list[Rule]:
        """Rules that are selected for ``path`` and whose screen words occur in ``text``
        (or that the other modules' ``project`` facts let report). A stub (``.pyi``) gets
        none: Python never runs it, so it is read for syntax errors only."""
        if path.endswith(STUB_SUFFIX):
            return []
        ignored = ignored_in(self.settings, path)
        return [
            rule
            for rule, words in zip(self.rules, self.screens, strict=True)
            if (not self.screen or any(word in text for word in words)
                or rule.screen_facts(project))
            and not any(rule.code.startswith(prefix) for prefix in ignored)
        ]

    def screen_tree(
        self, rules: Sequence[Rule], tree: ast.Module, project: FileFacts = NO_FACTS
    ) -> list[Rule]:
        """The rules that can still report once the file's ``ast`` facts are known."""
        if not self.screen:
            return list(rules)
        facts = TreeFacts(tree)
        return [rule for rule in rules if rule.screen_tree(facts) or rule.screen_facts(project)]


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line, with libcst's idea of a line break."""
    return [0, *(match.end() for match in _LINE_BREAK.finditer(text))]


def lint_source(source: Source, ruleset: RuleSet, project: FileFacts = NO_FACTS) -> FileResult:
    """Lint one decoded file. Never raises: failures become a CCL001 diagnostic. ``# noqa``
    comments then silence what they name, and the unused ones are reported (CCL002); in a
    notebook, each diagnostic is then placed in its cell."""
    result = _with_noqa(source, ruleset, _lint_module(source, ruleset, project))
    if source.notebook is None or not result.diagnostics:
        return result
    placed = tuple(source.notebook.place(diagnostic) for diagnostic in result.diagnostics)
    return FileResult(result.path, placed, result.skipped)


def _with_noqa(source: Source, ruleset: RuleSet, result: FileResult) -> FileResult:
    if any(d.code == UNANALYZABLE for d in result.diagnostics):
        return result
    unused = ruleset.unused_noqa(source.path)
    kept = noqa.apply(source.path, source.text, result.diagnostics, unused)
    if kept == result.diagnostics:
        return result
    return FileResult(source.path, tuple(sorted(kept, key=Diagnostic.sort_key)))


def _lint_module(source: Source, ruleset: RuleSet, project: FileFacts) -> FileResult:
    """The rules' reports on the Python text of ``source``, before ``# noqa``.

    Three screens, cheapest first: the rules' words in the text, Python's own parser (a
    file it rejects is a CCL001 unless libcst can still read it), then the rules' verdicts
    on the ``ast`` facts; only a file some rule still wants is parsed by libcst.
    ``project`` holds what the other linted modules say about the names this one imports.
    """
    rules = ruleset.active_rules(source.path, source.text, project)
    compiled = _compile(source, ruleset)
    if isinstance(compiled, ast.Module):
        rules = ruleset.screen_tree(rules, compiled, project) if rules else []
        if not rules:
            return FileResult(source.path, skipped=True)
        refusal = tree_refusal(compiled)
    elif not rules:
        return compiled
    else:
        refusal = token_refusal(source.text)
    if refusal is not None:  # Python's own message first, when it has one
        if isinstance(compiled, FileResult) and compiled.diagnostics:
            return compiled
        return _failed(ruleset, source.path, refusal)
    try:
        module = cst.parse_module(source.text)
    except Exception as error:  # a parser failure must not stop the run
        # Prefer Python's own message and location; libcst's is the fallback for code that
        # Python compiles but libcst cannot parse.
        if isinstance(compiled, FileResult) and compiled.diagnostics:
            return compiled
        reason = " ".join(str(error).split()) or type(error).__name__
        return _failed(ruleset, source.path, f"libcst cannot parse it: {reason}")
    try:
        diagnostics = _check(source, module, rules, project)
    except RecursionError:
        return _failed(ruleset, source.path, "too deeply nested to analyze")
    except Exception as error:  # one internal error must not stop the run
        problem = internal_error(source.path, f"{type(error).__name__}: {error}")
        return FileResult(source.path, _unreadable(problem, ruleset))
    return FileResult(source.path, tuple(sorted(diagnostics, key=Diagnostic.sort_key)))


def _compile(source: Source, ruleset: RuleSet) -> ast.Module | FileResult:
    """The file's ``ast``, or what to report when Python's C parser rejects it (a broken
    file is reported as CCL001 even when no rule needs libcst, at a fraction of the cost)."""
    try:
        return parse_quietly(source.text, source.path)
    except SyntaxError as error:
        return _failed(ruleset, source.path, f"syntax error: {error.msg}",
                       error.lineno or 1, error.offset or 1)
    except (RecursionError, MemoryError):
        return _failed(ruleset, source.path, "too deeply nested to parse")


def _failed(ruleset: RuleSet, path: str, reason: str, line: int = 1, column: int = 1) -> FileResult:
    if not ruleset.reports_unanalyzable(path):
        return FileResult(path)
    return FileResult(path, (unanalyzable(path, reason, line, column),))


def _check(
    source: Source, module: cst.Module, rules: Sequence[Rule], project: FileFacts
) -> list[Diagnostic]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    context = FileContext(source.path, ModuleModel(wrapper, rules[0].catalog, project))
    for rule in rules:
        rule.start(context)
    context.model.visit_batched(rules)
    if not context.reports:
        return []
    positions = Positions(module, source.text)
    converter = _Converter(source, module, positions)
    return [converter.diagnostic(report) for report in context.reports]


class _Converter:
    """Turns reports about nodes into diagnostics with spans and text edits."""

    def __init__(self, source: Source, module: cst.Module, positions: Positions) -> None:
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
        return self.positions[node]

    def _offset(self, line: int, column: int) -> int:
        """libcst places the end of a module without a final line break on the line after
        its last one: that position is the end of the text."""
        if line > len(self.line_starts):
            return len(self.source.text)
        return self.line_starts[line - 1] + column

    def _span(self, node: cst.CSTNode) -> tuple[int, int]:
        """Offsets of ``node`` in the text. A statement spans whole lines, from its leading
        comment and blank lines through its line break, as ``code_for_node`` renders it, so
        that replacing it with "" removes it cleanly."""
        position = self._range(node)
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            first = position.start.line - len(node.leading_lines)
            after = position.end.line
            starts = self.line_starts
            end = starts[after] if after < len(starts) else len(self.source.text)
            return starts[first - 1], end
        start = self._offset(position.start.line, position.start.column)
        return start, self._offset(position.end.line, position.end.column)

    def _fix(self, fix: NodeFix) -> Fix | None:
        edits = []
        for old, new in fix.replacements:
            start, end = self._span(old)
            if self.source.text[start:end] != self.module.code_for_node(old):
                return None  # the span does not hold exactly the node: never guess
            content = new if isinstance(new, str) else self.module.code_for_node(new)
            if old is self.module:  # a rewrite of a few statements, rendered as the module
                edits.append(_narrowed(self.source.text, content))
            else:
                edits.append(Edit(start, end, content))
        return Fix(tuple(sorted(edits)), fix.safety, fix.imports)


def _narrowed(text: str, rewritten: str) -> Edit:
    """The edit from ``text`` to ``rewritten`` that spans only what differs. A rule that
    must render its rewrite as the whole module (a statement's indentation belongs to its
    block) still changes only a few lines: narrowed, the rewrites of distant regions do not
    overlap and are all applied in one pass instead of one per pass."""
    limit = min(len(text), len(rewritten))
    start = _common_length(lambda n: text[:n] == rewritten[:n], limit)
    end = _common_length(
        lambda n: text[len(text) - n :] == rewritten[len(rewritten) - n :], limit - start
    )
    return Edit(start, len(text) - end, rewritten[start : len(rewritten) - end])


def _common_length(same: Callable[[int], bool], limit: int) -> int:
    """The largest n <= ``limit`` with ``same(n)`` (which holds for every smaller n too),
    found by bisection: slices compare at C speed, a character loop would not."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if same(middle):
            low = middle
        else:
            high = middle - 1
    return low


# -- running many files ---------------------------------------------------------------------


class _Worker(TypedDict, total=False):
    """What a pool process builds once, in its initializer, for all the chunks it lints."""

    rules: RuleSet
    cache: Cache | None
    executor: ThreadPoolExecutor


_WORKER: _Worker = {}  # per process: built once by the pool initializer
# Files per task handed to a worker: small enough to balance the load (the largest files
# go first), large enough that inter-process traffic stays negligible.
_CHUNK = 4
# Bytes above which a file is linted alone and while no other such file is: libcst holds
# hundreds of times a file's size while it works on it.
LARGE_FILE = 256 * 1024


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


def lint_path(
    path: str, ruleset: RuleSet, cache: Cache | None = None, project: FileFacts = NO_FACTS
) -> FileResult:
    """Read, lint and (with a cache) store one file; the key is taken from the very bytes
    that were linted (and the project facts used), so a file edited meanwhile never gets
    another version's result."""
    raw = read_bytes(path, ruleset.settings.max_file_size)
    if isinstance(raw, Unreadable):
        return FileResult(path, _unreadable(raw, ruleset))
    source = decode_source(path, raw)
    if isinstance(source, Unreadable):
        result = FileResult(path, _unreadable(source, ruleset))
    else:
        result = lint_source(source, ruleset, project)
    if cache is not None:
        cache.put(path, fingerprint(raw), result, project.digest)
    return result


def _unreadable(problem: Unreadable, ruleset: RuleSet) -> tuple[Diagnostic, ...]:
    return unreadable_result(problem, ruleset.settings).diagnostics


def _init_worker(settings: Settings, cache: Cache | None, screen: bool) -> None:
    _WORKER["rules"] = RuleSet.build(settings, screen)
    _WORKER["cache"] = cache
    _WORKER["executor"] = _deep_stack_executor()


_Chunk = tuple[tuple[str, ...], dict[str, FileFacts]]  # paths, and their project facts


def _lint_in_worker(chunk: _Chunk) -> list[FileResult]:
    ruleset, cache = _WORKER["rules"], _WORKER["cache"]
    executor = _WORKER["executor"]
    paths, project = chunk
    return executor.submit(_lint_serially, paths, ruleset, cache, None, project).result()


def run_with_deep_stack(function: Callable[..., _T], *args: object) -> _T:
    """Run ``function`` on a thread with a large stack and a raised recursion limit."""
    executor = _deep_stack_executor()
    future = executor.submit(function, *args)
    try:
        return future.result()
    finally:  # interrupted (Ctrl-C): do not wait here for the thread to finish its work
        executor.shutdown(wait=future.done())


def lint_files(
    paths: Sequence[str],
    settings: Settings,
    jobs: int = 1,
    cache: Cache | None = None,
    on_done: Callable[[int], None] | None = None,
    screen: bool = True,
    project: Mapping[str, FileFacts] | None = None,
) -> list[FileResult]:
    """Lint ``paths`` (on ``jobs`` processes sharing nothing), in no particular order;
    ``on_done(count)`` is called in this process as files finish. ``project`` gives each
    path the facts of the other modules it imports (see ``concurlint.project``)."""
    project = project or {}
    if jobs > 1 and len(paths) > 1:
        return _lint_in_pool(paths, (settings, cache, screen), jobs, on_done, project)
    ruleset = RuleSet.build(settings, screen)
    stop = threading.Event()
    try:
        return run_with_deep_stack(_lint_serially, paths, ruleset, cache, on_done, project, stop)
    except BaseException:  # Ctrl-C: the thread stops after its current file
        stop.set()
        raise


def _lint_serially(
    paths: Sequence[str],
    ruleset: RuleSet,
    cache: Cache | None = None,
    on_done: Callable[[int], None] | None = None,
    project: Mapping[str, FileFacts] | None = None,
    stop: threading.Event | None = None,
) -> list[FileResult]:
    results = []
    for path in paths:
        if stop is not None and stop.is_set():
            break
        facts = project.get(path, NO_FACTS) if project else NO_FACTS
        results.append(lint_path(path, ruleset, cache, facts))
        if on_done is not None:
            on_done(1)
    return results


def _lint_in_pool(
    paths: Sequence[str],
    worker_setup: tuple[Settings, Cache | None, bool],
    jobs: int,
    on_done: Callable[[int], None] | None,
    project: Mapping[str, FileFacts],
) -> list[FileResult]:
    """Largest files first, in small chunks, so that no worker is left with the tail; a
    file above ``LARGE_FILE`` bytes is a chunk of its own, linted while no other one is."""
    sizes = {path: _size(path) for path in paths}
    ordered = sorted(paths, key=sizes.__getitem__, reverse=True)
    large = [(path,) for path in ordered if sizes[path] > LARGE_FILE]
    rest = ordered[len(large):]
    chunks = [*large, *(tuple(rest[start:start + _CHUNK]) for start in range(0, len(rest), _CHUNK))]
    tasks: list[_Chunk] = [
        (chunk, {path: project[path] for path in chunk if path in project}) for chunk in chunks
    ]

    def finished(_index: int, chunk_results: list[FileResult] | Lost) -> None:
        if on_done is not None and not isinstance(chunk_results, Lost):
            on_done(len(chunk_results))

    pool: Pool[_Chunk, list[FileResult]] = Pool(
        _lint_in_worker, min(jobs, len(chunks)), _init_worker, worker_setup,
        heavy=lambda task: len(task[0]) == 1 and sizes[task[0][0]] > LARGE_FILE,
    )
    results: list[FileResult] = []
    for (chunk, _), outcome in zip(tasks, pool.map(tasks, finished), strict=True):
        if isinstance(outcome, Lost):  # its CCL001s, so that the run's other reports survive
            results.extend(unreadable_result(internal_error(path, outcome.reason), worker_setup[0])
                           for path in chunk)
        else:
            results.extend(outcome)
    return results


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
