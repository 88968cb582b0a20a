"""`python -m tests.realbugs`: re-run the real-bug cases and compare with results.toml.

Without options, the cases whose bug spans a PyPI release are run on the releases before and
after the fix (downloaded once into ~/.cache/concurlint-realbugs) and compared with the
recorded PyPI outcome; the exit code is 1 when a verdict changed. `--local REPOS` runs every
case from local git copies of the repositories (`REPOS/owner+name`), `--write` records the
outcomes, `--markdown` prints the recall section of docs/real-world.md from the records.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .cases import load_cases
from .report import markdown, summary
from .results import Outcome, Result, dump_results, load_results
from .run import run_local, run_pypi


def _line(case_id: str, where: str, got: Outcome, want: Outcome | None) -> str:
    verdict = "found" if got.found else "missed"
    clean = "fixed clean" if got.fixed_clean else "fixed NOT clean"
    status = "" if want is None else (" ok" if got.same_verdict(want) else " CHANGED")
    return f"{case_id:44} {where:5} {verdict:6} {clean:15} {' '.join(got.reports)}{status}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.realbugs", description=__doc__)
    parser.add_argument("--local", type=Path, metavar="REPOS", help="git copies of the repos")
    parser.add_argument("--write", action="store_true", help="record outcomes in results.toml")
    parser.add_argument("--markdown", action="store_true", help="print the docs section")
    parser.add_argument("--case", action="append", default=[], help="run only these ids")
    parser.add_argument("--batch", type=int, help="run only the cases of this batch")
    args = parser.parse_args(argv)
    cases = [
        c
        for c in load_cases()
        if (not args.case or c.id in args.case) and args.batch in (None, c.batch)
    ]
    recorded = load_results() if Path(__file__).with_name("results.toml").exists() else {}
    if args.markdown:
        print(markdown(cases, recorded))
        return 0
    changed = failed = 0
    new: dict[str, Result] = {}
    for case in cases:
        old = recorded.get(case.id)
        try:
            local = old.local if old else None
            if args.local is not None:
                local = run_local(case, args.local)
                print(_line(case.id, "local", local, old.local if old else None), flush=True)
                changed += bool(old and not local.same_verdict(old.local))
            pypi = None
            if case.pypi is not None:
                pypi = run_pypi(case)
                want = old.pypi if old else None
                print(_line(case.id, "pypi", pypi, want), flush=True)
                changed += bool(want and not pypi.same_verdict(want))
        except (OSError, ValueError, RuntimeError, subprocess.SubprocessError) as error:
            failed += 1
            print(f"{case.id:44} ERROR {error}", flush=True)
            continue
        if local is not None:
            new[case.id] = Result(local, pypi, old.miss if old and not local.found else "")
    if args.write:
        dump_results(
            {
                case.id: new.get(case.id) or recorded[case.id]
                for case in load_cases()
                if case.id in new or case.id in recorded
            }
        )
    print(summary(cases, {**recorded, **new}))
    print(f"{changed} verdict(s) changed, {failed} case(s) could not run")
    return 1 if failed or (changed and not args.write) else 0


if __name__ == "__main__":
    sys.exit(main())
