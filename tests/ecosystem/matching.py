"""Reports against verdicts: which are judged, which are new, which verdicts lost their
report, the precision per rule, and the reasons the check fails."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .lint import Report
from .place import Key
from .verdicts import FALSE, TRUE, Lost, Verdict

MIN_JUDGED = 5
MIN_PRECISION = 0.90


@dataclass(frozen=True)
class Matching:
    judged: tuple[tuple[Report, Verdict], ...]
    unjudged: tuple[Report, ...]
    disappeared: tuple[Verdict, ...]


def match(reports: Iterable[Report], verdicts: Iterable[Verdict]) -> Matching:
    """Pair each verdict with at most one report of the same key; when a key has several
    (the same line text twice in a file), the pairs with the closest line numbers win."""
    reports_by_key: dict[Key, list[Report]] = defaultdict(list)
    verdicts_by_key: dict[Key, list[Verdict]] = defaultdict(list)
    for report in reports:
        reports_by_key[report.key].append(report)
    for verdict in verdicts:
        verdicts_by_key[verdict.key].append(verdict)
    judged: list[tuple[Report, Verdict]] = []
    unjudged: list[Report] = []
    disappeared: list[Verdict] = []
    for key in sorted(reports_by_key.keys() | verdicts_by_key.keys()):
        pairs, lone_reports, lone_verdicts = _closest(reports_by_key[key], verdicts_by_key[key])
        judged += pairs
        unjudged += lone_reports
        disappeared += lone_verdicts
    return Matching(tuple(judged), tuple(unjudged), tuple(disappeared))


def _closest(
    reports: Sequence[Report], verdicts: Sequence[Verdict]
) -> tuple[list[tuple[Report, Verdict]], list[Report], list[Verdict]]:
    distances = sorted(
        (abs(r.line - v.line), i, j) for i, r in enumerate(reports) for j, v in enumerate(verdicts)
    )
    used_reports: set[int] = set()
    used_verdicts: set[int] = set()
    pairs = []
    for _, i, j in distances:
        if i not in used_reports and j not in used_verdicts:
            used_reports.add(i)
            used_verdicts.add(j)
            pairs.append((reports[i], verdicts[j]))
    pairs.sort(key=lambda pair: pair[0].line)
    lone_reports = [r for i, r in enumerate(reports) if i not in used_reports]
    lone_verdicts = [v for j, v in enumerate(verdicts) if j not in used_verdicts]
    return pairs, lone_reports, lone_verdicts


@dataclass(frozen=True)
class RuleStats:
    code: str
    reports: int
    true: int
    false: int

    @property
    def judged(self) -> int:
        return self.true + self.false

    @property
    def precision(self) -> float | None:
        return self.true / self.judged if self.judged else None

    @property
    def failing(self) -> bool:
        """At least 5 judged reports: precision under 0.90 fails; fewer: any FP fails."""
        if self.judged >= MIN_JUDGED:
            return self.true < MIN_PRECISION * self.judged
        return self.false > 0


def rule_stats(reports: Iterable[Report], matching: Matching) -> list[RuleStats]:
    counts: dict[str, int] = defaultdict(int)
    verdicts_of: dict[str, list[str]] = defaultdict(list)
    for report in reports:
        counts[report.code] += 1
    for report, verdict in matching.judged:
        verdicts_of[report.code].append(verdict.verdict)
    return [
        RuleStats(code, counts[code], verdicts_of[code].count(TRUE), verdicts_of[code].count(FALSE))
        for code in sorted(counts)
    ]


def unexplained_losses(disappeared: Iterable[Verdict], lost: Iterable[Lost]) -> list[Verdict]:
    """True positives whose report went away and that the lost list does not account for."""
    accounted: dict[Key, int] = defaultdict(int)
    for entry in lost:
        accounted[entry.key] += 1
    missing = []
    for verdict in disappeared:
        if verdict.verdict != TRUE:
            continue
        if accounted[verdict.key]:
            accounted[verdict.key] -= 1
        else:
            missing.append(verdict)
    return missing


def failures(
    stats: Sequence[RuleStats], matching: Matching, lost: Sequence[Lost], crashes: Sequence[str]
) -> list[str]:
    """Why the check fails, one line per cause; empty when it passes."""
    found = []
    if matching.unjudged:
        found.append(f"{len(matching.unjudged)} report(s) without a verdict")
    for rule in stats:
        if rule.failing:
            found.append(f"{rule.code}: {rule.true} TP of {rule.judged} judged is under the bar")
    losses = unexplained_losses(matching.disappeared, lost)
    if losses:
        found.append(f"{len(losses)} true positive(s) no longer reported and not in the lost list")
    if crashes:
        found.append(f"{len(crashes)} crash(es)")
    return found
