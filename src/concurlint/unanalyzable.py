"""CCL001, the report of a file that cannot be analyzed: shared by the runner (files that
cannot be read) and the engine (files that cannot be parsed)."""

from __future__ import annotations

from concurlint.config import Settings
from concurlint.diagnostic import Diagnostic, FileResult, Span
from concurlint.files import Unreadable
from concurlint.selection import selected_for

UNANALYZABLE = "CCL001"


def unanalyzable(path: str, reason: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        path=path,
        span=Span(line, column, line, column),
        code=UNANALYZABLE,
        name="unanalyzable-file",
        message=f"cannot analyze this file: {reason}",
        url="",
    )


def unreadable_result(problem: Unreadable, settings: Settings) -> FileResult:
    if not selected_for(settings, problem.path, UNANALYZABLE):
        return FileResult(problem.path)
    return FileResult(problem.path, (unanalyzable(problem.path, problem.reason, problem.line),))
