"""Project-wide analysis: reports that need another module's facts, over a package in
tests/data/project/app (relative imports, aliases, re-exports, a cycle, a helper two modules
away, shadowed names, a module outside the project; functions started on threads by another
module, and module-level locks taken by another module, in app/jobs) and one in
tests/data/project/procs (processes created, process targets bound and gevent patched in
another module)."""

from __future__ import annotations

import argparse
import ast
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from concurlint import engine, flake8_plugin
from concurlint.cache import CACHE_DIR, Cache
from concurlint.config import Settings, load_settings
from concurlint.engine import lint_files
from concurlint.files import discover
from concurlint.fixes import FixOutcome, fix_paths
from concurlint.model.catalog import load_catalog
from concurlint.module_names import ModuleNames
from concurlint.project import NO_FACTS, FileFacts, project_facts
from concurlint.runner import lint_paths
from concurlint.summary import summarize
from concurlint.summary_threads import (
    ThreadCatalog,
    ThreadFacts,
    ThreadSummary,
    summarize_threads,
)

CASE = Path(__file__).parent / "data" / "project" / "app"
PROCS = CASE.parent / "procs"
_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the case, so that tests may edit it."""
    return Path(shutil.copytree(CASE, tmp_path / "app"))


@pytest.fixture
def procs(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROCS, tmp_path / "procs"))


@pytest.fixture(params=["project", "procs"])
def any_case(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def _paths(root: Path) -> list[str]:
    paths, problems = discover([str(root)], Settings(root=root))
    assert not problems
    return paths


def _expected(paths: list[str]) -> set[tuple[str, int, str]]:
    expected = set()
    for path in paths:
        for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
            found = _EXPECT.search(line)
            if found:
                expected.update((path, number, code.strip()) for code in found[1].split(","))
    return expected


def _reported(results: list) -> set[tuple[str, int, str]]:
    return {
        (diagnostic.path, diagnostic.span.line, diagnostic.code)
        for result in results
        for diagnostic in result.diagnostics
    }


def test_reports_exactly_the_expected_lines(any_case: Path) -> None:
    paths = _paths(any_case)
    results = lint_paths(paths, load_settings(start=any_case))
    assert _reported(results) == _expected(paths)


def test_message_names_the_chain_across_modules(project: Path) -> None:
    paths = _paths(project)
    results = lint_paths(paths, load_settings(start=project))
    messages = {d.message for result in results for d in result.diagnostics}
    assert any(
        "(storage.save() -> storage._write() -> builtins.open())" in message
        for message in messages
    )
    assert any(
        "(storage.archive() -> disk.flush() -> disk.wait() -> time.sleep())" in message
        for message in messages
    )


def test_screening_never_drops_a_cross_module_report(any_case: Path) -> None:
    settings = load_settings(start=any_case)
    paths = _paths(any_case)
    facts = project_facts(paths, settings)
    screened = lint_files(paths, settings, project=facts)
    unscreened = lint_files(paths, settings, screen=False, project=facts)
    assert _reported(screened) == _reported(unscreened)
    assert _reported(screened)


def test_module_names_follow_the_configured_roots(project: Path) -> None:
    module_name = ModuleNames.of(load_settings(start=project))
    assert module_name(str(project / "src/app/services/__init__.py")) == ("app.services", True)
    assert module_name(str(project / "src/app/util/disk.py")) == ("app.util.disk", False)
    assert module_name(str(project / "scripts/warm.py")) == ("warm", False)
    assert module_name(str(project / "src/app/__init__.py")) == ("app", True)


def _linted_once(project: Path, tmp_path: Path) -> tuple[Settings, Cache, list[str]]:
    """The case's settings, a cache filled by one run, and the case's paths."""
    settings = load_settings(start=project)
    cache = Cache.open(tmp_path / "cache", settings,
                       load_catalog(settings.catalog_extensions()).digest)
    paths = _paths(project)
    lint_paths(paths, settings, cache=cache)
    return settings, cache, paths


def _spy_on_linting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The list of paths the engine lints from now on (cache misses)."""
    linted: list[str] = []
    real = engine.lint_files

    def spy(pending: list[str], *args: object, **kwargs: object) -> list:
        linted.extend(pending)
        return real(pending, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "lint_files", spy)
    return linted


def test_editing_a_helper_relints_only_the_files_that_depend_on_it(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, cache, paths = _linted_once(project, tmp_path)
    linted = _spy_on_linting(monkeypatch)
    assert not _reported(lint_paths(paths, settings, cache=cache)) - _expected(paths)
    assert linted == []

    disk = project / "src/app/util/disk.py"
    disk.write_text(disk.read_text().replace("time.sleep(0.1)", "print(0.1)"))
    results = lint_paths(paths, settings, cache=cache)
    # disk.py itself, and the modules that use a name whose facts changed (cycle.py uses
    # disk too, but only functions that still block or never did)
    assert sorted(Path(path).name for path in linted) == ["disk.py", "handlers.py", "storage.py"]
    lines = {line for path, line, _ in _reported(results) if path.endswith("handlers.py")}
    assert 17 not in lines  # stash() -> disk.flush() -> disk.wait() no longer sleeps
    assert 14 in lines

    linted.clear()
    storage = project / "src/app/services/storage.py"
    storage.write_text(storage.read_text() + "# a comment changes no summary\n")
    lint_paths(paths, settings, cache=cache)
    assert [Path(path).name for path in linted] == ["storage.py"]


def test_a_module_named_alone_gets_the_facts_of_its_whole_project(project: Path) -> None:
    handlers = str(project / "src/app/api/handlers.py")
    settings = load_settings(start=project)
    alone = _reported(lint_paths([handlers], settings))
    assert alone
    assert alone == {found for found in _reported(lint_paths(_paths(project), settings))
                     if found[0] == handlers}


def _all_messages(root: Path) -> set[str]:
    results = lint_paths(_paths(root), load_settings(start=root))
    return {d.message for result in results for d in result.diagnostics}


def test_import_time_call_names_the_process_chain_across_modules(procs: Path) -> None:
    messages = _all_messages(procs)
    assert any("(tasks.run_all() -> multiprocessing.Pool())" in m for m in messages)
    assert any(
        "(main() -> runner.launch() -> tasks.run_all() -> multiprocessing.Pool())" in m
        for m in messages
    )


def test_a_file_without_process_words_is_kept_by_its_facts(procs: Path) -> None:
    settings = load_settings(start=procs)
    paths = _paths(procs)
    main = str(procs / "src/jobs/main.py")
    facts = project_facts(paths, settings)[main]
    text = Path(main).read_text()
    ruleset = engine.RuleSet.build(settings)
    assert "CCL303" not in {rule.code for rule in ruleset.active_rules(main, text)}
    assert "CCL303" in {rule.code for rule in ruleset.active_rules(main, text, facts)}


def test_unsafe_fix_guards_an_import_time_call_of_another_module(procs: Path) -> None:
    paths = _paths(procs)
    outcomes = fix_paths(paths, load_settings(start=procs), unsafe=True)
    fixed = {o.source.path: o for o in outcomes if isinstance(o, FixOutcome)}
    main = fixed[str(procs / "src/jobs/main.py")]
    assert main.fixed == 1
    assert 'if __name__ == "__main__":\n    tasks.run_all()' in main.text
    assert not main.result.diagnostics


def test_unpicklable_target_names_what_its_module_binds(procs: Path) -> None:
    messages = _all_messages(procs)
    assert any(
        "`made` handed to `multiprocessing.Pool.map` is the nested function `inner` returned "
        "by `make_worker()` (`jobs.tasks.made`)" in m
        for m in messages
    )


def _gevent_reports(root: Path) -> set[str]:
    paths = _paths(root)
    return {
        Path(path).name for path, _, code in _reported(lint_paths(paths, load_settings(start=root)))
        if code == "CCL401"
    }


def test_greenlets_of_a_module_imported_after_a_patch_are_not_reported(procs: Path) -> None:
    assert {"greenlets.py", "chained.py"}.isdisjoint(_gevent_reports(procs))
    (procs / "src/jobs/serve.py").unlink()
    assert {"greenlets.py", "chained.py"} <= _gevent_reports(procs)


@pytest.fixture
def fresh_plugin() -> Iterator[None]:
    """The plugin memoizes settings and facts per working directory: start and end clean."""
    flake8_plugin._project.cache_clear()
    flake8_plugin._ruleset.cache_clear()
    yield
    flake8_plugin._project.cache_clear()
    flake8_plugin._ruleset.cache_clear()


def test_the_flake8_plugin_reads_process_facts_from_the_cache(
    procs: Path, monkeypatch: pytest.MonkeyPatch, fresh_plugin: None
) -> None:
    settings = load_settings(start=procs)
    cache = Cache.open(procs / CACHE_DIR, settings,
                       load_catalog(settings.catalog_extensions()).digest)
    lint_paths(_paths(procs), settings, cache=cache)
    monkeypatch.chdir(procs)
    main = procs / "src/jobs/main.py"
    lines = main.read_text().splitlines(keepends=True)
    selected = argparse.Namespace(select=["CCL"], extend_select=[], ignore=[], extend_ignore=[],
                                  extended_default_select=[], extended_default_ignore=[])
    checker = flake8_plugin.ConcurlintChecker(ast.parse("".join(lines)), str(main), lines,
                                              selected)
    assert [report[2][:7] for report in checker.run()] == ["CCL303 "]


def _line_of(path: str, text: str) -> int:
    lines = Path(path).read_text().splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def _messages(results: list, name: str) -> list[str]:
    return [d.message for result in results for d in result.diagnostics
            if Path(d.path).name == name]


def test_message_says_where_and_how_often_the_thread_is_started(project: Path) -> None:
    results = lint_paths(_paths(project), load_settings(start=project))
    messages = _messages(results, "counters.py")
    assert any("(started in a loop in `app.jobs.main`)" in m for m in messages)
    assert any("(once per item in `app.jobs.main`)" in m for m in messages)
    assert any("(started at 2 sites in `app.jobs.main`)" in m for m in messages)


def test_thread_facts_go_to_the_started_module_and_open_its_screen(project: Path) -> None:
    settings = load_settings(start=project)
    paths = _paths(project)
    counters = str(project / "src/app/jobs/counters.py")
    facts = project_facts(paths, settings)[counters]
    assert ("count", "started in a loop", "app.jobs.main") in facts.threads.started
    assert ("once", "", "app.jobs.main") in facts.threads.started
    assert not any(name == "shadowed" for name, _, _ in facts.threads.started)
    assert "CCL101" not in _active_codes(settings, counters)
    assert "CCL101" in _active_codes(settings, counters, facts)


def test_imported_locks_open_the_lock_order_screen(project: Path) -> None:
    settings = load_settings(start=project)
    transfer = str(project / "src/app/jobs/transfer.py")
    facts = project_facts(_paths(project), settings)[transfer]
    assert "CCL104" not in _active_codes(settings, transfer)
    assert "CCL104" in _active_codes(settings, transfer, facts)


def _active_codes(settings: Settings, path: str, facts: FileFacts = NO_FACTS) -> set[str]:
    """The rules the screens let run on ``path``, given the project's ``facts``."""
    ruleset = engine.RuleSet.build(settings)
    return {rule.code for rule in ruleset.active_rules(path, Path(path).read_text(), facts)}


def test_an_imported_lock_guards_an_update_only_with_its_fact(project: Path) -> None:
    settings = load_settings(start=project)
    paths = _paths(project)
    counters = str(project / "src/app/jobs/counters.py")
    facts = project_facts(paths, settings)
    assert facts[counters].threads.locks == (("app.jobs.sync.guard", "app.jobs.sync.guard",
                                             "threading.Semaphore"),)
    unlocked = {**facts, counters: replace(
        facts[counters], threads=ThreadFacts(started=facts[counters].threads.started)
    )}
    update = (counters, _line_of(counters, "amount += n"), "CCL101")  # under `with guard:`
    assert update in _reported(lint_files(paths, settings, project=unlocked))
    assert update not in _reported(lint_files(paths, settings, project=facts))


def test_locks_of_another_module_need_their_facts_for_ccl103_and_ccl104(project: Path) -> None:
    settings = load_settings(start=project)
    transfer = str(project / "src/app/jobs/transfer.py")
    assert not _reported(lint_files([transfer], settings))  # no project facts given
    reported = {code for path, _, code in _reported(lint_paths(_paths(project), settings))
                if path == transfer}
    assert reported == {"CCL103", "CCL104"}


def test_editing_a_starter_relints_the_module_it_starts(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, cache, paths = _linted_once(project, tmp_path)
    linted = _spy_on_linting(monkeypatch)
    main = project / "src/app/jobs/main.py"
    main.write_text(main.read_text().replace(
        "        threading.Thread(target=count).start()\n", ""
    ).replace("def again():", "def again():\n    threading.Thread(target=count).start()"))
    results = lint_paths(paths, settings, cache=cache)
    assert sorted(Path(path).name for path in linted) == ["counters.py", "main.py"]
    messages = _messages(results, "counters.py")
    assert not any("`count`" in m for m in messages)  # started once now: no report


_STARTER = (
    "import asyncio\nimport functools\nimport multiprocessing\nimport threading\n"
    "from concurrent.futures import ThreadPoolExecutor\n\nimport app.workers as w\n\n"
    "POOL = ThreadPoolExecutor()\n\n\ndef local():\n    pass\n\n\n"
)


@pytest.mark.parametrize(("code", "repeated"), [
    ("for _ in range(4):\n    threading.Thread(target=w.count).start()\n", "started in a loop"),
    ("for _ in range(4):\n    t = threading.Thread(target=w.count)\n    t.start()\n"
     "    t.join()\n", ""),
    ("if flag:\n    threading.Thread(target=w.count).start()\nelse:\n"
     "    threading.Thread(target=w.count).start()\n", ""),
    ("threading.Thread(target=w.count).start()\nthreading.Timer(1, w.count).start()\n",
     "started at 2 sites"),
    ("with ThreadPoolExecutor() as pool:\n    pool.map(w.count, range(4))\n", "once per item"),
    ("futures = [POOL.submit(functools.partial(w.count, 1)) for _ in range(4)]\n",
     "started in a loop"),
    ("async def main():\n    loop = asyncio.get_running_loop()\n"
     "    await loop.run_in_executor(None, w.count)\n", ""),
])
def test_summaries_record_how_often_another_module_s_function_is_started(
    code: str, repeated: str
) -> None:
    starts = _thread_summary(_STARTER + code).starts
    assert [(start.target, start.repeated) for start in starts] == [("app.workers.count", repeated)]


@pytest.mark.parametrize("code", [
    "for _ in range(4):\n    w.Counter().start()\n",
    "for _ in range(4):\n    t = w.Counter()\n    t.start()\n",
    "ts = []\nfor _ in range(4):\n    ts.append(w.Counter())\nfor t in ts:\n    t.start()\n",
])
def test_summaries_record_another_module_s_object_started_in_a_loop(code: str) -> None:
    starts = _thread_summary(_STARTER + code).starts
    assert [(start.target, start.repeated) for start in starts] == [
        ("app.workers.Counter", "started in a loop")
    ]


def test_summaries_record_no_construction_that_is_never_started() -> None:
    assert _thread_summary(_STARTER + "for _ in range(4):\n    w.Counter()\n").starts == ()


@pytest.mark.parametrize("code", [
    "multiprocessing.Pool().map(w.count, range(4))\n",  # processes, not threads
    "async def main(executor):\n    loop = asyncio.get_running_loop()\n"
    "    await loop.run_in_executor(executor, w.count)\n",  # an executor of unknown kind
    "for _ in range(4):\n    threading.Thread(target=local).start()\n",  # seen in the file
    "def run(w):\n    threading.Thread(target=w.count).start()\n",  # a parameter
    "w.Counter().start()\n",  # constructed once: the file itself takes `run` as started once
])
def test_summaries_record_no_start_the_names_do_not_pin_down(code: str) -> None:
    assert _thread_summary(_STARTER + code).starts == ()


def test_summaries_record_module_level_locks_of_catalog_types() -> None:
    summary = _thread_summary(
        "import _thread\nimport threading\n\nA = threading.RLock()\nB = _thread.allocate_lock()\n"
        "C = threading.Event()\nD = threading.Lock()\nD = threading.Lock()\n"
    )
    assert summary.locks == (("A", "threading.RLock"), ("B", "threading.Lock"))


def test_summaries_record_thread_classes_through_the_module_s_own_classes() -> None:
    summary = _thread_summary(
        "import threading\nfrom threading import Thread as T\n\n\nclass A(threading.Thread):\n"
        "    pass\n\n\nclass B(A):\n    pass\n\n\nclass C(T):\n    pass\n\n\n"
        "class D:\n    pass\n"
    )
    assert summary.classes == ("A", "B", "C")


def _thread_summary(code: str) -> ThreadSummary:
    tree = ast.parse(code)
    names = ThreadCatalog.from_catalog(load_catalog())
    return summarize_threads(tree, code, summarize(tree, "app.main", False), names)


def test_a_started_object_made_by_a_function_is_no_thread_start(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    (tmp_path / "text.py").write_text("def match(s):\n    return s\n")
    (tmp_path / "main.py").write_text("import text\n\nfor s in 'ab':\n    text.match(s).start()\n")
    facts = project_facts(_paths(tmp_path), load_settings(start=tmp_path))
    assert str(tmp_path / "text.py") not in facts


def test_a_flusher_started_by_another_module_races_with_the_module_s_appends(
    project: Path,
) -> None:
    messages = _messages(lint_paths(_paths(project), load_settings(start=project)), "outbox.py")
    assert len(messages) == 1
    assert "(read-then-replace) in `flush`" in messages[0]
    assert "`pending.append()` is also called in `add`" in messages[0]
