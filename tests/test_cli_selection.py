"""``--select``/``--ignore``/``--extend-*`` against the configuration, in ruff's layers."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import run

SOURCE = (
    "import asyncio\nimport time\n\n\nasync def f():\n"
    "    time.sleep(1)\n    asyncio.create_task(f())\n"
)


CONFIG = "[tool.concurlint]\nignore = ['CCL203']\n"


@pytest.fixture
def configured(tmp_path: Path) -> Path:
    """A file with a CCL201 and a CCL203 report, in a project that ignores CCL203."""
    for name, text in (("pyproject.toml", CONFIG), ("a.py", SOURCE)):
        (tmp_path / name).write_text(text)
    return tmp_path


def codes(args: list[str], cwd: Path) -> list[str]:
    completed = run(["--no-cache", "-q", *args, "a.py"], cwd)
    assert completed.returncode in (0, 1), completed.stderr
    return [line.split()[1] for line in completed.stdout.splitlines()]


def test_configured_ignore_applies(configured: Path) -> None:
    assert codes([], configured) == ["CCL201"]


def test_cli_ignore_adds_to_the_configured_ignore(configured: Path) -> None:
    assert codes(["--ignore", "CCL201"], configured) == []


def test_cli_select_replaces_the_configured_selection(configured: Path) -> None:
    assert codes(["--select", "CCL2"], configured) == ["CCL201", "CCL203"]


def test_repeated_select_flags_accumulate(configured: Path) -> None:
    assert codes(["--select", "CCL203", "--select", "CCL201"], configured) == ["CCL201", "CCL203"]


def test_comma_lists_and_repeats_mix(configured: Path) -> None:
    args = ["--select", "CCL1,CCL203", "--select", "CCL201", "--extend-ignore", "CCL203"]
    assert codes(args, configured) == ["CCL201"]


def test_extend_select_adds_to_the_configuration(configured: Path) -> None:
    assert codes(["--extend-select", "CCL203"], configured) == ["CCL201", "CCL203"]


def test_extend_ignore_removes(configured: Path) -> None:
    assert codes(["--extend-ignore", "CCL2"], configured) == []


def test_unknown_code_in_extend_select_is_a_usage_error(configured: Path) -> None:
    completed = run(["--extend-select", "CCL999", "a.py"], configured)
    assert completed.returncode == 2
    assert "unknown rule code or prefix `CCL999`" in completed.stderr
