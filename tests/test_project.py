"""Project-wide analysis: reports that need another module's facts, over a package in
tests/data/project/app (relative imports, aliases, re-exports, a cycle, a helper two modules
away, shadowed names, a module outside the project) and one in tests/data/project/procs
(processes created, process targets bound and gevent patched in another module)."""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from concurlint import engine, flake8_plugin
from concurlint.cache import CACHE_DIR, Cache
from concurlint.config import Settings, load_settings
from concurlint.engine import lint_files
from concurlint.files import discover
from concurlint.fixes import FixOutcome, fix_paths
from concurlint.model.catalog import load_catalog
from concurlint.project import project_facts
from concurlint.runner import lint_paths
from concurlint.summary import ModuleNames

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
    module_name = ModuleNames(load_settings(start=project).source_roots())
    assert module_name(str(project / "src/app/services/__init__.py")) == ("app.services", True)
    assert module_name(str(project / "src/app/util/disk.py")) == ("app.util.disk", False)
    assert module_name(str(project / "scripts/warm.py")) == ("warm", False)
    assert module_name(str(project / "src/app/__init__.py")) == ("app", True)


def test_editing_a_helper_relints_only_the_files_that_depend_on_it(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(start=project)
    cache = Cache.open(tmp_path / "cache", settings,
                       load_catalog(settings.catalog_extensions()).digest)
    paths = _paths(project)
    lint_paths(paths, settings, cache=cache)
    linted: list[str] = []
    real = engine.lint_files

    def spy(pending: list[str], *args: object, **kwargs: object) -> list:
        linted.extend(pending)
        return real(pending, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "lint_files", spy)
    assert not _reported(lint_paths(paths, settings, cache=cache)) - _expected(paths)
    assert linted == []

    disk = project / "src/app/util/disk.py"
    disk.write_text(disk.read_text().replace("time.sleep(0.1)", "print(0.1)"))
    results = lint_paths(paths, settings, cache=cache)
    # disk.py itself, and the modules that use a name whose facts changed (cycle.py uses
    # disk too, but only functions that still block or never did)
    assert sorted(Path(path).name for path in linted) == ["disk.py", "handlers.py", "storage.py"]
    lines = {line for path, line, _ in _reported(results) if path.endswith("handlers.py")}
    assert 16 not in lines  # stash() -> disk.flush() -> disk.wait() no longer sleeps
    assert 13 in lines

    linted.clear()
    storage = project / "src/app/services/storage.py"
    storage.write_text(storage.read_text() + "# a comment changes no summary\n")
    lint_paths(paths, settings, cache=cache)
    assert [Path(path).name for path in linted] == ["storage.py"]


def test_a_module_without_the_project_reports_only_what_its_own_file_shows(
    project: Path,
) -> None:
    handlers = str(project / "src/app/api/handlers.py")
    results = lint_paths([handlers], load_settings(start=project))
    assert not _reported(results)


def _messages(root: Path) -> set[str]:
    results = lint_paths(_paths(root), load_settings(start=root))
    return {d.message for result in results for d in result.diagnostics}


def test_import_time_call_names_the_process_chain_across_modules(procs: Path) -> None:
    messages = _messages(procs)
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
    messages = _messages(procs)
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
    checker = flake8_plugin.ConcurlintChecker(ast.parse("".join(lines)), str(main), lines)
    assert [report[2][:7] for report in checker.run()] == ["CCL303 "]
