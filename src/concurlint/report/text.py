"""``path:line:col: CODE message``, with `` [*]`` when ``--fix`` can repair it (as in ruff)."""

from __future__ import annotations

from collections.abc import Sequence

from concurlint.diagnostic import Diagnostic


def render(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(
        f"{d.location}: {d.code} {d.message}"
        f"{' [*]' if d.fixable else ''}\n"
        for d in diagnostics
    )
