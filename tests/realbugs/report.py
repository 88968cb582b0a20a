"""The "Real bugs: recall" section of docs/real-world.md, built from the records so the page
and the data cannot disagree."""

from __future__ import annotations

from .cases import FAMILIES, Case
from .matching import TOLERANCE
from .results import Result


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def markdown(cases: list[Case], results: dict[str, Result]) -> str:
    done = [(c, results[c.id]) for c in cases if c.id in results]
    lines = [
        "| family | cases | found | recall | found and clean after the fix |",
        "|---|---|---|---|---|",
    ]
    for family in (*FAMILIES, "all"):
        rows = [(c, r) for c, r in done if family in ("all", c.family)]
        found = [r for _, r in rows if r.local.found]
        clean = sum(r.local.fixed_clean for r in found)
        name = "**all**" if family == "all" else family
        lines.append(
            f"| {name} | {len(rows)} | {len(found)} | {_percent(len(found), len(rows))} "
            f"| {clean} of {len(found)} |"
        )
    lines += [
        "",
        f"A case is found when a report with one of its codes lands within {TOLERANCE} lines "
        "of a recorded line; the fix is clean when no such report lies within "
        f"{TOLERANCE} lines of the lines that replaced them.",
        "",
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
    misses = [(c, r) for c, r in done if not r.local.found]
    if misses:
        lines += ["", "Why each miss is missed (the shape the analysis does not see):", ""]
        lines += [f"- **{c.id}** ({c.kind}): {r.miss or 'not analysed yet.'}" for c, r in misses]
    unclean = [(c, r) for c, r in done if r.local.found and not r.local.fixed_clean]
    if unclean:
        lines += ["", "Found, but the fixed version is still reported:", ""]
        lines += [
            f"- **{c.id}**: {', '.join(r.local.fixed_reports)} after the fix." for c, r in unclean
        ]
    return "\n".join(lines)
