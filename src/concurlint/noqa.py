"""``# noqa`` suppression, as flake8 and ruff read it, and the unused ones (CCL002).

``# noqa`` on the reported line silences every code; ``# noqa: CCL201,CCL203`` only those
codes (or prefixes), case-insensitively. A comment line ``# concurlint: noqa`` exempts the
whole file (``# concurlint: noqa: CCL201`` only those codes), and so does a line starting
with flake8's ``# flake8: noqa`` (with or without codes: flake8 skips such a file whole), so
the command and the flake8 plugin agree.

A ``# noqa: CCLxxx`` whose code silenced nothing is reported as CCL002, with a safe fix that
removes the code (the whole directive when nothing is left). Codes of other tools and a bare
``# noqa`` are left alone: they may be there for flake8 or ruff.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from concurlint.diagnostic import Diagnostic, Edit, Fix, Safety, Span

UNUSED_NOQA = "CCL002"
OWN_PREFIX = "CCL"

_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_FILE_NOQA = re.compile(
    r"^\s*#\s*concurlint\s*[:=]\s*noqa"
    r"(?P<colon>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# flake8's own test: a line that starts with it exempts the file, whatever follows.
_FLAKE8_FILE_NOQA = re.compile(r"^\s*# flake8[:=]\s*noqa", re.IGNORECASE | re.MULTILINE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


@dataclass(frozen=True)
class Directive:
    """A ``# noqa`` comment: where it is on its line (0-based, end exclusive) and its codes
    (empty for a bare ``# noqa``)."""

    start: int
    end: int
    codes: tuple[str, ...]


def directive(line: str) -> Directive | None:
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    found = tuple(code.upper() for code in _CODE.findall(codes)) if codes else ()
    return Directive(match.start(), match.end(), found)


def suppressed_codes(line: str) -> frozenset[str] | None:
    """None when the line has no noqa comment; an empty set for a bare ``# noqa`` (all codes)."""
    found = directive(line)
    return None if found is None else frozenset(found.codes)


def is_suppressed(code: str, line: str) -> bool:
    codes = suppressed_codes(line)
    return codes is not None and (not codes or _matches(code, codes))


def file_exemption(text: str) -> frozenset[str] | None:
    """None when the file is not exempted; an empty set when every code is; else the codes."""
    if "noqa" not in text.lower():
        return None
    if _FLAKE8_FILE_NOQA.search(text):
        return frozenset()
    codes: set[str] = set()
    for match in _FILE_NOQA.finditer(text):
        if match.group("colon") is None:
            return frozenset()
        codes.update(code.upper() for code in _CODE.findall(match.group("codes")))
    return frozenset(codes) or None


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def lines_with_offsets(text: str) -> list[tuple[int, str]]:
    """Each line (without its break) with the offset of its first character."""
    found, offset = [], 0
    for match in _LINE.finditer(text):
        if not match.group():
            break
        found.append((offset, match.group().rstrip("\r\n")))
        offset = match.end()
    return found


@dataclass(frozen=True)
class UnusedNoqa:
    """What a CCL002 report needs besides the file: its catalog name and book link, and
    whether a code is selected (a directive naming a rule that did not run proves nothing)."""

    name: str
    url: str
    selected: Callable[[str], bool]


def apply(
    path: str, text: str, diagnostics: Sequence[Diagnostic], unused: UnusedNoqa | None
) -> tuple[Diagnostic, ...]:
    """The diagnostics no ``# noqa`` silences, plus CCL002 for the codes of directives that
    silenced nothing (when ``unused`` is given: CCL002 selected)."""
    exempt = file_exemption(text)
    if exempt is not None:
        diagnostics = [d for d in diagnostics if exempt and not _matches(d.code, exempt)]
    if "noqa" not in text.lower():
        return tuple(diagnostics)
    lines = lines_with_offsets(text)
    kept: list[Diagnostic] = []
    used: dict[int, set[str]] = {}
    for diagnostic in diagnostics:
        number = diagnostic.span.line
        found = directive(lines[number - 1][1]) if number <= len(lines) else None
        if found is None:
            kept.append(diagnostic)
        elif not found.codes:
            used.setdefault(number, set())
        elif _matches(diagnostic.code, found.codes):
            used.setdefault(number, set()).update(
                code for code in found.codes if diagnostic.code.startswith(code)
            )
        else:
            kept.append(diagnostic)
    if unused is not None and not (exempt is not None and not exempt):
        kept.extend(_unused(path, lines, used, unused))
    return tuple(kept)


def _unused(
    path: str, lines: list[tuple[int, str]], used: dict[int, set[str]], unused: UnusedNoqa
) -> list[Diagnostic]:
    reports = []
    for number, (offset, line) in enumerate(lines, start=1):
        found = directive(line) if "noqa" in line.lower() else None
        if found is None or not found.codes:
            continue
        stale = [
            code
            for code in found.codes
            if code.startswith(OWN_PREFIX)
            and code != UNUSED_NOQA
            and code not in used.get(number, ())
            and unused.selected(code)
        ]
        if stale:
            reports.append(_report(path, number, offset, line, found, stale, unused))
    return reports


def _report(
    path: str,
    number: int,
    offset: int,
    line: str,
    found: Directive,
    stale: list[str],
    unused: UnusedNoqa,
) -> Diagnostic:
    kept = [code for code in found.codes if code not in stale]
    if kept:
        edit = Edit(offset + found.start, offset + found.end, f"# noqa: {', '.join(kept)}")
    elif line[found.end :].strip():  # `
        edit = Edit(offset + found.start, offset + found.end, "#")
    else:
        start = len(line[: found.start].rstrip()) if line[: found.start].strip() else found.start
        edit = Edit(offset + start, offset + found.end, "")
    listed = ", ".join(f"`{code}`" for code in stale)
    return Diagnostic(
        path=path,
        span=Span(number, found.start + 1, number, found.end + 1),
        code=UNUSED_NOQA,
        name=unused.name,
        message=f"unused `noqa` directive (unused: {listed}); remove it",
        url=unused.url,
        fix=Fix((edit,), Safety.SAFE),
        args=(("codes", ", ".join(stale)),),
    )
