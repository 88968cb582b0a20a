from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_cli import run

from concurlint.noqa import is_suppressed


@pytest.mark.parametrize(
    ("line", "code", "suppressed"),
    [
        ("time.sleep(1)  # noqa", "CCL201", True),
        ("time.sleep(1)  # noqa: CCL201", "CCL201", True),
        ("time.sleep(1)  # NOQA:CCL201,CCL203", "CCL203", True),
        ("time.sleep(1)  # noqa: CCL2", "CCL201", True),
        ("time.sleep(1)  # noqa: CCL202", "CCL201", False),
        ("time.sleep(1)  # noqa: E501, CCL201", "CCL201", True),
        ("time.sleep(1)", "CCL201", False),
    ],
)
def test_noqa_grammar(line: str, code: str, suppressed: bool) -> None:
    assert is_suppressed(code, line) is suppressed


# -- unused directives (CCL002), file-level exemption, --add-noqa ---------------------------

BLOCKING_LINE = "import time\n\n\nasync def f():\n    time.sleep(1){comment}\n"


def _lint(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "a.py").write_text(text)
    return run(["--no-cache", *args, "a.py"], tmp_path)


def test_unused_noqa_code_is_reported(tmp_path: Path) -> None:
    completed = _lint(tmp_path, "x = 1  # noqa: CCL201\n")
    assert completed.stdout.splitlines()[0] == (
        "a.py:1:8: CCL002 unused `noqa` directive (unused: `CCL201`); remove it [*]"
    )


def test_used_noqa_code_is_not_reported(tmp_path: Path) -> None:
    completed = _lint(tmp_path, BLOCKING_LINE.format(comment="  # noqa: CCL201"))
    assert (completed.returncode, completed.stdout) == (0, "All checks passed!\n")


@pytest.mark.parametrize("comment", ["  # noqa", "  # noqa: E501", "  # noqa: CCL201"])
def test_bare_noqa_and_other_tools_codes_are_left_alone(tmp_path: Path, comment: str) -> None:
    text = f"x = 1{comment}\n" if "CCL" not in comment else "x = 1\n"
    assert _lint(tmp_path, text).returncode == 0


def test_unused_noqa_of_an_unselected_rule_is_not_reported(tmp_path: Path) -> None:
    assert _lint(tmp_path, "x = 1  # noqa: CCL201\n", "--ignore", "CCL201").returncode == 0


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("x = 1  # noqa: CCL201\n", "x = 1\n"),
        ("x = 1  # noqa: CCL201, E501\n", "x = 1  # noqa: E501\n"),
        ("x = 1  # noqa: CCL201 kept for the reader\n", "x = 1  # kept for the reader\n"),
    ],
)
def test_fix_removes_the_unused_code(tmp_path: Path, before: str, after: str) -> None:
    completed = _lint(tmp_path, before, "--fix")
    assert completed.returncode == 0, completed.stdout
    assert (tmp_path / "a.py").read_text() == after


@pytest.mark.parametrize("directive", ["# concurlint: noqa", "# flake8: noqa",
                                       "# concurlint: noqa: CCL201"])
def test_file_level_noqa_exempts_the_file(tmp_path: Path, directive: str) -> None:
    completed = _lint(tmp_path, directive + "\n" + BLOCKING_LINE.format(comment=""))
    assert (completed.returncode, completed.stdout) == (0, "All checks passed!\n")


def test_file_level_noqa_with_other_codes_keeps_the_rest(tmp_path: Path) -> None:
    completed = _lint(tmp_path, "# concurlint: noqa: CCL203\n" + BLOCKING_LINE.format(comment=""))
    assert completed.returncode == 1


def test_flake8_file_noqa_with_codes_exempts_the_file_as_flake8_does(tmp_path: Path) -> None:
    completed = _lint(tmp_path, "# flake8: noqa: CCL203\n" + BLOCKING_LINE.format(comment=""))
    assert completed.returncode == 0


def test_flake8_noqa_after_code_is_not_file_level(tmp_path: Path) -> None:
    completed = _lint(tmp_path, "x = 1  # flake8: noqa\n" + BLOCKING_LINE.format(comment=""))
    assert completed.returncode == 1


def test_add_noqa_silences_every_report_and_keeps_comments(tmp_path: Path) -> None:
    text = (
        "import asyncio\nimport time\n\n\nasync def f():\n    time.sleep(1)  # keep me\n"
        "    asyncio.create_task(f())  # noqa: E501\n"
    )
    completed = _lint(tmp_path, text, "--add-noqa")
    assert completed.returncode == 0
    assert "Added 2 noqa directives." in completed.stderr
    fixed = (tmp_path / "a.py").read_text().splitlines()
    assert fixed[5] == "    time.sleep(1)  # keep me  # noqa: CCL201"
    assert fixed[6] == "    asyncio.create_task(f())  # noqa: E501, CCL203"
    assert run(["--no-cache", "a.py"], tmp_path).returncode == 0


def test_add_noqa_leaves_a_line_that_ends_inside_a_string(tmp_path: Path) -> None:
    text = 'import time\n\n\nasync def f():\n    return str(time.sleep(1)) + """\n"""\n'
    completed = _lint(tmp_path, text, "--add-noqa")
    assert "Added 0 noqa directives." in completed.stderr
    assert (tmp_path / "a.py").read_text() == text
