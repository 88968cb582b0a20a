"""Apply fixes until nothing more changes, verify the result parses, write it atomically.

Fixes are applied on the decoded text: edits never overlap within one pass (an overlapping
fix waits for the next pass, after a re-lint), required imports are added once, and the
file is written back with its own codec (BOM included), line endings and permission bits.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace

import libcst as cst

from concurlint.config import Settings
from concurlint.diagnostic import Diagnostic, Edit, FileResult, Fix, Safety
from concurlint.engine import RuleSet, lint_path, lint_source, run_with_deep_stack
from concurlint.files import Source, Unreadable, encode_source, read_source
from concurlint.import_placement import add_import
from concurlint.notebook import NotebookError, dump_cells
from concurlint.project import NO_FACTS, FileFacts, project_facts

MAX_PASSES = 10


class FixError(Exception):
    """A fixed file could not be written back."""


@dataclass(frozen=True)
class FixOutcome:
    source: Source
    text: str  # the fixed text (== source.text when nothing changed)
    fixed: int  # number of diagnostics repaired
    result: FileResult  # what remains after fixing
    initial: FileResult  # what the file on disk has, before fixing
    error: str | None = None  # why every fix was abandoned (the text is left unchanged)

    @property
    def changed(self) -> bool:
        return self.text != self.source.text


def applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and (
        fix.safety is Safety.SAFE or (unsafe and fix.safety is Safety.UNSAFE)
    )


def fix_source(
    source: Source, ruleset: RuleSet, unsafe: bool = False, project: FileFacts = NO_FACTS
) -> FixOutcome:
    """Lint and fix ``source`` to a fixed point (at most MAX_PASSES re-lints). ``project``
    holds what the other modules say about the names it imports; a fix rewrites this file
    only, so those facts stay true between passes."""
    text, fixed = source.text, 0
    result = initial = lint_source(source, ruleset, project)
    for _ in range(MAX_PASSES):
        fixes = [d.fix for d in result.diagnostics if applicable(d, unsafe)]
        if not fixes:
            break
        new_text, count = apply_fixes(text, fixes)  # type: ignore[arg-type]
        try:
            cst.parse_module(new_text)
        except Exception as error:  # any parser failure means a broken fix: revert them all
            reason = " ".join(str(error).split())
            message = f"{source.path}: not fixed: a fix produced code that does not parse"
            return FixOutcome(source, source.text, 0, initial, initial, f"{message} ({reason})")
        text, fixed = new_text, fixed + count
        result = lint_source(replace(source, text=text), ruleset, project)
    if source.notebook is not None and text != source.text:
        try:
            dump_cells(source.notebook, text)
        except NotebookError as error:  # the cells cannot be told apart: write nothing
            message = f"{source.path}: not fixed: {error}"
            return FixOutcome(source, source.text, 0, initial, initial, message)
    return FixOutcome(source, text, fixed, result, initial)


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


def write_atomically(source: Source, text: str) -> None:
    """Replace the file with ``text`` (same codec and mode) via a temporary file and rename,
    so a run killed mid-write never leaves a truncated file."""
    path = source.path
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError as error:
        raise FixError(f"{path}: cannot write the fix: {error.strerror or error}") from error
    if not mode & stat.S_IWUSR:
        raise FixError(f"{path}: not fixed: the file is read-only")
    try:
        data = encode_source(source, text)
    except UnicodeEncodeError as error:
        message = f"{path}: not fixed: the fixed text cannot be encoded as {error.encoding}"
        raise FixError(message) from error
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".concurlint-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise FixError(f"{path}: cannot write the fix: {error.strerror or error}") from error


def fix_path(
    path: str, ruleset: RuleSet, unsafe: bool, project: FileFacts = NO_FACTS
) -> FixOutcome | FileResult:
    """Fix one file in memory; an unreadable file comes back as its CCL001 result."""
    source = read_source(path)
    if isinstance(source, Unreadable):
        return lint_path(path, ruleset, project=project)
    return fix_source(source, ruleset, unsafe, project)


def fix_paths(
    paths: Iterable[str], settings: Settings, unsafe: bool
) -> list[FixOutcome | FileResult]:
    """Fix every path with the facts of the project they form, as a lint run sees them."""
    paths = list(paths)
    ruleset = RuleSet.build(settings)
    facts = project_facts(paths, settings)
    return run_with_deep_stack(
        lambda: [fix_path(path, ruleset, unsafe, facts.get(path, NO_FACTS)) for path in paths]
    )
