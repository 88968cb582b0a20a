"""``# noqa`` suppression on the reported line, with flake8's grammar.

``# noqa`` silences every code on the line; ``# noqa: CCL201,CCL203`` only those codes (or
prefixes). The match is case-insensitive, as in flake8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def suppressed_codes(line: str) -> frozenset[str] | None:
    """None when the line has no noqa comment; an empty set for a bare ``# noqa`` (all codes)."""
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    return frozenset(code.upper() for code in _CODE.findall(codes)) if codes else frozenset()


def is_suppressed(code: str, line: str) -> bool:
    codes = suppressed_codes(line)
    return codes is not None and (not codes or _matches(code, codes))


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def with_code(line: str, code: str) -> str:
    """``line`` (without its newline) with ``code`` added to its ``# noqa`` comment, or a new
    ``# noqa: CODE`` comment; a line already silenced for ``code`` is returned as it is."""
    match = _NOQA.search(line)
    if match is None:
        return f"{line.rstrip()}  # noqa: {code}"
    if is_suppressed(code, line):
        return line
    end = match.end("codes")
    return f"{line[:end]},{code}{line[end:]}"
