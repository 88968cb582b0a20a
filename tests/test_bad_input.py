"""Bad input through the CLI: one clear line per problem, the run goes on, nothing is lost.

Every bad file is linted next to a good file with a known report: that report must still
come out, so a problem in one file can never hide the results of the others.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from concurlint import cli
from concurlint.cli import main
from concurlint.writing import write_back

BLOCKING = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
BLOCKING_REPORT = "ok.py:5:5: CCL201"
NOBODY = 65534


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def lines_about(self, name: str) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith(f"{name}:")]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.py").write_text(BLOCKING)
    return tmp_path


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    try:
        code = main(["--jobs", "1", *args])
    except SystemExit as stop:  # argparse's own exit
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


BAD_FILES = {
    "python2": (b"print 'hello'\n", "syntax error: Missing parentheses in call to 'print'"),
    "syntax_error": (b"import asyncio\nasync def f(:\n", "syntax error: invalid syntax"),
    "null_byte": (b"x = 1\0\n", "binary file (contains NUL bytes)"),
    "binary": (bytes(range(256)) * 4, "binary file (contains NUL bytes)"),
    "undecodable": (b"x = 1\ny = '\xff\xfe'\n", "cannot decode"),
    "unknown_cookie": (b"# -*- coding: klingon -*-\nx = 1\n", "unknown encoding: klingon"),
    "deep_parentheses": (
        b"import asyncio\nx = " + b"(" * 100_000 + b"1" + b")" * 100_000 + b"\n",
        "syntax error: too many nested parentheses",
    ),
    "deep_unary": (b"import asyncio\nx = " + b"-" * 100_000 + b"1\n", "too deeply nested"),
    "long_operator_chain": (
        b"import asyncio\nx = 1" + b" + 1" * 50_000 + b"\n",
        "nested more than 1000 levels deep",
    ),
    "python2_then_deep": (
        b"print 'x'\nimport asyncio\nx = " + b"-" * 100_000 + b"1\n",
        "syntax error: Missing parentheses",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_one_ccl001_line_and_the_run_goes_on(
    kind: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, reason = BAD_FILES[kind]
    (folder / "bad.py").write_bytes(content)
    run = lint(capsys, ".")
    (line,) = run.lines_about("bad.py")
    assert " CCL001 cannot analyze this file: " in line
    assert reason in line
    assert BLOCKING_REPORT in run.out
    assert run.code == 1


def test_undecodable_byte_is_located_on_its_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "bad.py").write_bytes(b"# coding: utf-8\nx = 1\ny = '\xff'\n")
    (line,) = lint(capsys, "bad.py").lines_about("bad.py")
    assert line.startswith("bad.py:3:1: CCL001 cannot analyze this file: cannot decode as utf-8")


@pytest.mark.parametrize("header", ["import asyncio\n", ""], ids=["screened-in", "screened-out"])
def test_python_warnings_about_the_linted_code_are_not_printed(
    header: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "warn.py").write_text(header + 'pattern = "\\d+"\ncall = "a"()\nsame = 1 is 1\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = lint(capsys, "warn.py")
    assert [str(warning.message) for warning in caught] == []
    assert (run.code, run.out.strip(), run.err) == (0, "All checks passed!", "")


@pytest.mark.parametrize("content", ["", "\n", "\r\n", "   \n\n", "# only a comment"])
def test_empty_files_are_clean(
    content: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "empty.py").write_text(content)
    run = lint(capsys, "empty.py")
    assert (run.code, run.out, run.err) == (0, "All checks passed!\n", "")


# -- encodings, BOM and line endings survive --fix -------------------------------------------

SOURCE_LINES = ["import time", "", "", "async def f():", '    s = "caf\u00e9 \u20ac"',
                "    time.sleep(1)"]
FIXED_LINES = ["import asyncio", "import time", "", "", "async def f():",
               '    s = "caf\u00e9 \u20ac"', "    await asyncio.sleep(1)"]


def _encoded(lines: list[str], newlines: list[str], prefix: str, codec: str) -> bytes:
    return (prefix + "".join(line + end for line, end in zip(lines, newlines, strict=True))).encode(
        codec
    )


ENCODINGS = {
    # name: (cookie line, codec, newline of each line, BOM)
    "latin-1": ("# -*- coding: latin-1 -*-\n", "latin-1", "\n", ""),
    "cp1252": ("# -*- coding: cp1252 -*-\n", "cp1252", "\n", ""),
    "utf-8-bom": ("", "utf-8", "\n", "\ufeff"),
    "crlf": ("", "utf-8", "\r\n", ""),
}


@pytest.mark.parametrize("kind", sorted(ENCODINGS))
def test_fix_keeps_encoding_bom_and_line_endings(
    kind: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cookie, codec, newline, bom = ENCODINGS[kind]
    if codec == "latin-1":
        source_lines = [line.replace(" \u20ac", "") for line in SOURCE_LINES]
        fixed_lines = [line.replace(" \u20ac", "") for line in FIXED_LINES]
    else:
        source_lines, fixed_lines = SOURCE_LINES, FIXED_LINES
    cookie = cookie.replace("\n", newline)
    path = folder / "enc.py"
    path.write_bytes(_encoded(source_lines, [newline] * 6, bom + cookie, codec))
    assert lint(capsys, "enc.py").lines_about("enc.py")[0].startswith(
        f"enc.py:{6 + bool(cookie)}:5: CCL201"
    )
    run = lint(capsys, "--fix", "enc.py")
    assert run.code == 0, run.err
    assert path.read_bytes() == _encoded(fixed_lines, [newline] * 7, bom + cookie, codec)


def test_fix_keeps_mixed_line_endings_line_by_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder / "mixed.py"
    path.write_bytes(_encoded(SOURCE_LINES, ["\r\n", "\n", "\r\n", "\n", "\n", "\r\n"], "",
                              "utf-8"))
    assert lint(capsys, "--fix", "mixed.py").code == 0
    # The added import takes the file's first line ending, as libcst's default_newline does.
    assert path.read_bytes() == _encoded(
        FIXED_LINES, ["\r\n", "\r\n", "\n", "\r\n", "\n", "\n", "\r\n"], "", "utf-8"
    )


def test_fix_keeps_file_mode(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = folder / "ok.py"
    path.chmod(0o751)
    assert lint(capsys, "--fix", "ok.py").code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert "await asyncio.sleep(1)" in path.read_text()


def test_fifty_thousand_lines_are_reported_at_the_right_place(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One long docstring keeps libcst's per-node cost out of the default run; the slow
    # crawl lints a 50,000-line file of real statements.
    lines = [f"line {number}: a long explanation of nothing at all" for number in range(49_998)]
    (folder / "big.py").write_text("\n".join(['"""', *lines, '"""', BLOCKING]))
    run = lint(capsys, "big.py")
    assert run.lines_about("big.py")[0].startswith("big.py:50005:5: CCL201")
    assert lint(capsys, "--fix", "big.py").code == 0
    assert (folder / "big.py").read_text().endswith("    await asyncio.sleep(1)\n")


# -- paths --------------------------------------------------------------------------------------


def test_missing_path_and_good_file_both_reported(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = lint(capsys, "nope.py", "ok.py")
    assert run.lines_about("nope.py") == [
        "nope.py:1:1: CCL001 cannot analyze this file: no such file or directory"
    ]
    assert BLOCKING_REPORT in run.out


def test_symlink_loops_and_broken_links_are_named(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "loop.py").symlink_to("loop.py")
    (folder / "dangling.py").symlink_to("gone.py")
    (folder / "sub").mkdir()
    (folder / "sub" / "cycle").symlink_to("..")  # a folder cycle: never followed
    named = lint(capsys, "loop.py", "dangling.py", "ok.py")
    assert named.lines_about("loop.py") == [
        "loop.py:1:1: CCL001 cannot analyze this file: too many levels of symbolic links"
    ]
    assert named.lines_about("dangling.py") == [
        "dangling.py:1:1: CCL001 cannot analyze this file: broken symbolic link"
    ]
    walked = lint(capsys, ".")
    loop_line = walked.lines_about("loop.py")[0]
    assert loop_line.endswith("cannot read: too many levels of symbolic links")
    assert walked.lines_about("dangling.py")[0].endswith("cannot read: no such file or directory")
    assert BLOCKING_REPORT in named.out
    assert BLOCKING_REPORT in walked.out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX only")
def test_fifo_named_py_is_not_read(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(folder / "pipe.py")
    run = lint(capsys, ".")
    assert run.lines_about("pipe.py") == [
        "pipe.py:1:1: CCL001 cannot analyze this file: not a regular file"
    ]
    assert BLOCKING_REPORT in run.out


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("fix", [False, True])
def test_file_vanishing_after_discovery_is_reported(
    jobs: str, fix: bool, folder: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (folder / "gone.py").write_text(BLOCKING)
    (folder / "other.py").write_text(BLOCKING)
    discover = cli.discover

    def discover_then_delete(*args: object, **kwargs: object) -> object:
        found = discover(*args, **kwargs)  # type: ignore[arg-type]
        (folder / "gone.py").unlink()
        return found

    monkeypatch.setattr(cli, "discover", discover_then_delete)
    run = lint(capsys, "--jobs", jobs, *(["--fix"] if fix else []), ".")
    assert run.lines_about("gone.py") == [
        "gone.py:1:1: CCL001 cannot analyze this file: cannot read: no such file or directory"
    ]
    assert not (folder / "gone.py").exists()
    if fix:
        assert "await asyncio.sleep(1)" in (folder / "other.py").read_text()
    else:
        assert "other.py:5:5: CCL201" in run.out


def test_read_only_file_under_fix_is_reported_not_changed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "locked.py").write_text(BLOCKING)
    (folder / "locked.py").chmod(0o444)
    run = lint(capsys, "--fix", ".")
    assert run.err.splitlines()[0] == "concurlint: locked.py: not fixed: the file is read-only"
    assert (folder / "locked.py").read_text() == BLOCKING
    assert run.lines_about("locked.py")[0].startswith("locked.py:5:5: CCL201")
    assert "await asyncio.sleep(1)" in (folder / "ok.py").read_text()
    assert run.code == 1


def test_fix_that_breaks_the_code_leaves_the_file_unchanged(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("concurlint.fixes.apply_fixes", lambda text, fixes: (text + "(\n", 1))
    run = lint(capsys, "--fix", "ok.py")
    assert run.err.splitlines()[0].startswith(
        "concurlint: error: ok.py: not fixed: a fix produced code that does not parse ("
    )
    assert (folder / "ok.py").read_text() == BLOCKING
    assert run.lines_about("ok.py")[0].startswith("ok.py:5:5: CCL201")


def test_interrupted_write_leaves_the_original_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.py"
    path.write_text(BLOCKING)

    def killed(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        write_back(str(path), BLOCKING.encode(), b"x = 1\n")
    assert path.read_text() == BLOCKING
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


# -- unreadable files and folders: root reads everything, so drop privileges ----------------

_AS_NOBODY = """
import contextlib, io, os, sys, tempfile
from concurlint.cli import main
quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
with quiet[0], quiet[1], tempfile.TemporaryDirectory() as cache:
    # Load every module while still privileged: the interpreter's own folder may be closed.
    main(["--jobs", "1", "--cache-dir", cache, "warm.py"])
    main(["--jobs", "1", "--no-cache", "--fix", "warm.py"])
os.setgid({uid})
os.setuid({uid})
sys.exit(main(["--jobs", "1", *sys.argv[1:]]))
"""


def _as_unprivileged(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user whom chmod really stops (root reads and writes anything)."""
    (folder / "warm.py").write_text(BLOCKING)
    program = _AS_NOBODY.format(uid=NOBODY if os.geteuid() == 0 else os.geteuid())
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )


def _enterable(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder the unprivileged user can enter (pytest's own tmp tree is private to root)."""
    if not hasattr(os, "setuid"):
        pytest.skip("permissions cannot be tested without POSIX users")
    base = Path(tempfile.mkdtemp(prefix="concurlint-perm-"))
    base.chmod(0o777)
    try:
        if os.geteuid() == 0 and not _enterable(base):
            pytest.skip(f"{base} cannot be entered by an unprivileged user")
        yield base
    finally:
        for folder, _, _ in os.walk(base):
            os.chmod(folder, 0o777)
        shutil.rmtree(base)


def test_unreadable_file_and_folder_are_reported(shared_folder: Path) -> None:
    (shared_folder / "ok.py").write_text(BLOCKING)
    (shared_folder / "secret.py").write_text(BLOCKING)
    (shared_folder / "secret.py").chmod(0o000)
    (shared_folder / "private").mkdir()
    (shared_folder / "private" / "inside.py").write_text(BLOCKING)
    (shared_folder / "private").chmod(0o000)
    shared_folder.chmod(0o777)
    completed = _as_unprivileged(shared_folder, ".")
    lines = completed.stdout.splitlines()
    assert "secret.py:1:1: CCL001 cannot analyze this file: cannot read: permission denied" in lines
    assert (
        "private:1:1: CCL001 cannot analyze this file: cannot read folder: permission denied"
        in lines
    )
    assert any(line.startswith(BLOCKING_REPORT) for line in lines), completed.stderr
    assert completed.returncode == 1


def test_read_only_folder_under_fix_is_reported(shared_folder: Path) -> None:
    (shared_folder / "frozen").mkdir()
    (shared_folder / "frozen" / "a.py").write_text(BLOCKING)
    (shared_folder / "frozen" / "a.py").chmod(0o666)
    (shared_folder / "frozen").chmod(0o555)
    completed = _as_unprivileged(shared_folder, "--fix", "frozen")
    assert completed.stderr.splitlines()[0] == (
        "concurlint: frozen/a.py: cannot write the fix: Permission denied"
    )
    assert (shared_folder / "frozen" / "a.py").read_text() == BLOCKING
    assert completed.returncode == 1


# -- configuration and usage: one line, exit code 2, before any file is read -----------------

CONFIG_ERRORS = {
    "broken_toml": ("[tool.concurlint\nselect = ['CCL']\n", "invalid TOML"),
    "unknown_key": ("[tool.concurlint]\nselectt = ['CCL']\n", "unknown key `selectt`"),
    "unknown_code": ("[tool.concurlint]\nignore = ['CCL999']\n", "unknown rule code or prefix"),
    "wrong_type": ("[tool.concurlint]\nselect = 'CCL'\n", "must be a list of strings"),
    "not_utf8": (b"[tool.concurlint]\n# \xff\n", "cannot read"),
}


@pytest.mark.parametrize("kind", sorted(CONFIG_ERRORS))
def test_config_error_is_one_line_and_exit_two(
    kind: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, message = CONFIG_ERRORS[kind]
    pyproject = folder / "pyproject.toml"
    if isinstance(content, bytes):
        pyproject.write_bytes(content)
    else:
        pyproject.write_text(content)
    run = lint(capsys, ".")
    (line,) = run.err.splitlines()
    assert line.startswith("concurlint: error: ")
    assert message in line
    assert (run.code, run.out) == (2, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "argument --output-format/--format: invalid choice: 'xml'"),
        (["--select", "CCL999"], "unknown rule code or prefix `CCL999`"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--jobs", "many"], "argument --jobs/-j: invalid int value: 'many'"),
        (["--config", "missing.toml"], "missing.toml: no such config file"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_usage_error_is_one_line_and_exit_two(
    args: list[str], message: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = lint(capsys, *args, ".")
    (line,) = run.err.splitlines()
    assert line.startswith("concurlint: error: ")
    assert message in line
    assert (run.code, run.out) == (2, "")
