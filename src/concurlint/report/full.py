"""``--output-format full``: each diagnostic with the lines it is on, as ruff shows it.

The code and message, ``-->`` and the position, the offending lines with carets under the
span and two lines of context either side, the call chain of a report that goes through
helpers or other modules, the book's chapter as ``help:``, and with ``--show-fixes`` the fix
as a diff of the lines it changes.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from concurlint.diagnostic import Diagnostic, Safety
from concurlint.model.catalog import RuleInfo
from concurlint.report.options import RenderOptions
from concurlint.report.style import Style

CONTEXT = 2
_MAX_UNDERLINED = 5


def render(
    diagnostics: Sequence[Diagnostic], _rules: Mapping[str, RuleInfo], options: RenderOptions
) -> str:
    texts: dict[str, str | None] = {}
    blocks = []
    for diagnostic in diagnostics:
        if diagnostic.path not in texts:
            texts[diagnostic.path] = options.read(diagnostic.path)
        blocks.append(_block(diagnostic, texts[diagnostic.path], options))
    return "".join(blocks)


def _block(diagnostic: Diagnostic, text: str | None, options: RenderOptions) -> str:
    style = options.style
    mark = " [*]" if diagnostic.fixable_with(options.unsafe_fixes) else ""
    out = [
        f"{style(diagnostic.code, 'bold', 'red')}{style(mark, 'cyan')} "
        f"{style(diagnostic.message, 'bold')}\n",
        f" {style('-->', 'blue')} {diagnostic.location}\n",
    ]
    if diagnostic.cell is not None:
        text = None  # the text joins every cell: its line numbers are not the cell's
    lines = text.splitlines() if text is not None else []
    if 1 <= diagnostic.span.line <= len(lines):
        out.append(_snippet(diagnostic, lines, style))
    chain = dict(diagnostic.args).get("via", "").strip().removeprefix("(").removesuffix(")")
    if chain:
        out.append(f"{style('note', 'bold', 'green')}: call chain: {chain}\n")
    if diagnostic.url:
        out.append(f"{style('help', 'bold', 'cyan')}: {diagnostic.url}\n")
    if options.show_fixes and diagnostic.fix is not None and text is not None:
        out.append(_fix_diff(diagnostic, text, style))
    out.append("\n")
    return "".join(out)


def _snippet(diagnostic: Diagnostic, lines: list[str], style: Style) -> str:
    span = diagnostic.span
    last = min(span.end_line, len(lines))
    first_shown = max(1, span.line - CONTEXT)
    last_shown = min(len(lines), last + CONTEXT)
    width = len(str(last_shown))
    bar = style("|", "blue")
    out = [f"{' ' * width} {bar}\n"]
    for number in range(first_shown, last_shown + 1):
        line = lines[number - 1]
        gutter = style(f"{number:>{width}}", "blue")
        out.append(f"{gutter} {bar} {line}".rstrip() + "\n")
        underline = _underline(diagnostic, number, line)
        if underline:
            out.append(f"{' ' * width} {bar} {style(underline, 'bold', 'red')}\n")
    out.append(f"{' ' * width} {bar}\n")
    return "".join(out)


def _underline(diagnostic: Diagnostic, number: int, line: str) -> str:
    """Carets under the part of ``line`` the span covers (the first lines of a long span)."""
    span = diagnostic.span
    if not span.line <= number <= min(span.end_line, span.line + _MAX_UNDERLINED - 1):
        return ""
    start = span.column - 1 if number == span.line else len(line) - len(line.lstrip())
    end = span.end_column - 1 if number == span.end_line else len(line.rstrip())
    if end <= start:
        end = start + 1
    return " " * start + "^" * (end - start)


def _fix_diff(diagnostic: Diagnostic, text: str, style: Style) -> str:
    """The lines the fix changes, ruff's way: removed lines with ``-``, added ones with
    their new number and ``+``, one line of context."""
    fix = diagnostic.fix
    assert fix is not None
    fixed = text
    for edit in sorted(fix.edits, reverse=True):
        fixed = fixed[: edit.start] + edit.content + fixed[edit.end :]
    before, after = text.splitlines(), fixed.splitlines()
    width = len(str(max(len(before), len(after), 1)))
    bar = style("|", "blue")
    out = [f"{' ' * width} {bar}\n"]
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for group in matcher.get_grouped_opcodes(1):
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(f"{i + 1:>{width}} {bar} {before[i]}".rstrip() + "\n"
                           for i in range(i1, i2))
                continue
            out.extend(style(f"{'':>{width}} - {before[i]}".rstrip(), "red") + "\n"
                       for i in range(i1, i2))
            out.extend(style(f"{j + 1:>{width}} + {after[j]}".rstrip(), "green") + "\n"
                       for j in range(j1, j2))
    out.append(f"{' ' * width} {bar}\n")
    if fix.imports:
        modules = ", ".join(f"`import {module}`" for module in fix.imports)
        out.append(f"{style('note', 'bold', 'green')}: the fix also adds {modules}\n")
    if fix.safety is Safety.UNSAFE:
        note = "This is an unsafe fix and may change runtime behavior"
        out.append(f"{style('note', 'bold', 'green')}: {note}\n")
    return "".join(out)
