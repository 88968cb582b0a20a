"""Where a fix adds ``import module``: the place isort and ruff's ``I001`` put it.

A fix that needs a standard-library module (``asyncio`` for ``await asyncio.sleep``) must
not leave the import block unsorted, or the project's isort check fails right after
``concurlint --fix``. The default isort style (ruff's too) is: ``__future__`` imports, then
the standard library, then everything else, sections separated by a blank line, and within
a section the plain ``import x`` lines first, sorted case-insensitively, then the
``from x import y`` lines. The new line goes where that order puts it in the module's first
block of imports; the rest of the file is left as it is.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider

from concurlint.engine import line_starts
from concurlint.model.module import is_preamble


@dataclass(frozen=True)
class _Line:
    """One top-level import statement of the first import block."""

    statement: cst.SimpleStatementLine
    stdlib: bool
    plain: bool  # ``import x`` rather than ``from x import y``
    key: str  # what isort sorts plain imports by


def add_import(text: str, module: str) -> str:
    """``text`` with ``import module`` (a standard-library module) added where isort would
    put it, unless the module already imports it at top level."""
    tree = cst.parse_module(text)
    if any(_imports_module(statement, module) for statement in tree.body):
        return text
    line = f"import {module}{tree.default_newline}"
    preamble, block = _first_block(tree)
    stdlib = [entry for entry in block if entry.stdlib]
    plain = [entry for entry in stdlib if entry.plain]
    later = [entry for entry in plain if entry.key > module.lower()]
    positions = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)

    def insert(at: int, content: str = line) -> str:
        """``content`` inserted at the start of 1-based line ``at``, or after the last line."""
        starts = line_starts(text)
        if at - 1 < len(starts):
            return text[: starts[at - 1]] + content + text[starts[at - 1] :]
        return text + tree.default_newline + content

    if later or (stdlib and not plain):
        index = block.index((later or stdlib)[0])
        if index and block[index - 1].stdlib:  # right below the previous line of the section
            return insert(positions[block[index - 1].statement].end.line + 1)
        before = block[index].statement
        return insert(_first_line(before, positions[before].start.line))
    if plain:
        return insert(positions[plain[-1].statement].end.line + 1)
    if block:  # only other sections: a standard-library section of its own goes first
        first = block[0].statement
        return insert(_first_line(first, positions[first].start.line), line + tree.default_newline)
    if preamble is None:
        return line + text
    return insert(positions[preamble].end.line + 1)


def _first_block(
    tree: cst.Module,
) -> tuple[cst.SimpleStatementLine | None, list[_Line]]:
    """The last preamble statement (docstring, ``__future__`` import) and the imports that
    follow it without any other statement in between."""
    preamble: cst.SimpleStatementLine | None = None
    block: list[_Line] = []
    for statement in tree.body:
        if not block and is_preamble(statement, tree):
            preamble = statement
            continue
        entry = _classify(statement)
        if entry is None:
            break
        block.append(entry)
    return preamble, block


def _classify(statement: cst.CSTNode) -> _Line | None:
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    small = statement.body[0]
    if isinstance(small, cst.Import):
        name = get_full_name_for_node(small.names[0].name) or ""
        return _Line(statement, _is_stdlib(name), True, name.lower())
    if isinstance(small, cst.ImportFrom):
        name = "" if small.relative or small.module is None else (
            get_full_name_for_node(small.module) or ""
        )
        return _Line(statement, _is_stdlib(name), False, name.lower())
    return None


def _is_stdlib(name: str) -> bool:
    return bool(name) and name.partition(".")[0] in sys.stdlib_module_names


def _first_line(statement: cst.SimpleStatementLine, line: int) -> int:
    """The line where ``statement`` begins, counting the comment lines right above it (they
    describe it and must stay attached)."""
    attached = 0
    for empty in reversed(statement.leading_lines):
        if empty.comment is None:
            break
        attached += 1
    return line - attached


def _imports_module(statement: cst.CSTNode, module: str) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Import)
        and any(alias.evaluated_name == module and alias.asname is None for alias in small.names)
        for small in statement.body
    )
