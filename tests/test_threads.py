"""CCL1xx behaviour the fixtures cannot show: fragments of code, message arguments."""

from __future__ import annotations

from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source

# The book's examples are snippets: they use `threading` without importing it.
COUNTER_FROM_TEN_THREADS = (
    "total = 0\n\n"
    "def bump():\n    global total\n    total += 1\n\n"
    "workers = []\nfor _ in range(10):\n"
    "    worker = threading.Thread(target=bump)\n    workers.append(worker)\n    worker.start()\n"
)
OPPOSITE_LOCK_ORDER = (
    "first = threading.Lock()\nsecond = threading.Lock()\n\n"
    "def one():\n    first.acquire()\n    second.acquire()\n    second.release()\n"
    "    first.release()\n\n"
    "def two():\n    second.acquire()\n    first.acquire()\n    first.release()\n"
    "    second.release()\n\n"
    "threading.Thread(target=one).start()\nthreading.Thread(target=two).start()\n"
)


def codes(text: str, ruleset: RuleSet) -> list[tuple[int, str]]:
    result = lint_source(Source("snippet.py", text, "utf-8"), ruleset)
    return [(d.span.line, d.code) for d in result.diagnostics]


def test_race_in_a_snippet_without_its_import_is_reported(ruleset):
    assert codes(COUNTER_FROM_TEN_THREADS, ruleset) == [(5, "CCL101")]
    assert codes("import threading\n" + COUNTER_FROM_TEN_THREADS, ruleset) == [(6, "CCL101")]


def test_lock_order_inversion_in_a_snippet_without_its_import_is_reported(ruleset):
    assert codes(OPPOSITE_LOCK_ORDER, ruleset) == [(6, "CCL104"), (12, "CCL104")]


def test_a_name_the_module_binds_is_not_taken_for_the_module(ruleset):
    bound = "from mylib import threading\n" + COUNTER_FROM_TEN_THREADS
    assert codes(bound, ruleset) == []
    local = COUNTER_FROM_TEN_THREADS.replace(
        "workers = []\n", "def start(threading):\n    pass\n\nworkers = []\n"
    )
    assert codes(local, ruleset) == []
