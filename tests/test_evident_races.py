"""CCL101 races whose own code says it runs on several threads: a lock created on first use,
and a check made before the lock taken for its act."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES
from project_reports import reports_by_line

from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source

LAZY_LOCK = (
    "import threading\n\n\nclass Pool:\n"
    "    def lock(self):\n"
    "        if self._lock is None:\n"
    "            self._lock = threading.Lock()\n"
    "        return self._lock\n"
)
SYNC_MODULE = "import threading\n\nLOCK = threading.Lock()\n"
LOCKED_ACT = (
    "{import_line}"
    "_conn = None\n\n\n"
    "def connect():\n    return object()\n\n\n"
    "def connection():\n"
    "    global _conn\n"
    "    if _conn is None:\n"
    "        with LOCK:\n"
    "            _conn = connect()\n"
    "    return _conn\n\n\n"
    "def connection_checked_again():\n"
    "    global _conn\n"
    "    if _conn is None:\n"
    "        with LOCK:\n"
    "            if _conn is None:\n"
    "                _conn = connect()\n"
    "    return _conn\n"
)


def _reports(text: str, ruleset: RuleSet) -> list[tuple[int, str, dict[str, str]]]:
    result = lint_source(Source("snippet.py", text, "utf-8"), ruleset)
    return [(d.span.line, d.code, dict(d.args)) for d in result.diagnostics]


def test_a_lock_created_on_first_use_is_reported_without_a_thread_in_sight(ruleset):
    ((line, code, args),) = _reports(LAZY_LOCK, ruleset)
    assert (line, code, args["state"], args["operation"]) == (
        7, "CCL101", "self._lock", "check-then-act"
    )
    assert "`threading.Lock`" in args["where"]
    assert "`__init__`" in args["advice"]


def test_a_lock_created_on_first_use_under_a_lock_is_not_reported(ruleset):
    guarded = LAZY_LOCK.replace(
        "        if self._lock is None:\n            self._lock = threading.Lock()\n",
        "        with GUARD:\n            if self._lock is None:\n"
        "                self._lock = threading.Lock()\n",
    )
    assert _reports(guarded + "\n\nGUARD = threading.Lock()\n", ruleset) == []


def test_an_asyncio_lock_created_on_first_use_is_not_reported(ruleset):
    text = LAZY_LOCK.replace("threading.Lock()", "asyncio.Lock()").replace(
        "import threading", "import asyncio\nimport threading"
    )
    assert _reports(text, ruleset) == []


def test_a_lookup_caught_when_missing_is_a_check_then_act_on_a_thread(ruleset):
    """``try: x = cache[k]`` / ``except KeyError: cache[k] = ...`` checks, then acts."""
    text = (
        "import threading\n\ncache = {}\n\n\ndef get(key):\n"
        "    try:\n        return cache[key]\n"
        "    except KeyError:\n        cache[key] = key * 2\n        return cache[key]\n\n\n"
        "for n in range(4):\n    threading.Thread(target=get, args=(n,)).start()\n"
    )
    ((line, code, args),) = _reports(text, ruleset)
    assert (line, code, args["operation"]) == (10, "CCL101", "check-then-act")


def test_a_lock_of_another_module_taken_for_the_act_is_reported_as_in_one_file(tmp_path: Path):
    user = LOCKED_ACT.format(import_line="from sync import LOCK\n\n")
    split = reports_by_line(tmp_path / "two", {"sync.py": SYNC_MODULE, "main.py": user}, "main.py")
    alone = reports_by_line(
        tmp_path / "one", {"main.py": LOCKED_ACT.format(import_line=SYNC_MODULE)}, "main.py"
    )
    assert split == alone == {("CCL101", "_conn = connect()"): 1}


def test_the_lazy_lock_fixture_shows_two_threads_holding_different_locks():
    path = FIXTURES / "CCL101" / "cases_lazy_synchronizers.py"
    completed = subprocess.run(
        [sys.executable, path.name], cwd=path.parent, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "different locks of one pool at once" in completed.stdout


def test_a_lock_type_named_by_another_module_is_a_lock_created_on_first_use(tmp_path: Path):
    """``Lock = threading.RLock`` in a compatibility module: its calls make locks."""
    compat = "import threading\n\nLock = threading.RLock\n"
    user = LAZY_LOCK.replace("import threading\n", "from compat import Lock\n").replace(
        "threading.Lock()", "Lock()"
    )
    split = reports_by_line(tmp_path / "two", {"compat.py": compat, "main.py": user}, "main.py")
    alone = reports_by_line(
        tmp_path / "one", {"main.py": user.replace("from compat import Lock\n", compat)}, "main.py"
    )
    assert split == alone == {("CCL101", "self._lock = Lock()"): 1}
