"""A fix that needs ``import asyncio`` adds it where isort puts it: ``ruff check --select I``
passes after ``concurlint --fix`` on a file whose imports were sorted before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from concurlint.import_placement import add_import

BODY = "\n\nasync def f():\n    time.sleep(1)\n"
FROM_BODY = "\n\nasync def f():\n    sleep(1)\n"
REQUESTS_BODY = "\n\nasync def f():\n    requests.get(1)\n"
SORTED_MODULES = {
    "only-time": "import time\n",
    "plain-before-and-after": "import abc\nimport time\n",
    "plain-before-only": "import abc\nimport atexit\nfrom time import sleep\n",
    "plain-and-from": "import os\nimport time\nfrom collections import deque\n",
    "from-only": "from collections import deque\nfrom time import sleep\n",
    "third-party": "import time\n\nimport requests\n",
    "only-third-party": "import requests\n",
    "future-and-docstring": '"""Doc."""\n\nfrom __future__ import annotations\n\nimport time\n',
    "comment-above": "import abc\n\n# the clock\nimport time\n",
    "dotted": "import os.path\nimport time\n",
    "relative": "import time\n\nfrom . import helpers\n",
}


def module(imports: str) -> str:
    if "import time" in imports:
        return imports + BODY
    return imports + (FROM_BODY if "from time import sleep" in imports else REQUESTS_BODY)


def ruff_isort(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", "I",
         "--target-version", "py310", "."],
        cwd=folder, capture_output=True, text=True,
    )


def concurlint_fix(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concurlint", "--fix", "--unsafe-fixes", "--no-cache", "."],
        cwd=folder, capture_output=True, text=True,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, imports in SORTED_MODULES.items():
        (tmp_path / f"{name.replace('-', '_')}.py").write_text(module(imports))
    return tmp_path


def test_the_inputs_are_sorted_for_isort(project: Path) -> None:
    completed = ruff_isort(project)
    assert completed.returncode == 0, completed.stdout


def test_isort_passes_after_fixing(project: Path) -> None:
    fixed = concurlint_fix(project)
    assert "(11 fixed, 0 remaining)" in fixed.stdout, fixed.stdout + fixed.stderr
    completed = ruff_isort(project)
    assert completed.returncode == 0, completed.stdout
    for name in SORTED_MODULES:
        assert "await asyncio." in (project / f"{name.replace('-', '_')}.py").read_text()


@pytest.mark.parametrize("imports", SORTED_MODULES.values(), ids=SORTED_MODULES.keys())
def test_the_import_is_the_only_added_line(imports: str) -> None:
    text = module(imports)
    added = add_import(text, "asyncio").splitlines()
    added.remove("import asyncio")
    assert [line for line in added if line] == [line for line in text.splitlines() if line]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"""Doc."""\n\n\nasync def f():\n    pass\n',
         '"""Doc."""\nimport asyncio\n\n\nasync def f():\n    pass\n'),
        ("async def f():\n    pass\n", "import asyncio\nasync def f():\n    pass\n"),
        ("import time", "import asyncio\nimport time"),
        ("import abc", "import abc\nimport asyncio\n"),
    ],
    ids=["docstring-only", "no-imports", "no-final-newline", "last-line"],
)
def test_placement_without_a_block_to_sort_into(text: str, expected: str) -> None:
    assert add_import(text, "asyncio") == expected


def test_an_existing_import_is_kept_as_is() -> None:
    text = "import asyncio\nimport time\n" + BODY
    assert add_import(text, "asyncio") == text
