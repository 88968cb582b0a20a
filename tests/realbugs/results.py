"""What concurlint did on each case, read from and written to results.toml."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .cases import HERE, SchemaError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

RESULTS_FILE = HERE / "results.toml"


@dataclass(frozen=True)
class Outcome:
    """One run of a case: found in the buggy version, clean in the fixed one, and the
    matching reports (``CODE@line``) that decided it."""

    found: bool
    fixed_clean: bool
    reports: tuple[str, ...] = ()
    fixed_reports: tuple[str, ...] = ()

    def same_verdict(self, other: Outcome) -> bool:
        return (self.found, self.fixed_clean) == (other.found, other.fixed_clean)


@dataclass(frozen=True)
class Result:
    """A case's outcome from the repository's own commits and, where a release spans the
    fix, from the two PyPI releases; ``miss`` says why the analysis misses it."""

    local: Outcome
    pypi: Outcome | None = None
    miss: str = field(default="")


def _outcome(case_id: str, entry: object) -> Outcome:
    if not isinstance(entry, dict):
        raise SchemaError(f"result {case_id}: an outcome must be a table")
    if not isinstance(entry.get("found"), bool) or not isinstance(entry.get("fixed_clean"), bool):
        raise SchemaError(f"result {case_id}: found and fixed_clean must be booleans")
    return Outcome(
        entry["found"],
        entry["fixed_clean"],
        tuple(entry.get("reports", ())),
        tuple(entry.get("fixed_reports", ())),
    )


def load_results(path: Path = RESULTS_FILE) -> dict[str, Result]:
    """The recorded result of each case, keyed by case id."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    results = {}
    for case_id, entry in data.get("result", {}).items():
        pypi = entry.get("pypi")
        results[case_id] = Result(
            _outcome(case_id, entry.get("local")),
            None if pypi is None else _outcome(case_id, pypi),
            entry.get("miss", ""),
        )
    return results


def _inline(outcome: Outcome) -> str:
    return (
        f"{{ found = {json.dumps(outcome.found)}, fixed_clean = {json.dumps(outcome.fixed_clean)}, "
        f"reports = {json.dumps(list(outcome.reports))}, "
        f"fixed_reports = {json.dumps(list(outcome.fixed_reports))} }}"
    )


def dump_results(results: dict[str, Result], path: Path = RESULTS_FILE) -> None:
    """Write results in case order; reports are kept so a change of verdict can be traced."""
    lines = [
        "# What concurlint did on each case of cases.toml: `local` from the repository's own",
        "# commits (parent and fix), `pypi` from the releases before and after the fix.",
        "# Regenerate with `python -m tests.realbugs --local REPOS --write`.",
        "",
    ]
    for case_id, result in results.items():
        lines += [f"[result.{case_id}]", f"local = {_inline(result.local)}"]
        if result.pypi is not None:
            lines.append(f"pypi = {_inline(result.pypi)}")
        if result.miss:
            lines.append(f"miss = {json.dumps(result.miss)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
