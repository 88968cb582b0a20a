"""``--fix`` never corrupts, mislays or overwrites a file: what it writes compiles, keeps the
file's bytes outside the fixes, lands on the file the user meant, and only if nobody
changed it meanwhile; one file it cannot fix never stops the others."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest
from test_bad_input import BLOCKING, NOBODY, _as_unprivileged, lint, shared_folder

from concurlint.config import Settings
from concurlint.engine import RuleSet, run_with_deep_stack
from concurlint.files import Source
from concurlint.fixes import MAX_PASSES, fix_source

__all__ = ["shared_folder"]  # the fixture, used here by name

FIXED = "import asyncio\nimport time\n\n\nasync def f():\n    await asyncio.sleep(1)\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- 2: a file edited during the run is not overwritten --------------------------------------


def test_file_changed_during_the_run_is_skipped_with_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "edited.py").write_text(BLOCKING)
    (folder / "other.py").write_text(BLOCKING)
    from concurlint import fixes

    analyse = fixes.fix_paths

    def analyse_then_edit(*args: object, **kwargs: object) -> object:
        outcomes = analyse(*args, **kwargs)  # type: ignore[arg-type]
        with open(folder / "edited.py", "a") as stream:  # the user saves meanwhile
            stream.write("# saved while concurlint ran\n")
        return outcomes

    monkeypatch.setattr(fixes, "fix_paths", analyse_then_edit)
    run = lint(capsys, "--fix", "edited.py", "other.py")
    assert run.err.splitlines()[0] == (
        "concurlint: edited.py: not fixed: the file changed during the run"
    )
    assert (folder / "edited.py").read_text() == BLOCKING + "# saved while concurlint ran\n"
    assert (folder / "other.py").read_text() == FIXED
    assert run.code == 1


# -- 3: a codec that does not give the bytes back is never written with --------------------

ROUND_TRIP_LOSERS = {
    # every line break would come back as the two characters `\n`
    "unicode_escape": b"# coding: unicode_escape\n",
    # `~` decodes as itself but encodes as `+AH4-`: an untouched comment would change
    "utf-7": b"# coding: utf-7\n# home is ~\n",
}


@pytest.mark.parametrize("codec", sorted(ROUND_TRIP_LOSERS))
def test_codec_that_does_not_round_trip_leaves_the_file_untouched(
    codec: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = ROUND_TRIP_LOSERS[codec] + BLOCKING.encode()
    (folder / "odd.py").write_bytes(content)
    (folder / "other.py").write_text(BLOCKING)
    run = lint(capsys, "--fix", "odd.py", "other.py")
    assert run.err.splitlines()[0] == (
        f"concurlint: error: odd.py: not fixed: decoding and encoding it again as {codec} "
        "does not give back its bytes, so the fixed file could not keep its other lines "
        "unchanged"
    )
    assert (folder / "odd.py").read_bytes() == content
    assert (folder / "other.py").read_text() == FIXED


def test_comments_and_untouched_lines_keep_their_bytes(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = "# -*- coding: latin-1 -*-\r\n# caf\xe9, tab\there  \r\n"
    (folder / "kept.py").write_bytes((header + BLOCKING.replace("\n", "\r\n")).encode("latin-1"))
    assert lint(capsys, "--fix", "kept.py").code == 0
    assert (folder / "kept.py").read_bytes() == (
        header + FIXED.replace("\n", "\r\n")
    ).encode("latin-1")


# -- 4: what a fix writes compiles, and never rebinds a name the code already uses -----------


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return RuleSet.build(Settings(select=("CCL",)))


def _fixed(text: str, ruleset: RuleSet) -> str:
    outcome = run_with_deep_stack(fix_source, Source("m.py", text, "utf-8"), ruleset)
    assert outcome.error is None
    return outcome.text


# Each coroutine blocks with time.sleep; `asyncio` is taken in the scope the fix writes to.
TAKEN = {
    "global_declared_later": """
        async def f():
            time.sleep(1)
            global asyncio
        """,
    "match_capture": """
        async def f():
            time.sleep(1)
            match 1:
                case asyncio:
                    pass
        """,
    "parameter": """
        async def f(asyncio):
            time.sleep(1)
        """,
    "enclosing_parameter": """
        def outer(asyncio):
            async def f():
                time.sleep(1)
            return f
        """,
    "local_assigned_later": """
        async def f():
            time.sleep(1)
            asyncio = None
        """,
    "walrus_in_comprehension": """
        async def f():
            time.sleep(1)
            return [(asyncio := i) for i in range(2)]
        """,
    "nonlocal": """
        def outer():
            asyncio = None
            async def f():
                nonlocal asyncio
                time.sleep(1)
            return f
        """,
    "deleted": """
        async def f():
            time.sleep(1)
            del asyncio
        """,
    "global_assigned_elsewhere": """
        def setup():
            global asyncio
            asyncio = None
        async def f():
            time.sleep(1)
        """,
    "imported_then_declared_global": """
        import asyncio
        async def f():
            time.sleep(1)
            global asyncio
        """,
}


@pytest.mark.parametrize("case", sorted(TAKEN))
def test_fix_is_not_offered_where_asyncio_is_taken(case: str, ruleset: RuleSet) -> None:
    text = "import time\n" + textwrap.dedent(TAKEN[case])
    compile(text, "m.py", "exec")
    assert _fixed(text, ruleset) == text


FREE = {
    "class_attribute": """
        class Service:
            asyncio = None
            async def f(self):
                time.sleep(1)
        """,
    "comprehension_variable": """
        async def f():
            time.sleep(1)
            return [asyncio for asyncio in range(2)]
        """,
    "other_function_local": """
        def other():
            asyncio = 1
            return asyncio
        async def f():
            time.sleep(1)
        """,
    "decorated_method": """
        class Service:
            @staticmethod
            async def f():
                time.sleep(1)
        """,
}


@pytest.mark.parametrize("case", sorted(FREE))
def test_fix_uses_asyncio_where_no_scope_on_the_way_binds_it(
    case: str, ruleset: RuleSet
) -> None:
    text = "import time\n" + textwrap.dedent(FREE[case])
    fixed = _fixed(text, ruleset)
    assert "await asyncio.sleep(1)" in fixed
    assert "import asyncio\n" in fixed
    compile(fixed, "m.py", "exec")


def _first_error_of_a_broken_fix(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    appended: str,
) -> str:
    """Fix ``ok.py`` with every pass appending ``appended``; the file must stay as it was."""
    (folder / "ok.py").write_text(BLOCKING)
    monkeypatch.setattr("concurlint.fixes.apply_fixes", lambda text, fixes: (text + appended, 1))
    run = lint(capsys, "--fix", "ok.py")
    assert (folder / "ok.py").read_text() == BLOCKING
    return run.err.splitlines()[0]


def test_fix_that_does_not_compile_leaves_the_file_unchanged(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Parses, but the compiler rejects it: `return` outside a function.
    error = _first_error_of_a_broken_fix(folder, capsys, monkeypatch, "return\n")
    assert error.startswith(
        "concurlint: error: ok.py: not fixed: a fix produced code that does not compile ("
        "'return' outside function"
    )


# -- 5: links, owner, mode and permissions ---------------------------------------------------


def test_symlink_stays_a_link_and_its_target_is_fixed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "real").mkdir()
    (folder / "real" / "target.py").write_text(BLOCKING)
    (folder / "link.py").symlink_to("real/target.py")
    assert lint(capsys, "--fix", "link.py").code == 0
    assert (folder / "link.py").is_symlink()
    assert os.readlink(folder / "link.py") == "real/target.py"
    assert (folder / "real" / "target.py").read_text() == FIXED
    assert sorted(p.name for p in (folder / "real").iterdir()) == ["target.py"]


def test_hard_linked_file_is_skipped_with_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "a.py").write_text(BLOCKING)
    os.link(folder / "a.py", folder / "b_name.py")
    (folder / "other.py").write_text(BLOCKING)
    run = lint(capsys, "--fix", "a.py", "other.py")
    assert run.err.splitlines()[0] == (
        "concurlint: a.py: not fixed: the file has 2 hard links, which a replaced file "
        "would no longer share"
    )
    assert os.stat(folder / "a.py").st_ino == os.stat(folder / "b_name.py").st_ino
    assert (folder / "b_name.py").read_text() == BLOCKING
    assert (folder / "other.py").read_text() == FIXED


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_owner_group_and_mode_are_kept(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = folder / "theirs.py"
    path.write_text(BLOCKING)
    os.chown(path, NOBODY, NOBODY)
    path.chmod(0o640)
    assert lint(capsys, "--fix", "theirs.py").code == 0
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (NOBODY, NOBODY, 0o640)
    assert path.read_text() == FIXED


def test_file_the_user_may_not_write_is_skipped_even_with_the_owner_write_bit(
    shared_folder: Path,
) -> None:
    """Owned by root with mode 0644 in a folder everyone may write: the owner may write it,
    the unprivileged user may not, though replacing it by rename would succeed."""
    if os.geteuid() != 0:
        pytest.skip("the file must belong to another user: run as root")
    path = shared_folder / "roots.py"
    path.write_text(BLOCKING)
    path.chmod(0o644)
    completed = _as_unprivileged(shared_folder, "--fix", "roots.py")
    assert completed.stderr.splitlines()[0] == (
        "concurlint: roots.py: not fixed: permission denied"
    ), completed.stderr
    assert path.read_text() == BLOCKING
    assert path.stat().st_uid == 0
    assert completed.returncode == 1


# -- 6: one file that cannot be fixed never stops the others ---------------------------------


def test_idna_file_is_one_line_and_the_next_file_is_fixed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = b"# coding: idna\n" + BLOCKING.encode()
    (folder / "a.py").write_bytes(content)
    (folder / "b.py").write_text(BLOCKING)
    run = lint(capsys, "--fix", "a.py", "b.py")
    assert [line for line in run.err.splitlines() if "a.py" in line] == [
        "concurlint: a.py: not fixed: the fixed text cannot be encoded as idna"
    ]
    assert "Traceback" not in run.err
    assert (folder / "a.py").read_bytes() == content
    assert (folder / "b.py").read_text() == FIXED
    assert run.code == 1


def test_internal_error_while_fixing_one_file_does_not_stop_the_others(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurlint import fixes

    add_import = fixes.add_import

    def failing_for_a(text: str, module: str) -> str:
        if "# a\n" in text:
            raise KeyError("boom")
        return add_import(text, module)

    monkeypatch.setattr(fixes, "add_import", failing_for_a)
    (folder / "a.py").write_text("# a\n" + BLOCKING)
    (folder / "b.py").write_text(BLOCKING)
    run = lint(capsys, "--fix", "a.py", "b.py")
    assert run.err.splitlines()[0] == (
        "concurlint: error: a.py: not fixed: internal error: KeyError ('boom')"
    )
    assert (folder / "a.py").read_text() == "# a\n" + BLOCKING
    assert (folder / "b.py").read_text() == FIXED


# -- 8: whole-module fixes compose: one run reaches the fixed point --------------------------


def _many_unreleased_locks(count: int) -> str:
    functions = "".join(
        f"\n\ndef work_{i}(x):\n    lock.acquire()\n    x.step({i})\n    lock.release()\n"
        for i in range(count)
    )
    return "import threading\n\nlock = threading.Lock()\n" + functions


def test_fifteen_lock_fixes_need_one_run(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "locks.py").write_text(_many_unreleased_locks(15))
    first = lint(capsys, "--fix", "locks.py")
    assert (first.code, first.out.strip()) == (0, "Found 15 errors (15 fixed, 0 remaining).")
    fixed = (folder / "locks.py").read_text()
    assert fixed.count("    with lock:\n") == 15
    assert "acquire" not in fixed
    second = lint(capsys, "--fix", "locks.py")
    assert (second.code, second.out.strip()) == (0, "All checks passed!")
    assert (folder / "locks.py").read_text() == fixed


def test_fixes_that_never_converge_fail_loudly(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A broken fix: it changes the text but never what is reported.
    assert _first_error_of_a_broken_fix(folder, capsys, monkeypatch, "\n") == (
        f"concurlint: error: ok.py: not fixed: fixes still apply after {MAX_PASSES} passes"
    )
