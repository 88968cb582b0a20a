"""Apply fixes until nothing more changes, verify the result compiles, write it back.

Fixes are applied on the decoded text: edits never overlap within one pass (an overlapping
fix waits for the next pass, after a re-lint), required imports are added once, and the
file is written back with its own codec (BOM included) and line endings, only when that
codec gives its bytes back unchanged. ``concurlint.writing`` does the writing.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace

import libcst as cst

from concurlint.config import Settings
from concurlint.diagnostic import Diagnostic, Edit, FileResult, Fix
from concurlint.engine import RuleSet, lint_path, lint_source, run_with_deep_stack
from concurlint.files import (
    Source,
    Unreadable,
    decode_source,
    encode_exactly,
    project_files,
    read_bytes,
)
from concurlint.import_placement import add_import
from concurlint.notebook import NotebookError, dump_cells
from concurlint.project import NO_FACTS, FileFacts, project_facts
from concurlint.writing import NotWritten, write_back

# ruff's cap: a loop of fixes that still finds something to fix after this many passes is
# a bug, reported as such, with the file left unchanged.
MAX_PASSES = 100


@dataclass(frozen=True)
class FixOutcome:
    source: Source
    text: str  # the fixed text (== source.text when nothing changed)
    fixed: int  # number of diagnostics repaired
    result: FileResult  # what remains after fixing
    initial: FileResult  # what the file on disk has, before fixing
    error: str | None = None  # why every fix was abandoned (the text is left unchanged)
    raw: bytes | None = None  # the bytes analysed, which the file must still hold when written

    @property
    def changed(self) -> bool:
        return self.text != self.source.text


def applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    return diagnostic.fixable_with(unsafe)


def fix_source(
    source: Source, ruleset: RuleSet, unsafe: bool = False, project: FileFacts = NO_FACTS
) -> FixOutcome:
    """Lint and fix ``source`` to a fixed point (at most MAX_PASSES re-lints). ``project``
    holds what the other modules say about the names it imports; a fix rewrites this file
    only, so those facts stay true between passes. Any pass that breaks the code (it no
    longer parses, or no longer compiles when it did) abandons every fix of the file."""
    text, fixed = source.text, 0
    result = initial = lint_source(source, ruleset, project)
    compiled: bool | None = None  # whether the input compiles: asked once, when needed
    for _ in range(MAX_PASSES):
        fixes = [d.fix for d in result.diagnostics if d.fix is not None and applicable(d, unsafe)]
        if not fixes:
            return FixOutcome(source, text, fixed, result, initial)
        if compiled is None:
            compiled = _compile_error(source.text, source.path) is None
        try:  # adding an import parses the edited text: it fails there first
            new_text, count = apply_fixes(text, fixes)
            cst.parse_module(new_text)
        except (cst.ParserSyntaxError, RecursionError) as error:  # a broken fix: revert all
            return _abandoned(source, initial, "a fix produced code that does not parse", error)
        problem = _compile_error(new_text, source.path) if compiled else None
        if problem is not None:
            return _abandoned(source, initial, "a fix produced code that does not compile",
                              problem)
        text, fixed = new_text, fixed + count
        result = lint_source(replace(source, text=text), ruleset, project)
    if any(applicable(d, unsafe) for d in result.diagnostics):
        return _abandoned(source, initial, f"fixes still apply after {MAX_PASSES} passes")
    if source.notebook is not None and text != source.text:
        try:
            dump_cells(source.notebook, text)
        except NotebookError as error:  # the cells cannot be told apart: write nothing
            message = f"{source.path}: not fixed: {error}"
            return FixOutcome(source, source.text, 0, initial, initial, message)
    return FixOutcome(source, text, fixed, result, initial)


def _compile_error(text: str, path: str) -> SyntaxError | None:
    """What ``compile`` (the parser and the symbol table: a name used before its ``global``
    declaration, ``await`` outside a coroutine, ...) says about ``text``, if anything."""
    try:
        with warnings.catch_warnings():  # the user's code may be full of `"str"()` and such
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError, MemoryError) as error:
        return SyntaxError(f"{type(error).__name__}: {error}")
    return None


def _abandoned(
    source: Source, initial: FileResult, what: str, cause: BaseException | None = None
) -> FixOutcome:
    message = f"{source.path}: not fixed: {what}"
    if cause is not None:
        message += f" ({' '.join(str(cause).split()) or type(cause).__name__})"
    return FixOutcome(source, source.text, 0, initial, initial, message)


def apply_fixes(text: str, fixes: Iterable[Fix]) -> tuple[str, int]:
    """Apply every fix whose edits overlap no earlier one; returns the text and the count."""
    chosen = one_pass(fixes)
    for edit in sorted((edit for fix in chosen for edit in fix.edits), reverse=True):
        text = text[: edit.start] + edit.content + text[edit.end :]
    for module in sorted({module for fix in chosen for module in fix.imports}):
        text = add_import(text, module)
    return text, len(chosen)


def one_pass(fixes: Iterable[Fix]) -> list[Fix]:
    """The fixes one pass applies: in order of position, each whose edits overlap no edit of
    a fix already chosen (the others wait for the next pass, after a re-lint)."""
    chosen: list[Fix] = []
    edits: list[Edit] = []
    for fix in sorted(fixes, key=lambda f: f.edits[0].start if f.edits else 0):
        if any(_overlaps(edit, other) for edit in fix.edits for other in edits):
            continue
        chosen.append(fix)
        edits.extend(fix.edits)
    return chosen


def _overlaps(a: Edit, b: Edit) -> bool:
    return (a.start < b.end and b.start < a.end) or (a.start == b.start)


def write_fix(outcome: FixOutcome) -> None:
    """Write the fixed text back in the file's codec; raises ``NotWritten`` with the reason
    when that codec cannot hold it or the file cannot or may not be replaced."""
    path = outcome.source.path
    data = encode_exactly(outcome.source, outcome.text)
    if data is None:
        raise NotWritten(f"{path}: not fixed: the fixed text cannot be encoded as "
                         f"{outcome.source.encoding}")
    assert outcome.raw is not None, "only an outcome of fix_path knows the bytes analysed"
    write_back(path, outcome.raw, data)


def fix_path(
    path: str, ruleset: RuleSet, unsafe: bool, project: FileFacts = NO_FACTS
) -> FixOutcome | FileResult:
    """Fix one file in memory; an unreadable file comes back as its CCL001 result. Never
    raises: whatever goes wrong with this file is its outcome's one-line error."""
    raw = read_bytes(path)
    source = raw if isinstance(raw, Unreadable) else decode_source(path, raw)
    if isinstance(raw, Unreadable) or isinstance(source, Unreadable):
        return lint_path(path, ruleset, project=project)
    try:
        outcome = fix_source(source, ruleset, unsafe, project)
    except Exception as error:  # one internal error must not stop the other files
        initial = lint_source(source, ruleset, project)
        return _abandoned(source, initial, f"internal error: {type(error).__name__}", error)
    if outcome.changed and encode_exactly(source, source.text) != raw:
        return _abandoned(
            source,
            outcome.initial,
            f"decoding and encoding it again as {source.encoding} does not give back its "
            "bytes, so the fixed file could not keep its other lines unchanged",
        )
    return dataclasses.replace(outcome, raw=raw)


def fix_paths(
    paths: Iterable[str], settings: Settings, unsafe: bool
) -> list[FixOutcome | FileResult]:
    """Fix every path with the facts of the project they belong to, as a lint run sees
    them (``files.project_files``)."""
    paths = list(paths)
    ruleset = RuleSet.build(settings)
    facts = project_facts(project_files(paths, settings), settings) if paths else {}
    return run_with_deep_stack(
        lambda: [fix_path(path, ruleset, unsafe, facts.get(path, NO_FACTS)) for path in paths]
    )
