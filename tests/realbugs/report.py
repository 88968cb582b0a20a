"""The "Real bugs: recall" section of docs/real-world.md, built from the records so the page
and the data cannot disagree, and the same recall as plain text for the runner."""

from __future__ import annotations

from dataclasses import dataclass

from .cases import FAMILIES, Case
from .matching import TOLERANCE
from .results import Result

ALL = "all"
# The batch the rules were improved against; later batches are held out from that work.
TUNED_BATCH = 1


@dataclass(frozen=True)
class Recall:
    """One row of the recall table: a batch (or all of them) and a family (or all)."""

    batch: str
    family: str
    cases: int
    found: int
    clean: int

    @property
    def percent(self) -> str:
        return f"{100 * self.found / self.cases:.0f}%" if self.cases else "-"


def recall(cases: list[Case], results: dict[str, Result]) -> list[Recall]:
    """Recall per family within each batch, then over every batch; batches are kept apart
    because only a batch nobody tuned the rules on measures recall honestly."""
    done = [(c, results[c.id]) for c in cases if c.id in results]
    batches = [str(b) for b in sorted({c.batch for c, _ in done})]
    rows = []
    for batch in (*batches, ALL):
        for family in (*FAMILIES, ALL):
            picked = [
                r for c, r in done if batch in (ALL, str(c.batch)) and family in (ALL, c.family)
            ]
            found = [r for r in picked if r.local.found]
            clean = sum(r.local.fixed_clean for r in found)
            rows.append(Recall(batch, family, len(picked), len(found), clean))
    return rows


def summary(cases: list[Case], results: dict[str, Result]) -> str:
    """The recall table as aligned plain text."""
    lines = [f"{'batch':6} {'family':11} {'cases':>5} {'found':>5} {'recall':>6} clean"]
    lines += [
        f"{r.batch:6} {r.family:11} {r.cases:5} {r.found:5} {r.percent:>6} {r.clean} of {r.found}"
        for r in recall(cases, results)
    ]
    return "\n".join(lines)


def _case_table(done: list[tuple[Case, Result]]) -> list[str]:
    lines = [
        "| case | repository | fix | path:lines | kind | codes | found | fixed clean | PyPI span |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case, result in done:
        span = f"{case.pypi.name} {case.pypi.before} → {case.pypi.after}" if case.pypi else "-"
        where = f"`{case.path}:{','.join(map(str, case.lines))}`"
        found = "yes" if result.local.found else "**no**"
        clean = ("yes" if result.local.fixed_clean else "no") if result.local.found else "-"
        lines.append(
            f"| {case.id} | {case.repository} | {case.fix_commit[:9]} | {where} | {case.kind} "
            f"| {', '.join(sorted(case.codes))} | {found} | {clean} | {span} |"
        )
    return lines


def markdown(cases: list[Case], results: dict[str, Result]) -> str:
    done = [(c, results[c.id]) for c in cases if c.id in results]
    lines = [
        "| batch | family | cases | found | recall | found and clean after the fix |",
        "|---|---|---|---|---|---|",
    ]
    for row in recall(cases, results):
        batch = "**all**" if row.batch == ALL else row.batch
        family = "**all**" if row.family == ALL else row.family
        lines.append(
            f"| {batch} | {family} | {row.cases} | {row.found} | {row.percent} "
            f"| {row.clean} of {row.found} |"
        )
    lines += [
        "",
        f"A case is found when a report with one of its codes lands within {TOLERANCE} lines "
        "of a recorded line; the fix is clean when no such report lies within "
        f"{TOLERANCE} lines of the lines that replaced them.",
    ]
    for batch in sorted({c.batch for c, _ in done}):
        in_batch = [(c, r) for c, r in done if c.batch == batch]
        lines += ["", f"**Batch {batch}:**", "", *_case_table(in_batch)]
        misses = [(c, r) for c, r in in_batch if not r.local.found]
        # A held-out batch's misses stay unexplained until someone works on them.
        explained = [(c, r) for c, r in misses if batch == TUNED_BATCH or r.miss]
        held_out = len(misses) - len(explained)
        if explained:
            lines += ["", "Why each miss is missed (the shape the analysis does not see):", ""]
            lines += [
                f"- **{c.id}** ({c.kind}): {r.miss or 'not analysed yet.'}" for c, r in explained
            ]
        if held_out:
            other = " other" if explained else ""
            noun, verb, pronoun = (
                ("miss", "is", "it") if held_out == 1 else ("misses", "are", "they")
            )
            lines += [
                "",
                f"The {held_out}{other} {noun} of batch {batch} {verb} not explained here: "
                f"{pronoun} {verb} held out, and explaining a miss is the first step of writing a "
                "rule for it.",
            ]
    unclean = [(c, r) for c, r in done if r.local.found and not r.local.fixed_clean]
    if unclean:
        lines += ["", "Found, but the fixed version is still reported:", ""]
        lines += [
            f"- **{c.id}**: {', '.join(r.local.fixed_reports)} after the fix." for c, r in unclean
        ]
    return "\n".join(lines)
