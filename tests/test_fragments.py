"""Fragments: a well-known concurrency module used but never imported or bound (a snippet
from documentation, a notebook cell) is read as that module, as a reader reads it; a name
the code binds anywhere is never guessed at, nor is a module outside the short list."""

from __future__ import annotations

import ast
import re

import pytest
from fixture_cases import Fixture, lint_cases

from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source
from concurlint.fragments import FRAGMENT_MODULES
from concurlint.screen import TreeFacts

_PLAIN_IMPORT = re.compile(r"^import (\w+)\n", re.MULTILINE)
RACE = (
    "counter = 0\n\n\ndef work():\n    global counter\n    counter += 1\n\n\n"
    "threads = [threading.Thread(target=work) for _ in range(4)]\n"
    "for t in threads:\n    t.start()\n"
)
SLEEP = "async def nap():\n    time.sleep(1)\n"
QUEUE = "import threading\n\njobs = queue.Queue()\nthreading.Thread(target=jobs.get).start()\n"


def reports(text: str, ruleset: RuleSet) -> list[tuple[str, int, int]]:
    """Every report but CCL402's, whose subject is an import statement itself."""
    result = lint_source(Source("snippet.py", text, "utf-8"), ruleset)
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics
            if d.code != "CCL402"]


def without_imports(text: str) -> str | None:
    """``text`` with its plain imports of fragment modules blanked (lines kept), or None
    when it has none, or binds such a module's name some other way too."""
    removed = {name for name in _PLAIN_IMPORT.findall(text) if name in FRAGMENT_MODULES}
    if not removed:
        return None
    stripped = _PLAIN_IMPORT.sub(
        lambda match: "\n" if match.group(1) in removed else match.group(0), text)
    bound = {
        name
        for node in ast.walk(ast.parse(stripped))
        for name in _bound(node)
    }
    return None if bound & removed else stripped


def _bound(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return [node.id]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).partition(".")[0] for alias in node.names]
    return []


CASES = [(f, stripped) for f in lint_cases()
         if (stripped := without_imports(f.path.read_text(encoding="utf-8"))) is not None]


@pytest.mark.parametrize(("fixture", "stripped"), CASES, ids=[f.id for f, _ in CASES])
def test_fixtures_without_their_imports_report_the_same(
    fixture: Fixture, stripped: str, ruleset: RuleSet
) -> None:
    assert reports(stripped, ruleset) == reports(fixture.path.read_text(), ruleset)


def test_an_unimported_module_is_the_module(ruleset: RuleSet) -> None:
    found = reports(RACE, ruleset)
    assert found
    assert found == [(code, line - 1, column)
                     for code, line, column in reports(f"import threading\n{RACE}", ruleset)]


@pytest.mark.parametrize("binding", [
    "threading = None\n",  # bound at module level
    "def f(threading):\n    pass\n",  # a parameter of some function
    "def g():\n    import threading\n",  # imported in one function only
    "class threading:\n    pass\n",
])
def test_a_name_bound_in_any_scope_is_not_guessed(binding: str, ruleset: RuleSet) -> None:
    assert reports(RACE + binding, ruleset) == []
    if "import" not in binding:
        assert not TreeFacts(ast.parse(RACE + binding)).imports_any(["threading"])


def test_only_the_listed_modules_are_guessed(ruleset: RuleSet) -> None:
    """Not `requests`, nor `time`: a CCL201 fix would add `import asyncio` to a fragment
    that lacks its other imports too."""
    assert reports("async def f():\n    requests.get('http://x')\n", ruleset) == []
    assert reports(SLEEP, ruleset) == []
    assert not TreeFacts(ast.parse(SLEEP)).imports_any(["time"])
    assert TreeFacts(ast.parse(QUEUE)).imports_any(["queue"])
