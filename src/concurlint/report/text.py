"""``path:line:col: CODE message``, with `` [*]`` when ``--fix`` can repair it (as in ruff)."""

from __future__ import annotations

from collections.abc import Sequence

from concurlint.diagnostic import Diagnostic
from concurlint.report.options import RenderOptions


def render(diagnostics: Sequence[Diagnostic], options: RenderOptions) -> str:
    style = options.style
    return "".join(
        f"{style(d.location, 'bold')}{style(':', 'cyan')} {style(d.code, 'bold', 'red')} "
        f"{d.message}{style(' [*]', 'cyan') if d.fixable_with(options.unsafe_fixes) else ''}\n"
        for d in diagnostics
    )
