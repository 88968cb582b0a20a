"""Output formats: each turns sorted diagnostics into text; none knows about rule classes.

A formatter also receives the catalog's rule metadata: SARIF describes every rule, reported
or not. Formats that need only the diagnostics are adapted by ``_plain``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from concurlint.diagnostic import Diagnostic
from concurlint.model.catalog import RuleInfo
from concurlint.report import github, json_format, sarif, text

Formatter = Callable[[Sequence[Diagnostic], Mapping[str, RuleInfo]], str]


def _plain(render: Callable[[Sequence[Diagnostic]], str]) -> Formatter:
    return lambda diagnostics, _rules: render(diagnostics)


FORMATTERS: dict[str, Formatter] = {
    "text": _plain(text.render),
    "json": _plain(json_format.render),
    "github": _plain(github.render),
    "sarif": sarif.render,
}
