"""Metamorphic test: without `async`/`await` there is no coroutine, so the rules about code
running inside one (CCL201, CCL204) must go silent. CCL202 keeps reporting only what is still
a coroutine function: the catalog's (`asyncio.sleep` stays one), never a function of the file."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import libcst as cst
import pytest
from conftest import FIXTURES
from fixture_cases import Fixture, lint_cases
from project_reports import reports_by_line

from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source

_STRIPPED_FOLDERS = ("CCL201", "CCL202", "CCL204")


class _StripAsync(cst.CSTTransformer):
    """Removes every `async` keyword and `await` operator, keeping line numbers."""

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        return updated_node.with_changes(asynchronous=None)

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        return updated_node.with_changes(asynchronous=None)

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        return updated_node.with_changes(asynchronous=None)

    def leave_CompFor(self, original_node: cst.CompFor, updated_node: cst.CompFor) -> cst.CompFor:
        return updated_node.with_changes(asynchronous=None)

    def leave_Await(
        self, original_node: cst.Await, updated_node: cst.Await
    ) -> cst.BaseExpression:
        return updated_node.expression.with_changes(
            lpar=[*updated_node.lpar, *updated_node.expression.lpar],
            rpar=[*updated_node.expression.rpar, *updated_node.rpar],
        )


def _stripped(fixture: Fixture) -> Source:
    text = fixture.path.read_text(encoding="utf-8")
    module = cst.parse_module(text).visit(_StripAsync())
    assert module.code.count("\n") == text.count("\n")
    return Source(str(fixture.path), module.code, "utf-8")


@pytest.mark.parametrize(
    "fixture",
    [f for f in lint_cases() if f.code in _STRIPPED_FOLDERS],
    ids=lambda f: f.id,
)
def test_stripping_async_silences_the_coroutine_rules(fixture: Fixture, ruleset: RuleSet) -> None:
    diagnostics = lint_source(_stripped(fixture), ruleset).diagnostics
    assert [d.code for d in diagnostics if d.code in ("CCL001", "CCL201", "CCL204")] == []
    coroutine_functions = {f"{name}()" for name in ruleset.catalog.names("coroutine-functions")}
    still_coroutines = [dict(d.args)["call"] for d in diagnostics if d.code == "CCL202"]
    assert set(still_coroutines) <= coroutine_functions


def test_stripping_async_keeps_asyncio_sleep_a_coroutine(ruleset: RuleSet) -> None:
    (fixture,) = [f for f in lint_cases() if f.id == "CCL202/cases.py"]
    diagnostics = lint_source(_stripped(fixture), ruleset).diagnostics
    assert "asyncio.sleep()" in {dict(d.args)["call"] for d in diagnostics if d.code == "CCL202"}


# -- one file or two modules: a helper's verdict does not depend on where it is defined --------

_HEADER = "import functools\nimport multiprocessing\nimport sys\nimport time\nimport typing\n\n"
# The rows of the helper-chain table (docs/architecture.md, "Same file or another module"):
# a helper, then its callers (a coroutine, or a call at import time).
TABLE = {
    "config-flag": (
        'is_jython = sys.platform.startswith("java")\n\n\n'
        "def helper() -> None:\n    if is_jython:\n        time.sleep(1)\n",
        "async def caller() -> None:\n    helper()\n",
    ),
    "returns-a-lambda": (
        "def helper():\n    return lambda: time.sleep(1)\n",
        "async def caller() -> None:\n    helper()\n",
    ),
    "lazy-cache-guard": (
        "_config = None\n\n\ndef helper():\n    global _config\n    if _config:\n"
        '        return _config\n    with open("config.ini") as handle:\n'
        "        _config = handle.read()\n    return _config\n",
        "async def caller() -> None:\n    helper()\n",
    ),
    "local-retry-decorator": (
        "def retry(function):\n    @functools.wraps(function)\n"
        "    def wrapper(*args, **kwargs):\n        return function(*args, **kwargs)\n\n"
        "    return wrapper\n\n\n@retry\ndef helper() -> None:\n    time.sleep(1)\n",
        "async def caller() -> None:\n    helper()\n",
    ),
    "typing-final": (
        "@typing.final\ndef helper() -> None:\n    time.sleep(1)\n",
        "async def caller() -> None:\n    helper()\n",
    ),
    "empty-range": (
        "ATTEMPTS = 0\n\n\ndef helper() -> None:\n    for _ in range(ATTEMPTS):\n"
        "        time.sleep(1)\n    while False:\n        time.sleep(1)\n",
        "async def caller() -> None:\n    helper()\n",
    ),
    "literal-argument-through-a-helper": (
        "def poll(attempts=5):\n    for _ in range(attempts):\n        time.sleep(1)\n\n\n"
        "def helper() -> None:\n    poll(attempts=0)\n",
        "async def caller() -> None:\n    helper()\n    poll(0)\n    poll()\n",
    ),
    "process-creator-five-deep": (
        "def level5() -> None:\n    multiprocessing.Pool()\n\n\n"
        + "".join(f"def level{n}() -> None:\n    level{n + 1}()\n\n\n" for n in range(4, 1, -1))
        + "def helper() -> None:\n    level2()\n",
        "helper()\n",
    ),
}
# Rows where the module summaries (another module) and the libcst model (the same file) still
# disagree; unifying the two models removes them.
DRIFTING = {"config-flag", "returns-a-lambda", "lazy-cache-guard", "local-retry-decorator",
            "typing-final", "process-creator-five-deep"}


def _segments(text: str) -> list[tuple[ast.stmt, str]]:
    """Each top-level statement with its text (decorators and leading comments included)."""
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    found = []
    start = 0
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        found.append((node, "".join(lines[start:node.end_lineno])))
        start = node.end_lineno or first
    return found


def _stays(node: ast.stmt) -> bool:
    """What the coroutine module keeps: coroutines, classes with one, code run at import."""
    if isinstance(node, ast.AsyncFunctionDef):
        return True
    if isinstance(node, ast.ClassDef):
        return any(isinstance(inner, ast.AsyncFunctionDef) for inner in ast.walk(node))
    return not isinstance(node, (ast.FunctionDef, ast.Assign, ast.AnnAssign, ast.Import,
                                 ast.ImportFrom))


def _bound(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [target.id for target in targets if isinstance(target, ast.Name)]


def split(text: str) -> tuple[str, str]:
    """``text`` as two modules: ``helpers.py`` (its imports, functions, classes without
    coroutines and module-level bindings) and ``main.py`` (its imports, the rest, and an
    import of every name the helpers bind)."""
    imports, helpers, kept, names = [], [], [], []
    for node, segment in _segments(text):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(segment)
        elif _stays(node):
            kept.append(segment)
        else:
            helpers.append(segment)
            names.extend(_bound(node))
    header = "".join(imports)
    importing = f"from helpers import {', '.join(names)}\n" if names else ""
    return header + "".join(helpers), header + importing + "".join(kept)


def _same_in_one_file_and_split(text: str, tmp_path: Path) -> None:
    helpers, main = split(text)
    alone = reports_by_line(tmp_path / "one", {"main.py": text}, "main.py")
    kept = {line.strip() for line in main.splitlines()}
    alone = Counter({report: n for report, n in alone.items() if report[1] in kept})
    modules = {"main.py": main, "helpers.py": helpers}
    assert alone == reports_by_line(tmp_path / "two", modules, "main.py")


@pytest.mark.parametrize("name", ["CCL201/cases_helpers.py", "CCL201/cases_arguments.py"])
def test_helper_fixtures_report_alike_in_one_file_and_split(name: str, tmp_path: Path) -> None:
    _same_in_one_file_and_split((FIXTURES / name).read_text(encoding="utf-8"), tmp_path)


@pytest.mark.parametrize(
    "row",
    [pytest.param(row, marks=pytest.mark.xfail(strict=True, reason="the two models differ"))
     if row in DRIFTING else row for row in TABLE],
)
def test_table_rows_report_alike_in_one_file_and_split(row: str, tmp_path: Path) -> None:
    helper, caller = TABLE[row]
    _same_in_one_file_and_split(f"{_HEADER}\n{helper}\n\n{caller}", tmp_path)
