"""CCL201 and branches that run only without an event loop: the helpers of
``fixtures/CCL201/cases_no_loop.py`` moved to other modules of the project (the helper that
gives the running loop in one, the functions that test it in another) are cut alike, through
module summaries and, in the module that tests an imported helper, through the libcst model."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from textwrap import dedent

from conftest import FIXTURES
from project_reports import reports_by_line

from concurlint.loop_branches import returns_running_loop

_CASES = FIXTURES / "CCL201" / "cases_no_loop.py"


def _parts(text: str) -> tuple[str, str, str, str]:
    """The header (docstring and imports), the helper giving the running loop, the functions
    testing it, and the coroutine."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    functions = [
        node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    header = "".join(lines[: functions[0].lineno - 1])
    checker = "".join(lines[functions[0].lineno - 1 : functions[1].lineno - 1])
    helpers = "".join(lines[functions[1].lineno - 1 : functions[-1].lineno - 1])
    coroutine = "".join(lines[functions[-1].lineno - 1 :])
    return header, checker, helpers, coroutine


def _expected(text: str) -> Counter[tuple[str, str]]:
    return Counter(
        ("CCL201", line.split("#")[0].strip()) for line in text.splitlines()
        if "# expect: CCL201" in line
    )


def test_helpers_in_other_modules_are_cut_alike(tmp_path: Path) -> None:
    header, checker, helpers, coroutine = _parts(_CASES.read_text(encoding="utf-8"))
    names = [node.name for node in ast.parse(helpers).body if isinstance(node, ast.FunctionDef)]
    files = {
        "loops.py": header + checker,
        "helpers.py": header + "from loops import running_loop\n\n\n" + helpers,
        "main.py": header + f"from helpers import {', '.join(names)}\n\n\n" + coroutine,
    }
    reported = reports_by_line(tmp_path / "split", files, "main.py")
    assert Counter((code, line.split("#")[0].strip()) for code, line in reported.elements()) == (
        _expected(coroutine)
    )
    assert _expected(coroutine)  # the helpers that block with a loop are still reported


def test_a_coroutine_beside_helpers_that_test_an_imported_checker(tmp_path: Path) -> None:
    header, checker, helpers, coroutine = _parts(_CASES.read_text(encoding="utf-8"))
    files = {
        "loops.py": header + checker,
        "main.py": header + "from loops import running_loop\n\n\n" + helpers + coroutine,
    }
    reported = reports_by_line(tmp_path / "beside", files, "main.py")
    assert Counter((code, line.split("#")[0].strip()) for code, line in reported.elements()) == (
        _expected(coroutine)
    )


def _gives_running_loop(source: str) -> bool:
    tree = ast.parse(dedent(source))
    function = tree.body[-1]
    assert isinstance(function, ast.FunctionDef)

    def resolve(func: ast.expr) -> str | None:
        return ast.unparse(func) if ast.unparse(func).startswith("asyncio.") else None

    return returns_running_loop(function, resolve)


def test_a_helper_gives_the_running_loop_only_when_every_return_does() -> None:
    assert _gives_running_loop("""
        def loop():
            try:
                return asyncio.get_running_loop()
            except RuntimeError:
                return None
    """)
    assert _gives_running_loop("def loop():\n    return asyncio._get_running_loop()\n")
    assert not _gives_running_loop("""
        def loop():
            try:
                return asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.new_event_loop()
    """)
    assert not _gives_running_loop("""
        def loop():
            try:
                return asyncio.get_running_loop()
            except ValueError:
                return None
    """)
    assert not _gives_running_loop("def loop():\n    return None\n")
