"""CCL101 iterations of a shared dict or set: across modules, on the callers' side of a
thread-owning class (not reported), and the message arguments."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from project_reports import reports_by_line

from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source

_REGISTRY = dedent(
    """\
    import time

    sessions = {}
    tags = set()


    def monitor():
        while True:
            for name in sessions:
                print(name)
            print(sum(1 for tag in tags))
            time.sleep(1)


    def open_session(name):
        sessions[name] = time.monotonic()


    def close_session(name):
        del sessions[name]
    """
)
_STARTER = dedent(
    """\
    import threading
    from {source} import close_session, monitor, open_session


    def main(names):
        threading.Thread(target=monitor, daemon=True).start()
        for name in names:
            threading.Thread(target=open_session, args=(name,)).start()
            threading.Thread(target=close_session, args=(name,)).start()
    """
)


def test_an_iteration_started_from_another_module_is_reported_as_in_one_file(
    tmp_path: Path,
) -> None:
    """The thread entry points of another module reach the iterating function and the
    writers; a set only read is left alone."""
    starter = [line for line in _STARTER.splitlines(keepends=True) if "{source}" not in line]
    alone = reports_by_line(
        tmp_path / "one", {"main.py": _REGISTRY + "\n\n" + "".join(starter)}, "main.py"
    )
    split = reports_by_line(
        tmp_path / "two",
        {"registry.py": _REGISTRY, "main.py": _STARTER.format(source="registry")},
        "registry.py",
    )
    assert split == {("CCL101", "for name in sessions:"): 1}
    assert alone == split


def _reports(text: str, ruleset: RuleSet) -> list[tuple[int, dict[str, str]]]:
    result = lint_source(Source("case.py", dedent(text), "utf-8"), ruleset)
    return [(d.span.line, dict(d.args)) for d in result.diagnostics if d.code == "CCL101"]


def test_the_message_says_the_state_is_iterated_and_names_the_resizer(
    ruleset: RuleSet,
) -> None:
    text = """\
        import threading

        pending = {}

        def flush():
            for key in pending.keys():
                print(key)

        def add(key):
            pending.setdefault(key, [])

        threading.Thread(target=flush).start()
        threading.Thread(target=add, args=(1,)).start()
    """
    ((line, args),) = _reports(text, ruleset)
    assert line == 6
    assert args["accessed"] == "iterated"
    assert args["operation"] == "iteration"
    assert args["elsewhere"].startswith("`pending.setdefault()` is also called in `add`")
    assert "pending.copy()" in args["advice"]


def test_callers_iterating_what_the_object_thread_resizes_are_not_reported(
    ruleset: RuleSet,
) -> None:
    """A thread-owning object whose thread adds keys: the callers' walk may run where the
    thread does not (a forked child, after the thread ended), so only thread code counts."""
    text = """\
        import threading
        import time

        class Poller:
            def __init__(self):
                self.seen = {}
                self.thread = threading.Thread(target=self._poll, daemon=True)
                self.thread.start()

            def _poll(self):
                while True:
                    self.seen[time.monotonic()] = True
                    time.sleep(1)

            def report(self):
                return [key for key in self.seen]
    """
    assert _reports(text, ruleset) == []


def test_an_iteration_under_the_writers_lock_or_of_a_copy_is_not_reported(
    ruleset: RuleSet,
) -> None:
    text = """\
        import threading

        pending = {}
        lock = threading.Lock()

        def flush():
            with lock:
                for key in pending:
                    print(key)
            for key in pending.copy():
                print(key)
            for key in dict(pending):
                print(key)

        def add(key):
            with lock:
                pending[key] = 1

        threading.Thread(target=flush).start()
        threading.Thread(target=add, args=(1,)).start()
    """
    assert _reports(text, ruleset) == []


def test_a_weak_dict_walked_while_another_thread_deletes_is_reported(ruleset: RuleSet) -> None:
    """A weak dictionary fails like a dict; the deletion is named as such."""
    text = """\
        import threading
        import weakref

        class Cache:
            def __init__(self):
                self.live = weakref.WeakValueDictionary()

            def start(self):
                threading.Thread(target=self.sweep).start()
                threading.Thread(target=self.drop, args=(1,)).start()

            def sweep(self):
                return [key for key, value in self.live.items()]

            def drop(self, key):
                del self.live[key]
    """
    ((line, args),) = _reports(text, ruleset)
    assert line == 13
    assert args["elsewhere"].startswith("an element of `self.live` is deleted in `Cache.drop`")
