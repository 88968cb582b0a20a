"""The rules where threads, tasks and processes meet (CCL206-CCL209, CCL305) on small
programs: the message arguments that say what happens, and the fixes' exact output."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from conftest import FIXTURES
from project_reports import one_file_or_split

from concurlint.diagnostic import Diagnostic
from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source
from concurlint.fixes import fix_source


def _source(text: str) -> Source:
    return Source("case.py", dedent(text), "utf-8")


def _lint(text: str, ruleset: RuleSet, code: str) -> list[Diagnostic]:
    return [d for d in lint_source(_source(text), ruleset).diagnostics if d.code == code]


def _arg(diagnostic: Diagnostic, name: str) -> str:
    return dict(diagnostic.args)[name]


def test_a_swallowed_cancellation_in_a_loop_carries_on(ruleset: RuleSet) -> None:
    text = """
        import asyncio

        async def worker():
            while True:
                try:
                    await asyncio.sleep(1)
                except asyncio.CancelledError:
                    pass
    """
    (report,) = _lint(text, ruleset, "CCL206")
    assert _arg(report, "outcome").startswith("carries on")


def test_a_swallowed_cancellation_at_the_end_ends_the_task(ruleset: RuleSet) -> None:
    text = """
        import asyncio

        async def worker():
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                return
    """
    (report,) = _lint(text, ruleset, "CCL206")
    assert _arg(report, "outcome").startswith("ends as if it had finished")
    assert report.fix is None  # a `return` is a way out that `raise` at the end cannot fix


def test_the_fix_appends_raise_with_the_handler_s_indentation(ruleset: RuleSet) -> None:
    text = """
        import asyncio

        class Worker:
            async def run(self):
                while True:
                    try:
                        await asyncio.sleep(1)
                    except asyncio.CancelledError:
                        print("stopping")
    """
    fixed = fix_source(_source(text), ruleset).text
    assert fixed == dedent(text).replace(
        'print("stopping")\n', 'print("stopping")\n                raise\n'
    )


def test_a_catch_all_in_a_module_without_asyncio_is_not_reported(ruleset: RuleSet) -> None:
    text = """
        async def fetch(connection):
            try:
                await connection.request()
            except BaseException:
                connection.close()
    """
    assert _lint(text, ruleset, "CCL206") == []
    assert len(_lint("import asyncio\n" + dedent(text), ruleset, "CCL206")) == 1


def test_fork_message_says_whether_the_start_method_is_explicit(ruleset: RuleSet) -> None:
    text = """
        import multiprocessing
        import threading

        def work():
            pass

        def main():
            threading.Thread(target=work).start()
            multiprocessing.Process(target=work).start()
            multiprocessing.get_context("fork").Process(target=work).start()
            multiprocessing.get_context("spawn").Process(target=work).start()
    """
    hows = [_arg(d, "how") for d in _lint(text, ruleset, "CCL305")]
    assert hows == [
        " (the default start method on Linux before Python 3.14)",
        " (start method `fork`)",
    ]


def test_a_done_callback_that_reads_the_future_keeps_the_exception(ruleset: RuleSet) -> None:
    text = """
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor()

        def work():
            raise ValueError

        def ignore(future):
            print("done")

        def check(future):
            future.result()

        def main():
            pool.submit(work).add_done_callback(check)
            pool.submit(work).add_done_callback(ignore)
    """
    (report,) = _lint(text, ruleset, "CCL209")
    assert report.span.line == 17


_METRICS = """\
import logging
import time


def emit(value):
    try:
        print(100 // value)
    except Exception:
        logging.exception("emit failed")


def emit_twice(value):
    emit(value)
    emit(value + 1)


def emit_timed(value, clock=time.monotonic):
    started = clock()
    emit(value)
    logging.info("emitted %d in %.1fs", value, max(clock() - started, 0.0))


def emit_unguarded(value):
    if value < 0:
        raise ValueError(value)
    emit(value)


def emit_to(value, sink):
    emit(value)
    sink(value)


def emit_saved(value):
    emit_unguarded(value)


class Entry:
    def publish(self, value):
        if value < 0:
            raise ValueError(value)

    def count(self, value):
        return value + 1
"""

_SUBMITTER = """\
from concurrent.futures import ThreadPoolExecutor

from {source} import Entry, emit_saved, emit_timed, emit_to, emit_twice, emit_unguarded

pool = ThreadPoolExecutor()


def publish(entry: Entry, value):
    entry.publish(value)


def count(entry: Entry, value):
    entry.count(value)


def report(value, entry):
    pool.submit(emit_twice, value)
    pool.submit(emit_timed, value)
    pool.submit(emit_unguarded, value)
    pool.submit(emit_to, value, print)
    pool.submit(emit_saved, value)
    pool.submit(publish, entry, value)
    pool.submit(count, entry, value)
"""


@pytest.mark.parametrize("split", [False, True], ids=["one file", "two modules"])
def test_work_is_reported_on_evidence_of_a_failure_worth_seeing(tmp_path, split: bool) -> None:
    """``emit_twice`` and ``emit_timed`` cannot fail in a way worth seeing (``emit`` catches
    everything; a default clock, a logger and arithmetic are no evidence); a ``raise``, a
    call of a supplied callable and a call of a function that raises are, in the
    submitting module and in another one alike, a method of a parameter annotated with a
    class of the project included."""
    reports = one_file_or_split(
        tmp_path / "p", split, ("metrics.py", _METRICS), ("main.py", _SUBMITTER)
    )
    assert reports == {
        ("CCL209", "pool.submit(emit_unguarded, value)"): 1,
        ("CCL209", "pool.submit(emit_to, value, print)"): 1,
        ("CCL209", "pool.submit(emit_saved, value)"): 1,
        ("CCL209", "pool.submit(publish, entry, value)"): 1,
    }


def test_a_refresh_that_turns_every_failure_into_a_value_is_not_reported(
    ruleset: RuleSet,
) -> None:
    """A background refresh that reads an injected clock (defaulting to
    ``time.monotonic``), updates an annotated entry under a lock, parses a URL, uses
    ``min``/``max`` and a ``match`` with ``assert_never``, and logs: none of that fails in
    a way worth seeing, and the fetch itself catches everything. Once the same refresh
    calls a callback supplied without a default, it is reported."""
    text = """
        import logging
        import threading
        import time
        from concurrent.futures import ThreadPoolExecutor
        from typing import assert_never
        from urllib.parse import urlsplit

        logger = logging.getLogger(__name__)


        class Entry:
            def __init__(self):
                self.token = None
                self.ready = threading.Event()

            def store(self, token, now):
                match token:
                    case str():
                        self.token = token
                    case None:
                        pass
                    case _:
                        assert_never(token)
                self.ready.set()


        class Refresher:
            def __init__(self, url, on_failure, clock=time.monotonic):
                self._url = url
                self._clock = clock
                self._on_failure = on_failure
                self._lock = threading.Lock()
                self._pool = ThreadPoolExecutor()

            def _fetch(self):
                try:
                    return self._url.upper()
                except Exception as error:
                    logger.debug("fetch failed: %s", error)
                    return None

            def _refresh(self, entry: Entry):
                started = self._clock()
                token = self._fetch()
                with self._lock:
                    entry.store(token, now=self._clock())
                waited = max(min(self._clock() - started, 60.0), 0.0)
                logger.warning("refreshed %s in %.1fs", urlsplit(self._url).hostname, waited)

            def _refresh_or_report(self, entry: Entry):
                self._refresh(entry)
                if entry.token is None:
                    self._on_failure(entry)

            def schedule(self, entry: Entry):
                self._pool.submit(self._refresh, entry)
                self._pool.submit(self._refresh_or_report, entry)
    """
    (report,) = _lint(text, ruleset, "CCL209")
    reported = dedent(text).splitlines()[report.span.line - 1]
    assert reported.strip() == "self._pool.submit(self._refresh_or_report, entry)"


def test_call_soon_from_a_thread_becomes_call_soon_threadsafe(ruleset: RuleSet) -> None:
    text = """
        import threading

        def notify(loop, value):
            loop.call_soon(print, value)

        def start(loop):
            threading.Thread(target=notify, args=(loop, 1)).start()
    """
    fixed = fix_source(_source(text), ruleset).text
    assert "loop.call_soon_threadsafe(print, value)" in fixed
    assert _lint(fixed, ruleset, "CCL207") == []


def test_an_update_after_the_await_alone_is_not_reported(ruleset: RuleSet) -> None:
    text = """
        class Counter:
            def __init__(self):
                self.total = 0

            async def add(self, price):
                self.total += await price()
                cost = await price()
                self.total += cost

        async def shop(counter, prices):
            await asyncio.gather(*(counter.add(price) for price in prices))
    """
    (report,) = _lint("import asyncio\n" + dedent(text), ruleset, "CCL208")
    assert report.span.line == 8
    assert _arg(report, "state") == "self.total"


def test_a_return_from_the_handler_in_a_loop_ends_the_task(ruleset: RuleSet) -> None:
    text = """
        import asyncio

        async def fetch_all(items):
            for item in items:
                try:
                    await item.fetch()
                except asyncio.CancelledError:
                    return False
            return True
    """
    (report,) = _lint(text, ruleset, "CCL206")
    assert _arg(report, "outcome").startswith("ends as if it had finished")


def test_self_state_of_a_method_never_run_as_tasks_is_not_reported(ruleset: RuleSet) -> None:
    text = """
        class Counter:
            async def add(self, price):
                self.total += await price()
    """
    assert _lint(text, ruleset, "CCL208") == []


def test_a_progress_bar_is_named_by_its_constructor(ruleset: RuleSet) -> None:
    text = """
        import os
        from tqdm import tqdm

        def main(items):
            with tqdm(
                total=len(items), desc="forking",
            ) as bar:
                os.fork()
    """
    assert [_arg(d, "threads") for d in _lint(text, ruleset, "CCL305")] == ["tqdm(...)"]


_TORNADO_CASES = FIXTURES / "CCL207" / "cases_tornado.py"


@pytest.mark.parametrize("split", [False, True])
def test_a_thread_running_an_ioloop_another_module_makes_owns_its_tasks(
    tmp_path: Path, split: bool
) -> None:
    """``make_loop() -> IOLoop`` in another module types the loop as well as in the same
    one: the thread that runs it cancels its own task unreported; another thread's cancel
    is reported."""
    text = _TORNADO_CASES.read_text(encoding="utf-8")
    start = text.index("def make_loop")
    end = text.index("async def tick")
    header = text[:start]
    library = header + text[start:end]
    user = header + "from {source} import make_loop\n\n\n" + text[end:]
    reports = one_file_or_split(tmp_path / "p", split, ("loops.py", library), ("main.py", user))
    assert reports == {("CCL207", "self.task.cancel()  # expect: CCL207"): 1}
