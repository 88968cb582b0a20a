"""Value types that cross process boundaries: diagnostics, fixes and per-file results.

Everything here is a frozen dataclass of plain data so that worker processes can return it
and the cache can store it; no CST node ever leaves the engine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Safety(enum.Enum):
    """How far a fix can be trusted, in ruff's terms."""

    SAFE = "safe"  # applied by --fix
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes
    DISPLAY = "display"  # shown, never applied


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``text[start:end]`` (character offsets in the decoded source) with ``content``."""

    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Fix:
    """Edits that repair one diagnostic, plus modules that must be imported for them."""

    edits: tuple[Edit, ...]
    safety: Safety
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Span:
    """1-based lines and columns; ``end_column`` is exclusive, as in ruff's JSON output."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Diagnostic:
    path: str
    span: Span
    code: str
    name: str
    message: str
    url: str
    fix: Fix | None = None
    args: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    cell: int | None = None  # in a notebook: the cell, and ``span`` counts lines within it

    @property
    def location(self) -> str:
        """``path:line:col``, or ``path:cell N:line:col`` in a notebook (as ruff prints)."""
        cell = "" if self.cell is None else f"cell {self.cell}:"
        return f"{self.path}:{cell}{self.span.line}:{self.span.column}"

    @property
    def fixable(self) -> bool:
        """True when ``--fix`` alone repairs it (a safe fix exists)."""
        return self.fixable_with(unsafe=False)

    def fixable_with(self, unsafe: bool) -> bool:
        """True when ``--fix`` (with ``--unsafe-fixes`` if ``unsafe``) repairs it."""
        fix = self.fix
        return fix is not None and (
            fix.safety is Safety.SAFE or (unsafe and fix.safety is Safety.UNSAFE)
        )

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        return (self.path, self.cell or 0, self.span.line, self.span.column, self.code,
                self.message)


@dataclass(frozen=True)
class FileResult:
    """What linting one file produced; ``skipped`` means no selected rule could apply."""

    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    skipped: bool = False
