"""Output formats: each turns sorted diagnostics into text; none knows about rule classes.

A formatter also receives the catalog's rule metadata (SARIF describes every rule, reported
or not) and the ``RenderOptions`` (colour, ``--show-fixes``; the file texts that ``full``
shows). Formats that need only the diagnostics are adapted by ``_plain``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from concurlint.diagnostic import Diagnostic
from concurlint.model.catalog import RuleInfo
from concurlint.report import full, github, json_format, sarif, text
from concurlint.report.options import RenderOptions

Formatter = Callable[[Sequence[Diagnostic], Mapping[str, RuleInfo], RenderOptions], str]


def _plain(render: Callable[[Sequence[Diagnostic]], str]) -> Formatter:
    return lambda diagnostics, _rules, _options: render(diagnostics)


def _concise(
    diagnostics: Sequence[Diagnostic], _rules: Mapping[str, RuleInfo], options: RenderOptions
) -> str:
    return text.render(diagnostics, options)


def _sarif(
    diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo], _options: RenderOptions
) -> str:
    return sarif.render(diagnostics, rules)


FORMATTERS: dict[str, Formatter] = {
    "concise": _concise,
    "full": full.render,
    "text": _concise,  # the name used before `concise`, kept so scripts go on working
    "json": _plain(json_format.render),
    "github": _plain(github.render),
    "sarif": _sarif,
}
