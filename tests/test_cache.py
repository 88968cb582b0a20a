"""The result cache: hits only when nothing that decides a result changed, and a run that
is killed or shares the folder with another one never leaves it unusable."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from concurlint import cache as cache_module
from concurlint.cache import Cache
from concurlint.config import Settings
from concurlint.diagnostic import FileResult
from concurlint.files import fingerprint
from concurlint.model.catalog import load_catalog
from concurlint.runner import lint_paths

BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"


@pytest.fixture
def module(tmp_path: Path) -> Path:
    path = tmp_path / "a.py"
    path.write_text(BLOCKING)
    return path


def _open(folder: Path, settings: Settings) -> Cache:
    return Cache.open(folder, settings, load_catalog(settings.catalog_extensions()).digest)


def _planted(folder: Path, settings: Settings, module: Path) -> FileResult:
    """Store a result the linter would never produce, so that a hit is recognizable."""
    planted = FileResult(str(module), skipped=True)
    _open(folder, settings).put(str(module), fingerprint(module.read_bytes()), planted)
    return planted


def _lint(module: Path, settings: Settings, folder: Path) -> FileResult:
    (result,) = lint_paths([str(module)], settings, cache=_open(folder, settings))
    return result


def test_unchanged_file_is_answered_from_the_cache(tmp_path: Path, module: Path) -> None:
    settings = Settings(root=tmp_path)
    planted = _planted(tmp_path / "cache", settings, module)
    assert _lint(module, settings, tmp_path / "cache") == planted


def test_changed_content_is_linted_again(tmp_path: Path, module: Path) -> None:
    settings = Settings(root=tmp_path)
    _planted(tmp_path / "cache", settings, module)
    module.write_text(BLOCKING.replace("time.sleep(1)", "time.sleep(2)"))
    assert [d.code for d in _lint(module, settings, tmp_path / "cache").diagnostics] == ["CCL201"]


def test_changed_settings_are_a_miss(tmp_path: Path, module: Path) -> None:
    settings = Settings(root=tmp_path)
    _planted(tmp_path / "cache", settings, module)
    ignoring = replace(settings, ignore=("CCL201",))
    assert _lint(module, ignoring, tmp_path / "cache") == FileResult(str(module))


def test_changed_catalog_is_a_miss(tmp_path: Path, module: Path) -> None:
    settings = Settings(root=tmp_path)
    _planted(tmp_path / "cache", settings, module)
    extended = replace(settings, extend_blocking_calls=("mylib.fetch",))
    assert _lint(module, extended, tmp_path / "cache").diagnostics


def test_new_version_is_a_miss(
    tmp_path: Path, module: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(root=tmp_path)
    _planted(tmp_path / "cache", settings, module)
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    assert _lint(module, settings, tmp_path / "cache").diagnostics


def test_unreadable_entry_is_a_miss_and_is_rewritten(tmp_path: Path, module: Path) -> None:
    settings = Settings(root=tmp_path)
    cache = _open(tmp_path / "cache", settings)
    _planted(tmp_path / "cache", settings, module)
    (entry,) = (path for path in cache.folder.rglob("*") if path.is_file())
    entry.write_bytes(entry.read_bytes()[:10])  # as if truncated
    assert _lint(module, settings, tmp_path / "cache").diagnostics
    assert cache.get(str(module), fingerprint(module.read_bytes())) is not None


def _cli(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "concurlint", "--jobs", "1", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_killed_run_leaves_a_usable_cache(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for index in range(40):
        extra = f"\n\nasync def g{index}():\n    open('x')\n"
        (project / f"m{index:03}.py").write_text(BLOCKING + extra)
    cache_dir = tmp_path / "cache"
    run = _cli(["--cache-dir", str(cache_dir), "."], project)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _entries(cache_dir) < 3:
        time.sleep(0.02)  # wait until some entries exist, then kill the run mid-way
    run.send_signal(signal.SIGKILL)
    run.communicate()
    assert run.returncode == -signal.SIGKILL
    cached = _cli(["--cache-dir", str(cache_dir), "."], project).communicate()
    fresh = _cli(["--no-cache", "."], project).communicate()
    assert cached[0] == fresh[0]
    assert cached[0].count("CCL201") == 80


def _entries(cache_dir: Path) -> int:
    return sum(1 for path in cache_dir.glob("*/*/*") if not path.name.startswith("."))


def test_no_cache_writes_nothing(tmp_path: Path, module: Path) -> None:
    _cli(["--no-cache", "a.py"], tmp_path).communicate()
    assert not (tmp_path / ".concurlint_cache").exists()


def test_default_cache_is_tagged_for_backup_tools_and_git(tmp_path: Path, module: Path) -> None:
    _cli(["a.py"], tmp_path).communicate()
    folder = tmp_path / ".concurlint_cache"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d1")
    assert (folder / ".gitignore").read_text().endswith("*\n")


def test_joined_facts_of_the_wanted_files_alone_equal_the_whole_entry(tmp_path: Path) -> None:
    """A run naming one file decodes only that file's facts from the project's entry; they
    are the facts a whole run reads for it, and the entry itself stays whole."""
    from concurlint.project import project_facts

    (tmp_path / "storage.py").write_text("import time\n\n\ndef save():\n    time.sleep(1)\n")
    (tmp_path / "api.py").write_text("from storage import save\n\n\nasync def f():\n    save()\n")
    (tmp_path / "jobs.py").write_text("from storage import save\n\n\nasync def g():\n    save()\n")
    settings = Settings(root=tmp_path)
    paths = [str(tmp_path / name) for name in ("storage.py", "api.py", "jobs.py")]
    whole = project_facts(paths, settings, _open(tmp_path / "cache", settings))
    assert len(whole) >= 2
    wanted = [paths[1]]
    alone = project_facts(paths, settings, _open(tmp_path / "cache", settings), wanted=wanted)
    assert alone == {paths[1]: whole[paths[1]]}
    assert project_facts(paths, settings, _open(tmp_path / "cache", settings)) == whole


def _three_modules(tmp_path: Path) -> list[str]:
    (tmp_path / "storage.py").write_text("import time\n\n\ndef save():\n    time.sleep(1)\n")
    (tmp_path / "api.py").write_text("from storage import save\n\n\nasync def f():\n    save()\n")
    (tmp_path / "jobs.py").write_text("from storage import save\n\n\nasync def g():\n    save()\n")
    return [str(tmp_path / name) for name in ("storage.py", "api.py", "jobs.py")]


def test_an_edit_that_keeps_every_summary_decodes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A comment added to a file leaves its summary as it was: the joined facts are found
    under the summaries' digests, and no summary is checked and converted to find them."""
    from concurlint.project import project_facts

    paths = _three_modules(tmp_path)
    settings = Settings(root=tmp_path)
    whole = project_facts(paths, settings, _open(tmp_path / "cache", settings))
    with open(paths[0], "a", encoding="utf-8") as stream:
        stream.write("# a comment\n")

    def refuse(*args: object) -> None:
        raise AssertionError("a summary was decoded")

    monkeypatch.setattr(Cache, "get_summary", refuse)
    again = project_facts(paths, settings, _open(tmp_path / "cache", settings))
    assert again == whole


def test_a_summary_gone_after_its_digest_was_read_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A join needs the summaries themselves; one whose cache entry cannot be read by then
    is made again from its file, so the facts are those of a run without a cache."""
    from concurlint.project import project_facts

    paths = _three_modules(tmp_path)
    settings = Settings(root=tmp_path)
    project_facts(paths, settings, _open(tmp_path / "cache", settings))
    (tmp_path / "api.py").write_text("from storage import save\n\n\ndef f():\n    save()\n")
    original = Cache.get_summary

    def lost_storage(self: Cache, path: str, content: str, module: str) -> object:
        return None if path == paths[0] else original(self, path, content, module)

    monkeypatch.setattr(Cache, "get_summary", lost_storage)
    joined = project_facts(paths, settings, _open(tmp_path / "cache", settings))
    assert paths[2] in joined
    assert joined == project_facts(paths, settings)
