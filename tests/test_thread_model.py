"""The shared spawning and thread models: entry points, repetition, locks, shared state."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from concurlint.engine import RuleSet
from concurlint.model.locks import LockAnalysis
from concurlint.model.module import ModuleModel
from concurlint.model.spawning import SpawnAnalysis
from concurlint.model.threads import ThreadAnalysis


def _model(source: str, ruleset: RuleSet) -> ModuleModel:
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    return ModuleModel(wrapper, ruleset.catalog)


def _entries(source: str, ruleset: RuleSet, kind: str = "thread") -> dict[str, str | None]:
    spawns = _model(source, ruleset).analysis(SpawnAnalysis)
    return {entry.name: entry.repeated for entry in spawns.entry_points(kind)}


def test_thread_subclass_run_is_an_entry_point_repeated_by_its_instances(ruleset):
    source = (
        "import threading\n"
        "class W(threading.Thread):\n"
        "    def run(self): pass\n"
        "class V(W): pass\n"
        "W().start()\n"
        "V().start()\n"
    )
    assert _entries(source, ruleset) == {"run": "started at 2 sites"}


def test_process_subclass_run_is_a_process_entry_point(ruleset):
    source = "import multiprocessing\nclass P(multiprocessing.Process):\n    def run(self): pass\n"
    assert _entries(source, ruleset, "process") == {"run": None}
    assert _entries(source, ruleset, "thread") == {}


def test_target_started_once_is_not_repeated(ruleset):
    source = "import threading\ndef f(): pass\nthreading.Thread(target=f).start()\n"
    assert _entries(source, ruleset) == {"f": None}


def test_repetition_reasons(ruleset):
    source = (
        "import threading\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "def a(): pass\ndef b(x): pass\ndef c(): pass\n"
        "for _ in range(3): threading.Thread(target=a).start()\n"
        "with ThreadPoolExecutor() as pool: pool.map(b, [1, 2])\n"
        "threading.Thread(target=c).start()\nthreading.Thread(target=c).start()\n"
    )
    assert _entries(source, ruleset) == {
        "a": "started in a loop", "b": "once per item", "c": "started at 2 sites",
    }


def test_sites_in_exclusive_branches_start_the_target_once(ruleset):
    source = (
        "import threading\ndef f(): pass\n"
        "def start(daemon):\n"
        "    if daemon:\n        threading.Thread(target=f, daemon=True).start()\n"
        "    elif daemon is None:\n        threading.Thread(target=f).start()\n"
        "    else:\n        threading.Thread(target=f, name='x').start()\n"
    )
    assert _entries(source, ruleset) == {"f": None}


def test_a_loop_that_waits_for_each_thread_runs_them_one_at_a_time(ruleset):
    source = (
        "import threading\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "def f(): pass\ndef g(): pass\n"
        "while True:\n    t = threading.Thread(target=f)\n    t.start()\n    t.join()\n"
        "with ThreadPoolExecutor() as pool:\n"
        "    for _ in range(3):\n        pool.submit(g).result()\n"
    )
    assert _entries(source, ruleset) == {"f": None, "g": None}


def test_comprehension_iterable_is_evaluated_once(ruleset):
    source = "import threading\ndef f(): pass\nxs = [t for t in [threading.Thread(target=f)]]\n"
    assert _entries(source, ruleset) == {"f": None}


def test_condition_built_on_a_lock_is_that_lock(ruleset):
    source = (
        "import threading\n"
        "class Q:\n"
        "    def __init__(self):\n"
        "        self.mutex = threading.Lock()\n"
        "        self.ready = threading.Condition(self.mutex)\n"
        "    def get(self):\n"
        "        with self.ready: pass\n"
    )
    model = _model(source, ruleset)
    locks = model.analysis(LockAnalysis)
    klass = model.module.body[1]
    assert isinstance(klass, cst.ClassDef)
    get = klass.body.body[1]
    assert isinstance(get, cst.FunctionDef)
    with_statement = get.body.body[0]
    assert isinstance(with_statement, cst.With)
    identity = locks.identity(with_statement.items[0].item)
    assert identity is not None and identity.name == "mutex"


def test_code_after_acquire_is_held_until_release(ruleset):
    source = (
        "import threading\nlock = threading.Lock()\n"
        "def f():\n    lock.acquire()\n    a = 1\n    lock.release()\n    b = 2\n"
    )
    model = _model(source, ruleset)
    function = model.module.body[2]
    assert isinstance(function, cst.FunctionDef)
    statements = function.body.body
    locks = model.analysis(LockAnalysis)
    assert [bool(locks.held(s)) for s in statements] == [False, True, True, False]


def test_thread_run_code_is_closed_under_calls(ruleset):
    source = (
        "import threading\n"
        "def leaf(): pass\ndef middle(): leaf()\ndef main_only(): pass\n"
        "threading.Thread(target=middle).start()\nmain_only()\n"
    )
    model = _model(source, ruleset)
    threads = model.analysis(ThreadAnalysis)
    functions = {f.name.value: f for f in model.module.body if isinstance(f, cst.FunctionDef)}
    assert {name for name, f in functions.items() if threads.runs_in_thread(f)} == {
        "leaf", "middle",
    }
