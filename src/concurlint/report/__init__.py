"""Output formats: each turns sorted diagnostics into text; none knows about rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from concurlint.diagnostic import Diagnostic
from concurlint.report import json_format, text

Formatter = Callable[[Sequence[Diagnostic]], str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
}
