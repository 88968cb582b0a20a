"""Jupyter notebooks are linted like ruff lints them: the code cells as one module, reports
placed as ``path:cell N:line:col``, fixes written back into the cells and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concurlint.notebook import NotebookError, dump_cells, load_cells

OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["hi\n"]}


def code(*lines: str, outputs: list[Any] | None = None, **metadata: Any) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": 1, "metadata": metadata,
            "outputs": outputs or [], "source": list(lines)}


def notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def jupyter_json(document: dict[str, Any]) -> str:
    """The text Jupyter itself writes for a notebook."""
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


MARKDOWN = {"cell_type": "markdown", "metadata": {}, "source": ["# Caf\u00e9 notes"]}
IMPORTS = code("%matplotlib inline\n", "import time\n", "!ls\n", "files = !ls",
               outputs=[OUTPUT])
BLOCKING = code("async def f():\n", "    for i in range(3):\n", "        !echo hi\n",
                "    time.sleep(1)", tags=["slow"])
SHELL = {**code("%%bash\n", "for x in 1 2; do echo $x; done"), "execution_count": None}


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "concurlint", "--no-cache", *args], cwd=cwd,
                          capture_output=True, text=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "nb.ipynb").write_text(jupyter_json(notebook(MARKDOWN, IMPORTS, BLOCKING, SHELL)))
    return tmp_path


def test_reports_are_placed_in_their_cell(project: Path) -> None:
    completed = run(["-q", "nb.ipynb"], project)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        "nb.ipynb:cell 3:4:5: CCL201 `time.sleep()` blocks the event loop inside "
        "`async def f`; use `await asyncio.sleep(...)` [*]"
    ]


def test_json_output_names_the_cell(project: Path) -> None:
    (report,) = json.loads(run(["--format", "json", "nb.ipynb"], project).stdout)
    assert (report["cell"], report["line"], report["column"]) == (3, 4, 5)


def test_full_format_names_the_cell(project: Path) -> None:
    shown = run(["--output-format", "full", "nb.ipynb"], project).stdout
    assert shown.startswith("CCL201 [*] `time.sleep()` blocks the event loop")
    assert " --> nb.ipynb:cell 3:4:5\n" in shown


def test_folders_include_notebooks(project: Path) -> None:
    assert "nb.ipynb:cell 3:4:5: CCL201" in run(["."], project).stdout


def test_fix_rewrites_only_the_changed_cell_sources(project: Path) -> None:
    completed = run(["--fix", "nb.ipynb"], project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    expected = notebook(
        MARKDOWN,
        {**IMPORTS, "source": ["import asyncio\n", *IMPORTS["source"]]},
        {**BLOCKING, "source": [*BLOCKING["source"][:3], "    await asyncio.sleep(1)"]},
        SHELL,
    )
    assert (project / "nb.ipynb").read_text() == jupyter_json(expected)


def test_diff_shows_each_changed_cell_as_written(project: Path) -> None:
    before = (project / "nb.ipynb").read_text()
    completed = run(["--diff", "nb.ipynb"], project)
    assert "--- a/nb.ipynb:cell 2\n+++ b/nb.ipynb:cell 2\n" in completed.stdout
    assert "+import asyncio\n %matplotlib inline\n" in completed.stdout
    assert "         !echo hi\n-    time.sleep(1)\n" in completed.stdout
    assert (project / "nb.ipynb").read_text() == before


def test_a_broken_notebook_is_one_clear_report(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_text('{"cells": [')
    (tmp_path / "ok.ipynb").write_text(jupyter_json(notebook(IMPORTS)))
    completed = run(["."], tmp_path)
    assert completed.stdout.startswith(
        "nb.ipynb:1:1: CCL001 cannot analyze this file: not a valid notebook"
    )
    assert "ok.ipynb" not in completed.stdout
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("cells", "reason"),
    [((code("import time\n"), code("x = 1")), "a fix removed a cell boundary"),
     ((IMPORTS, BLOCKING), "a fix changed the indentation of an IPython line")],
    ids=["boundary", "magic"],
)
def test_a_fix_that_indents_across_cells_is_refused(
    cells: tuple[dict[str, Any], ...], reason: str
) -> None:
    module, mapping = load_cells(jupyter_json(notebook(*cells)))
    wrapped = "".join(f"    {line}" for line in module.splitlines(keepends=True))
    with pytest.raises(NotebookError, match=reason):
        dump_cells(mapping, 'if __name__ == "__main__":\n' + wrapped)


LINES = st.sampled_from([
    "import time\n", "x = 1\n", "%time f()\n", "!pip install x\n", "files = !ls\n",
    "    !echo hi\n", "f?\n", "# comment?\n", "s = '%d' % 3\n", "caf\u00e9 = 1\n", "",
])
CELLS = st.lists(st.tuples(st.sampled_from(["code", "markdown"]),
                           st.lists(LINES, max_size=5), st.booleans()), max_size=5)


@given(CELLS, st.sampled_from([1, 2]), st.booleans())
def test_an_unchanged_module_writes_the_notebook_back_byte_for_byte(
    cells: list[tuple[str, list[str], bool]], indent: int, as_string: bool
) -> None:
    document = notebook(*(
        {"cell_type": kind, "metadata": {}, "source":
         "".join(lines) if as_string else lines, **({"outputs": []} if kind == "code" else {})}
        for kind, lines, _ in cells
    ))
    raw = json.dumps(document, indent=indent, ensure_ascii=False) + "\n"
    module, mapping = load_cells(raw)
    assert dump_cells(mapping, module) == raw
    assert "%" not in module.replace("'%d' %", "") and "!" not in module
