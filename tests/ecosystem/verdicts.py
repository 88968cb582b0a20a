"""The verdict file: a judged report (TP or FP with one sentence why) per entry, and the
"lost" list of true positives whose report went away, each with the reason."""

from __future__ import annotations

import sys
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

from .place import Place

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same reader as concurlint's config on Python 3.10
    import tomli as tomllib

VERDICTS_FILE = Path(__file__).resolve().parent / "verdicts.toml"
TRUE = "TP"
FALSE = "FP"


class VerdictError(Exception):
    """A malformed verdict file: one line naming the entry and the problem."""


@dataclass(frozen=True)
class Verdict(Place):
    """``fixed`` names the change that removed a false positive's report (empty while the
    report is still there)."""

    verdict: str
    reason: str
    fixed: str = ""


@dataclass(frozen=True)
class Lost(Place):
    """A true positive no longer reported, and why that is accepted."""

    reason: str


@dataclass(frozen=True)
class VerdictFile:
    verdicts: tuple[Verdict, ...] = ()
    lost: tuple[Lost, ...] = ()


def parse_verdicts(text: str, origin: str = "verdicts.toml") -> VerdictFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise VerdictError(f"{origin}: not TOML: {error}") from None
    unknown = set(data) - {"verdict", "lost"}
    if unknown:
        raise VerdictError(f"{origin}: unknown tables {sorted(unknown)} (known: verdict, lost)")
    verdicts = tuple(
        _verdict(item, origin, "verdict", number)
        for number, item in enumerate(data.get("verdict", []), start=1)
    )
    lost = tuple(
        _entry(Lost, item, origin, "lost", number)
        for number, item in enumerate(data.get("lost", []), start=1)
    )
    return VerdictFile(verdicts, lost)


def read_verdicts(path: Path = VERDICTS_FILE) -> VerdictFile:
    if not path.is_file():
        return VerdictFile()
    return parse_verdicts(path.read_text(encoding="utf-8"), origin=str(path))


def _verdict(item: Any, origin: str, table: str, number: int) -> Verdict:
    verdict: Verdict = _entry(Verdict, item, origin, table, number)
    if verdict.verdict not in (TRUE, FALSE):
        raise VerdictError(
            f"{origin}: {table} #{number}: `verdict` must be TP or FP, got `{verdict.verdict}`"
        )
    return verdict


def _entry(kind: type[Any], item: Any, origin: str, table: str, number: int) -> Any:
    where = f"{origin}: {table} #{number}"
    if not isinstance(item, dict):
        raise VerdictError(f"{where}: must be a table")
    names = {f.name: f for f in fields(kind)}
    unknown = set(item) - set(names)
    if unknown:
        raise VerdictError(f"{where}: unknown keys {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in names.items():
        if name not in item:
            if spec.default is MISSING:
                raise VerdictError(f"{where}: missing `{name}`")
            continue
        expected = int if name == "line" else str
        if not isinstance(item[name], expected) or isinstance(item[name], bool):
            raise VerdictError(f"{where}: `{name}` must be a {expected.__name__}")
        values[name] = item[name]
    return kind(**values)


def render_verdicts(verdict_file: VerdictFile) -> str:
    """The file's TOML, entries sorted by project, path and line, so that adding verdicts
    gives small diffs."""
    out = [
        '# Every ecosystem report with its verdict; see docs/real-world.md, "Ecosystem check".',
        "# Matched on (project, path, code, text): `line` is where the report was when judged.",
    ]
    for verdict in sorted(verdict_file.verdicts, key=_place):
        out += ["", "[[verdict]]", *_fields(verdict)]
    for lost in sorted(verdict_file.lost, key=_place):
        out += ["", "[[lost]]", *_fields(lost)]
    return "\n".join(out) + "\n"


def _place(entry: Place) -> tuple[str, str, int, str]:
    return (entry.project, entry.path, entry.line, entry.code)


def _fields(entry: Place) -> list[str]:
    lines = []
    for spec in fields(entry):
        value = getattr(entry, spec.name)
        if spec.name == "fixed" and not value:
            continue
        shown = str(value) if isinstance(value, int) else _toml_string(value)
        lines.append(f"{spec.name} = {shown}")
    return lines


def _toml_string(value: str) -> str:
    """A TOML basic string: quote and backslash escaped, control characters as \\uXXXX."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return (
        '"'
        + "".join(
            f"\\u{ord(char):04x}" if ord(char) < 0x20 or ord(char) == 0x7F else char
            for char in escaped
        )
        + '"'
    )


def add_verdicts(verdict_file: VerdictFile, items: Any, origin: str) -> VerdictFile:
    """``verdict_file`` with the judged reports ``items`` (the objects --write-unjudged
    writes, each given a ``verdict`` and a ``reason``) added; an item judging the same
    report (project, path, line, code, text) again replaces the earlier verdict."""
    if not isinstance(items, list):
        raise VerdictError(f"{origin}: expected a JSON array of judged reports")
    known = {f.name for f in fields(Verdict)}
    added = [
        _verdict(
            {k: v for k, v in item.items() if k in known} if isinstance(item, dict) else item,
            origin,
            "item",
            number,
        )
        for number, item in enumerate(items, start=1)
    ]
    replaced = {(v.line, *v.key) for v in added}
    kept = [v for v in verdict_file.verdicts if (v.line, *v.key) not in replaced]
    return VerdictFile((*kept, *added), verdict_file.lost)
