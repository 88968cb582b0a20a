"""CCL001, the report of a file that cannot be analyzed: shared by the runner (files that
cannot be read) and the engine (files that cannot be parsed, internal errors)."""

from __future__ import annotations

from concurlint.config import Settings
from concurlint.diagnostic import Diagnostic, FileResult, Span
from concurlint.files import Unreadable
from concurlint.selection import selected_for

UNANALYZABLE = "CCL001"
INTERNAL_ERROR = "internal error"
_CANNOT = "cannot analyze this file: "


def unanalyzable(path: str, reason: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        path=path,
        span=Span(line, column, line, column),
        code=UNANALYZABLE,
        name="unanalyzable-file",
        message=f"{_CANNOT}{reason}",
        url="",
    )


def internal_error(path: str, detail: str) -> Unreadable:
    """A failure of concurlint itself on ``path``: reported, and the run exits 2."""
    return Unreadable(path, f"{INTERNAL_ERROR}: {detail}")


def is_internal_error(diagnostic: Diagnostic) -> bool:
    return diagnostic.code == UNANALYZABLE and diagnostic.message.startswith(
        f"{_CANNOT}{INTERNAL_ERROR}:"
    )


def unreadable_result(problem: Unreadable, settings: Settings) -> FileResult:
    if not selected_for(settings, problem.path, UNANALYZABLE):
        return FileResult(problem.path)
    return FileResult(problem.path, (unanalyzable(problem.path, problem.reason, problem.line),))
