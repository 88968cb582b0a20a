"""``--add-noqa``: a ``# noqa: CODE`` on every reported line, to adopt the linter on a
large code base and fix the reports over time (ruff's option of the same name).

Existing comments stay: a line with a ``# noqa: ...`` gets the missing codes added to it,
any other line gets ``  # noqa: CODES`` at its end. A line that ends inside a string or
with a backslash cannot take a comment there, and is left as it is.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterable

from concurlint.diagnostic import Diagnostic
from concurlint.noqa import UNUSED_NOQA, directive, lines_with_offsets
from concurlint.runner import UNANALYZABLE


def commentable_lines(text: str) -> set[int]:
    """Lines that end with a real line break (a NEWLINE or NL token): a comment fits there."""
    lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL) or (
                token.type == tokenize.ENDMARKER and token.start[1] == 0
            ):
                lines.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        return set()
    return lines


def add_noqa(text: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int]:
    """``text`` with the directives added, and how many lines changed."""
    wanted: dict[int, set[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code not in (UNANALYZABLE, UNUSED_NOQA):
            wanted.setdefault(diagnostic.span.line, set()).add(diagnostic.code)
    if not wanted:
        return text, 0
    lines = lines_with_offsets(text)
    open_lines = commentable_lines(text)
    edits: list[tuple[int, int, str]] = []
    for number, codes in wanted.items():
        if number > len(lines) or number not in open_lines:
            continue
        offset, line = lines[number - 1]
        found = directive(line)
        if found is None:
            comment = f"  # noqa: {', '.join(sorted(codes))}"
            edits.append((offset + len(line.rstrip()), offset + len(line), comment))
        elif found.codes:
            merged = [*found.codes, *sorted(codes - set(found.codes))]
            edits.append((offset + found.start, offset + found.end, f"# noqa: {', '.join(merged)}"))
    for start, end, content in sorted(edits, reverse=True):
        text = text[:start] + content + text[end:]
    return text, len(edits)
