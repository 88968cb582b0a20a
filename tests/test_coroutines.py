"""Coroutine rules on small programs: name resolution and the fixes' exact output."""

from __future__ import annotations

import ast
from textwrap import dedent

import pytest

from concurlint.diagnostic import Diagnostic, Safety
from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source
from concurlint.fixes import fix_source


def _source(text: str) -> Source:
    return Source("case.py", dedent(text), "utf-8")


def _lint(text: str, ruleset: RuleSet, code: str = "CCL201") -> list[Diagnostic]:
    return [d for d in lint_source(_source(text), ruleset).diagnostics if d.code == code]


def _called(text: str, ruleset: RuleSet) -> list[str]:
    """The blocking call each CCL201 report names, in source order."""
    return [dict(d.args)["call"] for d in _lint(text, ruleset)]


# -- resolution ------------------------------------------------------------------------------


def test_from_import_alias_of_time_sleep_is_reported(ruleset: RuleSet) -> None:
    text = """
        from time import sleep as nap

        async def poll():
            nap(1)
    """
    assert _called(text, ruleset) == ["time.sleep()"]


def test_module_alias_and_submodule_attribute_are_resolved(ruleset: RuleSet) -> None:
    text = """
        import time as t
        import urllib.request

        async def poll(url):
            t.sleep(1)
            urllib.request.urlopen(url)
    """
    assert _called(text, ruleset) == ["time.sleep()", "urllib.request.urlopen()"]


def test_from_import_of_a_submodule_is_resolved(ruleset: RuleSet) -> None:
    text = """
        from urllib import request as web

        async def poll(url):
            web.urlopen(url)
    """
    assert _called(text, ruleset) == ["urllib.request.urlopen()"]


@pytest.mark.parametrize(
    "binding",
    [
        "def open(path):\n    return path\n",
        "open = print\n",
        "from gzip import open\n",
    ],
    ids=["def", "assignment", "import"],
)
def test_shadowed_open_is_not_the_builtin(binding: str, ruleset: RuleSet) -> None:
    text = binding + "\n\nasync def load(path):\n    open(path)\n"
    assert _called(text, ruleset) == []


def test_open_shadowed_by_a_parameter_is_not_the_builtin(ruleset: RuleSet) -> None:
    text = """
        async def load(path, open):
            open(path)
    """
    assert _called(text, ruleset) == []


def test_builtin_open_is_reported(ruleset: RuleSet) -> None:
    text = """
        async def load(path):
            return open(path).read()
    """
    assert _called(text, ruleset) == ["builtins.open()"]


def test_local_variable_named_like_a_module_is_not_the_module(ruleset: RuleSet) -> None:
    text = """
        async def poll(time):
            time.sleep(1)
    """
    assert _called(text, ruleset) == []


def test_helper_chain_is_named_in_the_message(ruleset: RuleSet) -> None:
    text = """
        import time

        def _backoff():
            time.sleep(1)

        def retry():
            _backoff()

        async def poll():
            retry()
    """
    (diagnostic,) = _lint(text, ruleset)
    assert dict(diagnostic.args)["via"] == " (retry() -> _backoff() -> time.sleep())"


# -- fixes -----------------------------------------------------------------------------------


def _fixed(text: str, ruleset: RuleSet, unsafe: bool = False) -> str:
    return fix_source(_source(text), ruleset, unsafe=unsafe).text


def test_sleep_fix_adds_import_sorted_into_the_standard_library_block(
    ruleset: RuleSet,
) -> None:
    text = '''\
        """Poll the service."""
        from __future__ import annotations

        import time

        POLL = 1


        async def poll() -> None:
            time.sleep(POLL)
    '''
    assert _fixed(text, ruleset) == dedent('''\
        """Poll the service."""
        from __future__ import annotations

        import asyncio
        import time

        POLL = 1


        async def poll() -> None:
            await asyncio.sleep(POLL)
    ''')


def test_sleep_fix_adds_import_after_docstring_when_there_is_no_import(
    ruleset: RuleSet,
) -> None:
    text = '''\
        """Poll the service."""
        from __future__ import annotations


        async def poll(time) -> None:
            __import__("time").sleep(1)
    '''
    assert _fixed(text, ruleset) == dedent(text)


def test_sleep_fix_reuses_an_asyncio_alias(ruleset: RuleSet) -> None:
    text = """\
        import asyncio as aio
        from time import sleep


        async def poll() -> None:
            sleep(2)
    """
    assert _fixed(text, ruleset) == dedent("""\
        import asyncio as aio
        from time import sleep


        async def poll() -> None:
            await aio.sleep(2)
    """)


def test_sleep_fix_is_not_offered_when_asyncio_names_something_else(ruleset: RuleSet) -> None:
    text = """
        import time
        asyncio = None

        async def poll():
            time.sleep(1)
    """
    (diagnostic,) = _lint(text, ruleset)
    assert diagnostic.fix is None


UNSAFE_CASES = """\
    import subprocess

    import requests


    class Client:
        def __init__(self) -> None:
            self._session = requests.Session()

        async def status(self, url: str) -> int:
            response = self._session.get(url, timeout=5)
            return response.status_code


    async def deploy(url: str) -> str:
        subprocess.run(["make", "deploy"], check=True)
        body = requests.get(url, timeout=5).text
        return requests.post(url, data=body).text
"""


def test_to_thread_fix_is_unsafe_only(ruleset: RuleSet) -> None:
    diagnostics = _lint(UNSAFE_CASES, ruleset)
    fixes = [d.fix for d in diagnostics if d.fix is not None]
    assert fixes and all(fix.safety is Safety.UNSAFE for fix in fixes)
    assert _fixed(UNSAFE_CASES, ruleset) == dedent(UNSAFE_CASES)


def test_to_thread_fix_produces_valid_code_that_lints_clean(ruleset: RuleSet) -> None:
    fixed = _fixed(UNSAFE_CASES, ruleset, unsafe=True)
    ast.parse(fixed)
    assert "await asyncio.to_thread(self._session.get, url, timeout=5)" in fixed
    assert 'await asyncio.to_thread(subprocess.run, ["make", "deploy"], check=True)' in fixed
    assert fixed.splitlines()[:2] == ["import asyncio", "import subprocess"]
    remaining = _lint(fixed, ruleset)
    # Calls nested in a larger expression are reported but never wrapped.
    assert [d.span.line for d in remaining] == [18, 19]
    assert all(d.fix is None for d in remaining)


@pytest.mark.parametrize(
    "text",
    [
        """
        import sqlite3

        async def purge(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM jobs")
        """,
        """
        import threading

        lock = threading.RLock()

        async def enter() -> None:
            lock.acquire()
        """,
    ],
    ids=["sqlite3-connection", "rlock"],
)
def test_no_to_thread_fix_for_calls_bound_to_their_thread(text: str, ruleset: RuleSet) -> None:
    (diagnostic,) = _lint(text, ruleset)
    assert diagnostic.fix is None
