"""Between concurlint's values (1-based lines, columns and offsets in code points) and the
Language Server Protocol's (0-based lines, columns in the client's code units)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from concurlint.diagnostic import Diagnostic, Safety, Span

SOURCE = "concurlint"
_HOP = re.compile(r"([\w.]+)\(\)")


def to_range(lines: Sequence[str], span: Span, codec: PositionCodec) -> types.Range:
    start = types.Position(line=span.line - 1, character=span.column - 1)
    end = types.Position(line=span.end_line - 1, character=span.end_column - 1)
    return codec.range_to_client_units(lines, types.Range(start=start, end=end))


def offset_position(text: str, offset: int) -> types.Position:
    """The 0-based line and code-point column of a character offset into ``text``."""
    before = text[:offset]
    line = before.count("\n")
    return types.Position(line=line, character=offset - (before.rfind("\n") + 1))


def to_diagnostic(
    diagnostic: Diagnostic,
    lines: Sequence[str],
    codec: PositionCodec,
    related: Sequence[types.DiagnosticRelatedInformation] = (),
) -> types.Diagnostic:
    return types.Diagnostic(
        range=to_range(lines, diagnostic.span, codec),
        message=diagnostic.message,
        severity=types.DiagnosticSeverity.Warning,
        code=diagnostic.code,
        code_description=types.CodeDescription(href=diagnostic.url) if diagnostic.url else None,
        source=SOURCE,
        related_information=list(related) or None,
        data={"fix": diagnostic.fix.safety.value} if diagnostic.fix else None,
    )


def chain_hops(diagnostic: Diagnostic) -> list[str]:
    """The helpers a report's call chain goes through, as shown: ``storage.save`` for the
    chain ``storage.save() -> builtins.open()``; the last hop is the catalog call that acts,
    not a helper of the project, and is left out."""
    via = dict(diagnostic.args).get("via", "")
    return _HOP.findall(via)[:-1] if "->" in via else []


def whole_document_edit(old: str, new: str, codec: PositionCodec) -> types.TextEdit:
    """One edit that turns ``old`` into ``new``, covering only the lines that differ (so
    the editor keeps the cursor and folds elsewhere)."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    prefix = old.rfind("\n", 0, prefix) + 1  # whole lines: edits read naturally in a diff
    suffix = 0
    while (
        suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]
    ):
        suffix += 1
    lines = old.splitlines(keepends=True)
    start = codec.position_to_client_units(lines, offset_position(old, prefix))
    end = codec.position_to_client_units(lines, offset_position(old, len(old) - suffix))
    return types.TextEdit(
        range=types.Range(start=start, end=end), new_text=new[prefix : len(new) - suffix]
    )


def fix_title(diagnostic: Diagnostic) -> str:
    fix = diagnostic.fix
    unsafe = fix is not None and fix.safety is Safety.UNSAFE
    return f"Fix {diagnostic.code}{' (unsafe)' if unsafe else ''}: {diagnostic.name}"
