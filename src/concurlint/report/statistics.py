"""``--statistics``: how many diagnostics each rule produced, most frequent first (as ruff)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from concurlint.diagnostic import Diagnostic


def render(diagnostics: Sequence[Diagnostic]) -> str:
    counts = Counter(d.code for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if d.fixable)
    names = {d.code: d.name for d in diagnostics}
    width = len(str(max(counts.values(), default=0)))
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "".join(
        f"{count:>{width}}\t{code}\t{'[*]' if fixable[code] else '   '} {names[code]}\n"
        for code, count in rows
    )
