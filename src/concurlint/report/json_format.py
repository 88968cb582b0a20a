"""A JSON array, one object per diagnostic, for tools to consume."""

from __future__ import annotations

import json
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
    return json.dumps([as_dict(d) for d in diagnostics], indent=2, ensure_ascii=False) + "\n"
