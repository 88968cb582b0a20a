"""The closing lines of a run, worded as ruff 0.17 words them (stdout, except under
``--diff`` and when fixed code goes to stdout)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from concurlint.diagnostic import Diagnostic, Safety


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _hidden(diagnostics: Sequence[Diagnostic], unsafe: bool) -> int:
    """Unsafe fixes that ``--unsafe-fixes`` would apply."""
    if unsafe:
        return 0
    return sum(d.fix is not None and d.fix.safety is Safety.UNSAFE for d in diagnostics)


def _fix_hint(diagnostics: Sequence[Diagnostic], unsafe: bool) -> str:
    fixable = sum(d.fixable_with(unsafe) for d in diagnostics)
    hidden = _hidden(diagnostics, unsafe)
    offer = f"{_plural(hidden, 'unsafe fix', 'unsafe fixes')} available with `--fix --unsafe-fixes`"
    if fixable and hidden:
        return f"[*] {fixable} fixable with `--fix` ({offer}).\n"
    if fixable:
        return f"[*] {fixable} fixable with `--fix`.\n"
    return f"{offer[0].upper()}{offer[1:]}.\n" if hidden else ""


def check_summary(diagnostics: Sequence[Diagnostic], unsafe: bool) -> str:
    if not diagnostics:
        return "All checks passed!\n"
    return f"Found {_plural(len(diagnostics), 'error')}.\n" + _fix_hint(diagnostics, unsafe)


def fix_summary(remaining: Sequence[Diagnostic], fixed: int, unsafe: bool) -> str:
    if not remaining and not fixed:
        return "All checks passed!\n"
    if not fixed:
        return check_summary(remaining, unsafe)
    total = fixed + len(remaining)
    line = f"Found {_plural(total, 'error')} ({fixed} fixed, {len(remaining)} remaining).\n"
    return line + _fix_hint(remaining, unsafe)


def diff_summary(remaining: Sequence[Diagnostic], fixed: int, unsafe: bool) -> str:
    hidden = _hidden(remaining, unsafe)
    extra = (
        f" ({_plural(hidden, 'fix', 'fixes')} available with `--unsafe-fixes`)" if hidden else ""
    )
    if fixed:
        return f"Would fix {_plural(fixed, 'error')}{extra}.\n"
    return f"No errors would be fixed{extra}.\n"


def fixed_listing(fixed: Mapping[str, Counter[tuple[str, str]]]) -> str:
    """``--show-fixes`` under ``--fix``: what was fixed, per file and rule."""
    total = sum(sum(counts.values()) for counts in fixed.values())
    if not total:
        return ""
    out = [f"\nFixed {_plural(total, 'error')}:\n"]
    for path, counts in sorted(fixed.items()):
        if not counts:
            continue
        out.append(f"- {path}:\n")
        for (code, name), count in sorted(counts.items()):
            out.append(f"    {count} \N{MULTIPLICATION SIGN} {code} ({name})\n")
    out.append("\n")
    return "".join(out)
