"""A JSON array, one object per diagnostic, for tools to consume."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from concurlint.diagnostic import Diagnostic, Fix


def as_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    span = diagnostic.span
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "path": diagnostic.path,
        "cell": diagnostic.cell,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "fixable": diagnostic.fixable,
        "fix": _fix(diagnostic.fix),
        "url": diagnostic.url,
    }


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.safety.value,
        "edits": [{"start": e.start, "end": e.end, "content": e.content} for e in fix.edits],
        "imports": list(fix.imports),
    }


def render(diagnostics: Sequence[Diagnostic]) -> str:
    return dumps([as_dict(d) for d in diagnostics])


# A file name that is not valid UTF-8 reaches Python as lone surrogates (PEP 383).
_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: object) -> str:
    """JSON text that any UTF-8 stream can carry: a file name's undecodable bytes become
    ``\\udcXX`` escapes (``json.loads`` and ``os.fsencode`` give the name back)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"
