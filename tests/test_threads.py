"""CCL1xx behaviour the fixtures cannot show: fragments of code, message arguments."""

from __future__ import annotations

from concurlint.diagnostic import Diagnostic
from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source
from concurlint.fixes import fix_source

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


STATS = (
    "import threading\n\n\nclass Stats:\n"
    "    def __init__(self):\n        self._lock = threading.{lock}()\n        self.hits = 0\n"
    "        self.misses = 0\n        threading.Thread(target=self._reset, daemon=True).start()\n\n"
    "    def hit(self):\n        with self._lock:\n            self.hits += 1\n\n"
    "    def miss(self):\n        # counted apart\n        self.misses += 1  # cheap\n\n"
    "    def _reset(self):\n        while True:\n            self.misses = 0\n"
)


def fixed(text: str, ruleset: RuleSet, unsafe: bool = False) -> str:
    return fix_source(Source("stats.py", text, "utf-8"), ruleset, unsafe=unsafe).text


def test_update_beside_the_class_s_own_lock_is_wrapped_in_it(ruleset):
    source = STATS.format(lock="Lock")
    expected = source.replace(
        "        # counted apart\n        self.misses += 1  # cheap\n",
        "        # counted apart\n        with self._lock:\n"
        "            self.misses += 1  # cheap\n",
    )
    assert fixed(source, ruleset) == expected
    assert codes(expected, ruleset) == []


def test_wrapping_is_unsafe_when_a_caller_may_hold_a_plain_lock(ruleset):
    source = STATS.format(lock="Lock") + (
        "\n    def both(self):\n        with self._lock:\n            self.miss()\n"
        "\n    def again(self):\n        self.miss()\n"
    )
    assert fixed(source, ruleset) == source
    assert "with self._lock:\n            self.misses += 1" in fixed(source, ruleset, unsafe=True)
    reentrant = source.replace("threading.Lock()", "threading.RLock()")
    assert "with self._lock:\n            self.misses += 1" in fixed(reentrant, ruleset)


def test_no_wrapping_without_a_lock_the_class_holds(ruleset):
    source = STATS.format(lock="Lock").replace(
        "        with self._lock:\n            self.hits += 1\n", "        self.hits = 1\n"
    )
    assert [code for _, code in codes(source, ruleset)] == ["CCL101"]
    assert fixed(source, ruleset) == source


def test_report_names_both_threads_the_other_access_and_the_lock_to_hold(ruleset):
    result = lint_source(Source("stats.py", STATS.format(lock="Lock"), "utf-8"), ruleset)
    (diagnostic,) = result.diagnostics
    args = dict(diagnostic.args)
    assert args["function"] == "Stats.miss"
    assert args["where"] == "which callers of `Stats` run while its thread runs `Stats._reset`"
    assert args["elsewhere"] == "`self.misses` is also written in `Stats._reset`"
    assert args["advice"].startswith("hold `self._lock`")


REGISTRY = (
    "import threading\n\n\nclass Registry:\n"
    "    def __init__(self):\n        self._lock = threading.Lock()\n        self.hits = 0\n\n"
    "    def locked_hit(self):\n        with self._lock:\n            self.hits += 1\n\n"
    "    def hit(self):\n        self.hits += 1\n"
)


def only_report(text: str, ruleset: RuleSet) -> Diagnostic:
    """The one report on ``text``; fails when there is none or more."""
    (diagnostic,) = lint_source(Source("snippet.py", text, "utf-8"), ruleset).diagnostics
    return diagnostic


def test_a_class_that_locks_is_not_taken_as_shared_without_a_thread_in_sight(ruleset):
    """Reading the lock as a sign of sharing gave 5 reports on real projects, all false."""
    assert codes(REGISTRY, ruleset) == []
    started = REGISTRY + "\n\nregistry = Registry()\nfor _ in range(2):\n" + (
        "    threading.Thread(target=registry.hit).start()\n"
    )
    assert [code for _, code in codes(started, ruleset)] == ["CCL101"]


GATE = (
    "import contextlib\nimport threading\n\nlock = threading.Lock()\n\n\nclass Gate:\n"
    "    busy = False\n\n"
    "    @contextlib.contextmanager\n    def using(self):\n"
    "        with lock:\n            self.busy = True\n"
    "        yield\n"
    "        with lock:\n            self.busy = False\n"
)


def test_a_reservation_across_a_yield_names_the_state_and_its_lock(ruleset):
    diagnostic = only_report(GATE, ruleset)
    assert (diagnostic.code, diagnostic.span.line) == ("CCL103", 14)
    assert "`self.busy`" in dict(diagnostic.args)["taken"]


def test_a_reservation_given_back_in_finally_is_not_reported(ruleset):
    protected = GATE.replace(
        "        yield\n        with lock:\n            self.busy = False\n",
        "        try:\n            yield\n        finally:\n"
        "            with lock:\n                self.busy = False\n",
    )
    assert codes(protected, ruleset) == []


LOCK_CLASS = (
    "import threading\nfrom contextlib import contextmanager\n\n\nclass Strict:\n"
    "    def __init__(self):\n        self._inner = threading.Lock()\n\n"
    "    def acquire(self, timeout=-1):\n        return self._inner.acquire(timeout=timeout)\n\n"
    "    def release(self):\n        self._inner.release()\n\n"
    "    @contextmanager\n    def __call__(self, timeout=-1):\n"
    "        got = self.acquire(timeout=timeout)\n        yield got\n"
    "        if got:\n            self.release()\n"
)


def test_a_lock_class_held_across_a_yield_names_the_yield_and_the_finally(ruleset):
    """The exception of the `with` body comes in at the `yield`: that is the way out to name,
    and `with self:` would be no advice inside the lock's own context manager."""
    diagnostic = only_report(LOCK_CLASS, ruleset)
    assert (diagnostic.code, diagnostic.span.line) == ("CCL103", 17)
    args = dict(diagnostic.args)
    assert "`yield`" in args["reason"]
    assert args["advice"] == "release it in a `finally:` around the `yield`"


def test_a_lock_class_released_in_finally_is_not_reported(ruleset):
    protected = LOCK_CLASS.replace(
        "        yield got\n        if got:\n            self.release()\n",
        "        try:\n            yield got\n        finally:\n"
        "            if got:\n                self.release()\n",
    )
    assert codes(protected, ruleset) == []


CALLERS_CHOICE = (
    "import threading\n\nlock = threading.Lock()\njobs = []\n\n\n"
    "def take(release=True):\n    lock.acquire()\n    count = {count}\n"
    "    if release:\n        lock.release()\n    return count\n"
)


def test_a_release_the_caller_may_skip_is_reported_only_for_an_exception(ruleset):
    """`take(release=False)` hands the lock to its caller; only a call that can raise
    between the acquire and the release leaves it held against the caller's wish."""
    assert codes(CALLERS_CHOICE.format(count="len(jobs)"), ruleset) == []
    diagnostic = only_report(CALLERS_CHOICE.format(count="jobs.pop()"), ruleset)
    assert (diagnostic.code, diagnostic.span.line) == ("CCL103", 8)
    assert dict(diagnostic.args)["reason"] == "an exception before `lock.release()`"
