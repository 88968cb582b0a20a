"""Jupyter notebooks: their code cells as one module, and fixed code written back into them.

As ruff does, a notebook is linted as the module its code cells form when run top to
bottom: names imported in one cell are known in the next. The module is the cells' sources
joined, each cell after the first introduced by a marker comment line (``CELL_MARKER``),
so that positions map back to ``(cell, line)`` and a fixed module splits back into cells.

IPython lines are not Python: a line magic (``%time f()``), a shell escape (``!ls``,
``x = !ls``) or a help request (``f?``) becomes a ``pass`` statement at the same indentation
(an indented block stays a block) carrying a marker, and is restored as it was when the
cells are written back. A cell that starts with a cell magic (``%%bash``) is left out,
unless its body is Python (``%%time``, ``%%capture``, ...); then only that line is replaced.

Writing back touches only the ``source`` of the code cells that changed: outputs, metadata
and every other field keep their values, key order and the notebook's JSON indentation.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from concurlint.diagnostic import Diagnostic, Span

CELL_MARKER = "# concurlint: notebook cell {cell}"
MAGIC_MARKER = "pass  # concurlint: IPython line {index}"
# Cell magics whose body is Python code.
PYTHON_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "python", "python3", "pypy"}
)
# A line magic or shell escape, an assignment from one (``x = !ls``), a help request (``f?``).
_MAGIC = re.compile(r"\s*[%!?]|\s*[\w.]+\s*=\s*[%!]|\s*[\w.]+\?\??\s*$")
_CELL_MARKER = re.compile(r"# concurlint: notebook cell (\d+)\n?")
_MAGIC_MARKER = re.compile(r"(\s*)pass  # concurlint: IPython line (\d+)\n?")


class NotebookError(ValueError):
    """The file is not a notebook concurlint can read or write back."""


@dataclass(frozen=True)
class Notebook:
    """How the module linted for a notebook maps back to it.

    ``raw`` is the notebook's JSON text, ``cells`` the 1-based index (among all cells, as
    Jupyter and ruff number them) of each code cell in the module, ``starts`` the module
    line where each of them begins, and ``magics`` the IPython lines that were replaced.
    """

    raw: str
    cells: tuple[int, ...]
    starts: tuple[int, ...]
    magics: tuple[str, ...]

    def locate(self, line: int) -> tuple[int, int]:
        """``(cell, line in the cell)`` of a 1-based module line."""
        index = max(bisect.bisect_right(self.starts, line) - 1, 0)
        return self.cells[index], line - self.starts[index] + 1

    def place(self, diagnostic: Diagnostic) -> Diagnostic:
        """``diagnostic`` with its cell, and its lines counted within that cell."""
        span = diagnostic.span
        cell, line = self.locate(span.line)
        end_line = line + span.end_line - span.line
        return replace(diagnostic, cell=cell,
                       span=Span(line, span.column, end_line, span.end_column))


def load_cells(raw: str) -> tuple[str, Notebook]:
    """The module of a notebook's code cells, and its map back to the notebook."""
    cells = _cells(raw)
    parts: list[str] = []
    included: list[int] = []
    starts: list[int] = []
    magics: list[str] = []
    line = 1
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        text = _python(_source(cell), magics)
        if text is None:
            continue
        if included:
            parts.append(CELL_MARKER.format(cell=number) + "\n")
            line += 1
        if text and not text.endswith("\n"):
            text += "\n"
        included.append(number)
        starts.append(line)
        parts.append(text)
        line += text.count("\n")
    notebook = Notebook(raw, tuple(included), tuple(starts), tuple(magics))
    return "".join(parts), notebook


def dump_cells(notebook: Notebook, module: str) -> str:
    """The notebook's JSON with its code cells' sources taken from the fixed ``module``."""
    document = json.loads(notebook.raw)
    sources = _split(notebook, module)
    cells = document["cells"]
    for number, text in zip(notebook.cells, sources, strict=True):
        cell = cells[number - 1]
        original = _source(cell)
        if text != _with_final_newline(original, text):
            cell["source"] = _as_stored(text, original, cell["source"])
    indent, ascii_only, final_newline = _layout(notebook.raw)
    text = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
    return text + ("\n" if final_newline else "")


def changed_cells(notebook: Notebook, before: str, after: str) -> list[tuple[int, str, str]]:
    """``(cell, source before, source after)`` for each code cell that differs between two
    versions of the module, IPython lines as written in the notebook (for ``--diff``)."""
    pairs = zip(notebook.cells, _split(notebook, before), _split(notebook, after), strict=True)
    return [(cell, old, new) for cell, old, new in pairs if old != new]


def _cells(raw: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise NotebookError(f"not a valid notebook: {error}") from error
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise NotebookError("not a valid notebook: no list of cells (nbformat 4 is read)")
    for cell in cells:
        if cell.get("cell_type") == "code" and not isinstance(cell.get("source"), (str, list)):
            raise NotebookError("not a valid notebook: a code cell has no source")
    return cells


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _python(text: str, magics: list[str]) -> str | None:
    """``text`` with its IPython lines replaced (their originals appended to ``magics``),
    or None for a cell whose cell magic runs something other than Python."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("%%"):
        name = lines[0][2:].split(maxsplit=1)[0] if lines[0][2:].strip() else ""
        if name not in PYTHON_CELL_MAGICS:
            return None
    result = []
    for line in lines:
        if _is_ipython(line):
            indent = line[: len(line) - len(line.lstrip())]
            ending = "\n" if line.endswith("\n") else ""
            result.append(indent + MAGIC_MARKER.format(index=len(magics)) + ending)
            magics.append(line)
        else:
            result.append(line)
    return "".join(result)


def _is_ipython(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#") and bool(_MAGIC.match(line))


def _split(notebook: Notebook, module: str) -> list[str]:
    """The fixed module cut back into the code cells, with the IPython lines restored."""
    if not notebook.cells:
        return []
    sources: list[list[str]] = [[]]
    expected = iter(notebook.cells[1:])
    for line in module.splitlines(keepends=True):
        marker = _CELL_MARKER.fullmatch(line)
        if marker is not None:
            if int(marker.group(1)) != next(expected, None):
                raise NotebookError("a fix moved a cell boundary")
            sources.append([])
            continue
        magic = _MAGIC_MARKER.fullmatch(line)
        if magic is not None:
            original = notebook.magics[int(magic.group(2))]
            if not original.startswith(magic.group(1)) or original[len(magic.group(1))].isspace():
                raise NotebookError("a fix changed the indentation of an IPython line")
            line = original.rstrip("\n") + ("\n" if line.endswith("\n") else "")
        sources[-1].append(line)
    if len(sources) != len(notebook.cells):
        raise NotebookError("a fix removed a cell boundary")
    return ["".join(lines) for lines in sources]


def _with_final_newline(original: str, text: str) -> str:
    """``original`` with the line break the module added after a cell's last line."""
    return original + "\n" if text.endswith("\n") and not original.endswith("\n") else original


def _as_stored(text: str, original: str, stored: str | list[str]) -> str | list[str]:
    """``text`` in the form the cell stored its source: one string or a list of lines, and
    without a final line break when the original had none (Jupyter's own habit)."""
    if text.endswith("\n") and not original.endswith("\n"):
        text = text[:-1]
    return text if isinstance(stored, str) else text.splitlines(keepends=True)


def _layout(raw: str) -> tuple[int | None, bool, bool]:
    """The indentation, ASCII escaping and final line break of the original JSON text."""
    indent = re.search(r"\n( +)\S", raw)
    ascii_only = raw.isascii() and "\\u" in raw
    return (len(indent.group(1)) if indent else None), ascii_only, raw.endswith("\n")
