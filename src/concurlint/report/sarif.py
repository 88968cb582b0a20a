"""SARIF 2.1.0, the format code-scanning services read (GitHub's among them).

The driver lists every rule of the catalog, reported or not, so a viewer can describe any
result; results carry physical locations and, where concurlint has one, the fix as text
replacements. Columns count code points, as concurlint's do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from concurlint import __version__
from concurlint.diagnostic import Diagnostic, Fix, Safety
from concurlint.model.catalog import RuleInfo
from concurlint.report.json_format import dumps

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_FIX_DESCRIPTION = {
    Safety.SAFE: "Safe fix, applied by `concurlint --fix`.",
    Safety.UNSAFE: "Unsafe fix, applied by `concurlint --fix --unsafe-fixes`; review it.",
    Safety.DISPLAY: "Suggested change, never applied automatically.",
}


def render(diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo]) -> str:
    codes = sorted(rules)
    index = {code: position for position, code in enumerate(codes)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "concurlint",
                        "version": __version__,
                        "rules": [_rule(rules[code]) for code in codes],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, index.get(d.code)) for d in diagnostics],
            }
        ],
    }
    return dumps(log)


def _rule(info: RuleInfo) -> dict[str, Any]:
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": " ".join((info.why or info.summary).split())},
        "helpUri": info.url,
        "defaultConfiguration": {"level": "error"},
    }


def _result(diagnostic: Diagnostic, rule_index: int | None) -> dict[str, Any]:
    span = diagnostic.span
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": "error",
        "message": {"text": diagnostic.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(diagnostic.path),
                    "region": {
                        "startLine": span.line,
                        "startColumn": span.column,
                        "endLine": span.end_line,
                        "endColumn": span.end_column,
                    },
                }
            }
        ],
    }
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    if diagnostic.fix is not None:
        result["fixes"] = [_fix(diagnostic.path, diagnostic.fix)]
    return result


def _artifact(path: str) -> dict[str, str]:
    pure = PurePath(path)
    # bytes, not text: the undecodable bytes of a file name are percent-encoded as they are
    uri = pure.as_uri() if pure.is_absolute() else quote(os.fsencode(pure.as_posix()))
    return {"uri": uri}


def _fix(path: str, fix: Fix) -> dict[str, Any]:
    description = _FIX_DESCRIPTION[fix.safety]
    if fix.imports:
        added = ", ".join(f"`import {module}`" for module in fix.imports)
        description += f" It also adds {added} when missing."
    return {
        "description": {"text": description},
        "artifactChanges": [
            {
                "artifactLocation": _artifact(path),
                "replacements": [
                    {
                        "deletedRegion": {"charOffset": e.start, "charLength": e.end - e.start},
                        "insertedContent": {"text": e.content},
                    }
                    for e in fix.edits
                ],
            }
        ],
        "properties": {"applicability": fix.safety.value, "imports": list(fix.imports)},
    }
