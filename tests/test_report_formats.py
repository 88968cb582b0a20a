"""CI output formats (SARIF, GitHub annotations) and the --statistics and --quiet options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT

from concurlint.diagnostic import Diagnostic, Span
from concurlint.model.catalog import load_catalog
from concurlint.report import github

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concurlint", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def sarif() -> dict:
    completed = run(["--format", "sarif", "fixtures"], ROOT)
    assert completed.returncode == 1, completed.stderr
    return json.loads(completed.stdout)


def test_sarif_output_is_valid_against_the_2_1_0_schema(sarif: dict) -> None:
    jsonschema.validate(sarif, SCHEMA)


def test_sarif_driver_describes_every_catalog_rule(sarif: dict) -> None:
    catalog = load_catalog()
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == sorted(catalog.rules)
    for rule in rules:
        info = catalog.rules[rule["id"]]
        assert (rule["name"], rule["helpUri"]) == (info.name, info.url)
        assert rule["shortDescription"]["text"] == info.summary
        assert rule["fullDescription"]["text"]


def test_sarif_results_point_at_their_rule_and_location(sarif: dict) -> None:
    run_ = sarif["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    result = next(r for r in run_["results"] if r["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"] == "fixtures/CCL201/bad.py")
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "CCL201"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (22, 5)


def test_sarif_fix_replacements_rebuild_the_fixed_text(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BLOCKING)
    log = json.loads(run(["--format", "sarif", "a.py"], tmp_path).stdout)
    (result,) = log["runs"][0]["results"]
    (fix,) = result["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "a.py"
    text = BLOCKING
    for replacement in sorted(
        change["replacements"], key=lambda r: r["deletedRegion"]["charOffset"], reverse=True
    ):
        start = replacement["deletedRegion"]["charOffset"]
        end = start + replacement["deletedRegion"]["charLength"]
        text = text[:start] + replacement["insertedContent"]["text"] + text[end:]
    assert text == BLOCKING.replace("time.sleep(1)", "await asyncio.sleep(1)")
    assert "`import asyncio`" in fix["description"]["text"]
    assert fix["properties"] == {"applicability": "safe", "imports": ["asyncio"]}


def test_sarif_with_no_findings_is_valid(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    completed = run(["--format", "sarif", "clean.py"], tmp_path)
    log = json.loads(completed.stdout)
    jsonschema.validate(log, SCHEMA)
    assert (completed.returncode, log["runs"][0]["results"]) == (0, [])


def test_github_format_is_a_workflow_command(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BLOCKING)
    completed = run(["--format", "github", "a.py"], tmp_path)
    assert completed.stdout == (
        "::error file=a.py,line=5,col=5,endLine=5,endColumn=18,title=CCL201::`time.sleep()` "
        "blocks the event loop inside `async def f`; use `await asyncio.sleep(...)`\n"
    )


def test_github_format_escapes_properties_and_message() -> None:
    diagnostic = Diagnostic(
        path="dir,with:odd%/a.py", span=Span(1, 2, 1, 3), code="CCL201", name="n",
        message="50% done\r\nnext: line", url="",
    )
    assert github.render([diagnostic]) == (
        "::error file=dir%2Cwith%3Aodd%25/a.py,line=1,col=2,endLine=1,endColumn=3,title=CCL201"
        "::50%25 done%0D%0Anext: line\n"
    )


def test_statistics_counts_per_rule_most_frequent_first(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "import asyncio\nimport time\n\n\nasync def f():\n"
        "    time.sleep(1)\n    time.sleep(2)\n    asyncio.create_task(f())\n"
    )
    completed = run(["--statistics", "a.py"], tmp_path)
    assert completed.returncode == 1
    assert completed.stdout == (
        "2\tCCL201\t[*] blocking-call-in-coroutine\n1\tCCL203\t    task-reference-lost\n"
        "Found 3 errors.\n[*] 2 fixable with `--fix`.\n"
    )


def test_quiet_prints_diagnostics_without_the_summary(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BLOCKING)
    loud, quiet = run(["a.py"], tmp_path), run(["--quiet", "a.py"], tmp_path)
    assert loud.stdout.endswith("Found 1 error.\n[*] 1 fixable with `--fix`.\n")
    assert loud.stdout.startswith(quiet.stdout)
    assert (quiet.stdout.count("\n"), quiet.stderr, quiet.returncode) == (1, "", 1)
