"""``python -m tests.ecosystem``: download the pinned projects, lint each, match the reports
against the verdicts, print the tables and exit 1 when the check fails (2 on bad input)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .docs import PAGE, DocsError, render_section, splice
from .lint import TIMEOUT_SECONDS, ProjectRun, Report, lint_project
from .matching import Matching, RuleStats, failures, match, rule_stats, unexplained_losses
from .projects import Project, ProjectError, cache_root, project_root, read_projects
from .verdicts import (
    FALSE,
    VERDICTS_FILE,
    Lost,
    Verdict,
    VerdictError,
    VerdictFile,
    add_verdicts,
    read_verdicts,
    render_verdicts,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.ecosystem", description=__doc__)
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this project (repeatable)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes concurlint uses per project (default: CPUs)",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="projects linted at once (default: 1); the start-up of small projects overlaps",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_SECONDS,
        help=f"seconds a project may take before it counts as a crash (default: {TIMEOUT_SECONDS})",
    )
    parser.add_argument(
        "--cache-dir",
        help="download cache (default: $CONCURLINT_ECOSYSTEM_CACHE "
        "or ~/.cache/concurlint-ecosystem)",
    )
    parser.add_argument(
        "--write-unjudged",
        metavar="FILE",
        type=Path,
        help="write the reports without a verdict to FILE as JSON",
    )
    parser.add_argument(
        "--add-verdicts",
        metavar="FILE",
        type=Path,
        help="add the judged reports of FILE (--write-unjudged's JSON, each "
        "with `verdict` and `reason`) to the verdict file and exit",
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="regenerate the ecosystem part of docs/real-world.md and exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        projects = read_projects()
        verdict_file = read_verdicts(VERDICTS_FILE)
        if args.add_verdicts:
            items = _read_json(args.add_verdicts)
            merged = add_verdicts(verdict_file, items, str(args.add_verdicts))
            VERDICTS_FILE.write_text(render_verdicts(merged), encoding="utf-8")
            print(f"{VERDICTS_FILE}: {len(merged.verdicts)} verdict(s)")
            return 0
        if args.write_docs:
            page = PAGE.read_text(encoding="utf-8")
            PAGE.write_text(splice(page, render_section(verdict_file, projects)), encoding="utf-8")
            print(f"wrote {PAGE}")
            return 0
        chosen = _chosen(projects, args.project)
    except (ProjectError, VerdictError, DocsError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    cache = cache_root(args.cache_dir)
    finished: list[ProjectRun] = []
    with ThreadPoolExecutor(max_workers=max(args.parallel, 1)) as pool:
        futures = [pool.submit(_run, project, cache, args.jobs, args.timeout) for project in chosen]
        for future in as_completed(futures):
            finished.append(future.result())
            if args.write_unjudged:  # rewritten as projects finish: a long run is usable early
                _write_unjudged(args.write_unjudged, _matched(finished, verdict_file)[0].unjudged)
    runs = [future.result() for future in futures]
    matching, verdicts, lost = _matched(runs, verdict_file)
    reports = [r for run in runs for r in run.reports]
    stats = rule_stats(reports, matching)
    crashes = [c for run in runs for c in run.crashes]
    _print_projects(runs)
    _print_rules(stats)
    _print_problems(matching, VerdictFile(tuple(verdicts), tuple(lost)), runs)
    if args.write_unjudged:
        print(f"\nwrote {len(matching.unjudged)} unjudged report(s) to {args.write_unjudged}")
    print(f"\ndownload cache: {cache}")
    found = failures(stats, matching, lost, crashes)
    for line in found:
        print(f"FAIL: {line}")
    if not found:
        print("ecosystem check passed")
    return 1 if found else 0


def _matched(
    runs: Sequence[ProjectRun], verdict_file: VerdictFile
) -> tuple[Matching, list[Verdict], list[Lost]]:
    """The reports of ``runs`` matched to the verdicts of those projects alone."""
    names = {run.project for run in runs}
    verdicts = [v for v in verdict_file.verdicts if v.project in names]
    lost = [e for e in verdict_file.lost if e.project in names]
    return match([r for run in runs for r in run.reports], verdicts), verdicts, lost


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise VerdictError(f"{path}: not JSON: {error}") from None


def _chosen(projects: list[Project], names: list[str]) -> list[Project]:
    if not names:
        return projects
    known = {p.name.lower(): p for p in projects}
    unknown = [n for n in names if n.lower() not in known]
    if unknown:
        raise ProjectError(f"not in projects.txt: {', '.join(unknown)}")
    return [known[n.lower()] for n in names]


def _run(project: Project, cache: Path, jobs: int, timeout: float) -> ProjectRun:
    """One project, its progress on stderr (the tables come when every project is done)."""
    print(f"{project.name}=={project.version} ...", file=sys.stderr, flush=True)
    try:
        run = lint_project(project.name, project_root(project, cache), jobs, timeout)
    except (ProjectError, OSError) as error:
        run = ProjectRun(project.name, cache)
        run.crashes.append(f"{project.name}: {error}")
    print(
        f"{project.name}: {len(run.reports)} report(s), {len(run.crashes)} crash(es), "
        f"{run.seconds:.0f} s ({run.cpu_seconds:.0f} s CPU)",
        file=sys.stderr,
        flush=True,
    )
    return run


def _print_projects(runs: Sequence[ProjectRun]) -> None:
    print(f"{'project':<28} {'reports':>7} {'CCL001':>6} {'seconds':>8} {'CPU s':>8}")
    for run in runs:
        print(
            f"{run.project:<28} {len(run.reports):>7} {len(run.unanalyzable):>6} "
            f"{run.seconds:>8.1f} {run.cpu_seconds:>8.1f}"
        )
    total = sum(run.seconds for run in runs)
    cpu = sum(run.cpu_seconds for run in runs)
    print(
        f"{'total':<28} {sum(len(r.reports) for r in runs):>7} "
        f"{sum(len(r.unanalyzable) for r in runs):>6} {total:>8.1f} {cpu:>8.1f}"
    )


def _print_rules(stats: Sequence[RuleStats]) -> None:
    print(f"\n{'rule':<8} {'reports':>7} {'TP':>5} {'FP':>5} {'precision':>9}")
    for rule in stats:
        precision = "-" if rule.precision is None else f"{rule.precision:.2f}"
        print(f"{rule.code:<8} {rule.reports:>7} {rule.true:>5} {rule.false:>5} {precision:>9}")


def _print_problems(
    matching: Matching, verdict_file: VerdictFile, runs: Sequence[ProjectRun]
) -> None:
    print(f"\nreports without a verdict: {len(matching.unjudged)}")
    for report in matching.unjudged:
        print(f"  {report.project}: {report.path}:{report.line}: {report.code} {report.message}")
    losses = unexplained_losses(matching.disappeared, verdict_file.lost)
    fixed = [v for v in matching.disappeared if v.verdict == FALSE]
    print(
        f"\nverdicts whose report disappeared: {len(matching.disappeared)} "
        f"({len(fixed)} FP, {len(losses)} TP not in the lost list)"
    )
    for verdict in matching.disappeared:
        note = f" (fixed: {verdict.fixed})" if verdict.fixed else ""
        print(
            f"  {verdict.verdict} {verdict.project}: {verdict.path}:{verdict.line}: "
            f"{verdict.code} `{verdict.text}`{note}"
        )
    unanalyzable = [r for run in runs for r in run.unanalyzable]
    print(f"\nfiles that could not be analysed (CCL001): {len(unanalyzable)}")
    for report in unanalyzable:
        print(f"  {report.project}: {report.path}:{report.line}: {report.message}")
    crashes = [c for run in runs for c in run.crashes]
    print(f"\ncrashes: {len(crashes)}")
    for crash in crashes:
        print(f"  {crash}")


def _write_unjudged(path: Path, reports: Sequence[Report]) -> None:
    items = [
        {
            "project": r.project,
            "path": r.path,
            "line": r.line,
            "code": r.code,
            "message": r.message,
            "text": r.text,
            "file": str(r.file),
        }
        for r in reports
    ]
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(items, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


if __name__ == "__main__":
    sys.exit(main())
