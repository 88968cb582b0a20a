"""The rule that decides whether a case is found and whether its fixed version is clean.

A case is found when concurlint reports, in the case's file, one of the case's acceptable
codes on a recorded line or within TOLERANCE lines of it (a report may sit on the `if` of a
check-then-act or on the write it guards, on a call or on its receiver's line). The fixed
version is clean when no report with an acceptable code lies within TOLERANCE lines of the
lines that replaced the buggy ones in the fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

TOLERANCE = 2


@dataclass(frozen=True)
class Report:
    """One diagnostic from concurlint's JSON output, reduced to what matching needs."""

    path: str
    line: int
    code: str

    def label(self) -> str:
        return f"{self.code}@{self.line}"


def near(
    reports: Iterable[Report], path: str, lines: Iterable[int], codes: frozenset[str]
) -> list[Report]:
    """The reports in ``path`` with an acceptable code within TOLERANCE of any of ``lines``."""
    wanted = PurePosixPath(path)
    targets = tuple(lines)
    return [
        report
        for report in reports
        if PurePosixPath(report.path) == wanted
        and report.code in codes
        and any(abs(report.line - line) <= TOLERANCE for line in targets)
    ]
