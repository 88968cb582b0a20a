"""Colour for a terminal, as ruff decides it: ``NO_COLOR`` wins, ``FORCE_COLOR`` forces,
otherwise only a terminal that is not ``TERM=dumb`` gets escape codes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

_CODES = {"bold": "1", "red": "31", "green": "32", "cyan": "36", "blue": "34", "dim": "2"}


def is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def wants_colour(stream: object, environ: Mapping[str, str] = os.environ) -> bool:
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return is_terminal(stream) and environ.get("TERM") != "dumb"


@dataclass(frozen=True)
class Style:
    """Wraps text in ANSI escapes when ``enabled``; otherwise returns it unchanged."""

    enabled: bool = False

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles or not text:
            return text
        codes = ";".join(_CODES[style] for style in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


PLAIN = Style()
