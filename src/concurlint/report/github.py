"""GitHub Actions workflow commands: each diagnostic becomes an annotation on the pull request.

Escaping follows the Actions runner: in the message ``%``, CR and LF are percent-encoded; in
property values ``:`` and ``,`` are too, since they delimit the properties.
"""

from __future__ import annotations

from collections.abc import Sequence

from concurlint.diagnostic import Diagnostic

_DATA = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
_PROPERTY = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def escape_data(text: str) -> str:
    return text.translate(_DATA)


def escape_property(text: str) -> str:
    return text.translate(_PROPERTY)


def render(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(_command(d) for d in diagnostics)


def _command(diagnostic: Diagnostic) -> str:
    span = diagnostic.span
    properties = {
        "file": diagnostic.path,
        "line": span.line,
        "col": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
        "title": diagnostic.code,
    }
    joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::error {joined}::{escape_data(diagnostic.message)}\n"
