"""The recorded cases: loaded from TOML and checked against one schema, so a
malformed entry fails loudly instead of silently counting as a miss."""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
CASES_FILE = HERE / "cases.toml"

FAMILIES = ("threads", "coroutines", "processes", "gevent")
FAMILY_PREFIX = {"threads": "CCL1", "coroutines": "CCL2", "processes": "CCL3", "gevent": "CCL4"}
_SHA = re.compile(r"^[0-9a-f]{40}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HASH = re.compile(r"^[0-9a-f]{16}$")
_REQUIRED = {
    "id": str,
    "family": str,
    "kind": str,
    "repository": str,
    "fix_commit": str,
    "parent_commit": str,
    "path": str,
    "lines": list,
    "line_hashes": list,
    "fixed_lines": list,
    "fixed_line_hashes": list,
    "codes": list,
    "lint": list,
    "description": str,
}


class SchemaError(ValueError):
    """A case or result entry that does not follow the schema."""


@dataclass(frozen=True)
class PypiSpan:
    """The last release with the bug and the first with the fix, and the file inside both."""

    name: str
    before: str
    after: str
    path: str
    after_line_hashes: tuple[str, ...] = ()
    # Distributions released together with ``name`` at the same versions (one tag of a
    # monorepo) that provide other parts of its namespace package: linted with it, as
    # installing it installs them.
    companions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """One bug: where it is in the parent of its fix, and what a correct linter reports.
    ``batch`` keeps apart the cases used to improve the rules (1) from a later batch held out
    from that work (2 and up), so recall on the held-out batch stays an honest measure."""

    id: str
    family: str
    kind: str
    repository: str
    fix_commit: str
    parent_commit: str
    path: str
    lines: tuple[int, ...]
    line_hashes: tuple[str, ...]
    fixed_lines: tuple[int, ...]
    fixed_line_hashes: tuple[str, ...]
    codes: frozenset[str]
    lint: tuple[str, ...]
    description: str
    pypi: PypiSpan | None
    batch: int = 1


def line_hash(text: str) -> str:
    """Identifies a line by its stripped text without storing the text (the repositories'
    code is never kept here); blank lines have no hash."""
    text = text.strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text else ""


def _check_case(entry: dict[str, Any], valid_codes: frozenset[str]) -> Case:
    name = entry.get("id", "?")
    for key, kind in _REQUIRED.items():
        if not isinstance(entry.get(key), kind):
            raise SchemaError(f"case {name}: `{key}` missing or not a {kind.__name__}")
    unknown = set(entry) - set(_REQUIRED) - {"pypi", "batch"}
    if unknown:
        raise SchemaError(f"case {name}: unknown keys {sorted(unknown)}")
    if not _ID.match(entry["id"]):
        raise SchemaError(f"case {name}: id must be lowercase words joined by '-'")
    if entry["family"] not in FAMILIES:
        raise SchemaError(f"case {name}: family must be one of {FAMILIES}")
    for key in ("fix_commit", "parent_commit"):
        if not _SHA.match(entry[key]):
            raise SchemaError(f"case {name}: `{key}` must be a full 40-digit commit")
    if entry["repository"].count("/") != 1:
        raise SchemaError(f"case {name}: repository must be owner/name")
    if not entry["lines"] or not all(isinstance(n, int) and n > 0 for n in entry["lines"]):
        raise SchemaError(f"case {name}: lines must be positive line numbers")
    hashes = entry["line_hashes"]
    if len(hashes) != len(entry["lines"]) or not all(_HASH.match(h) for h in hashes):
        raise SchemaError(f"case {name}: one 16-digit line hash per line")
    fixed = entry["fixed_line_hashes"]
    if len(fixed) != len(entry["fixed_lines"]) or not entry["fixed_lines"]:
        raise SchemaError(f"case {name}: one hash per fixed line, at least one fixed line")
    if not all(h == "" or _HASH.match(h) for h in fixed):
        raise SchemaError(f"case {name}: fixed line hashes are 16 digits, or empty for blanks")
    codes = frozenset(entry["codes"])
    if not codes or not codes <= valid_codes:
        raise SchemaError(f"case {name}: codes {sorted(codes - valid_codes)} are not rules")
    if not all(code.startswith(FAMILY_PREFIX[entry["family"]]) for code in codes):
        raise SchemaError(f"case {name}: codes do not belong to family {entry['family']}")
    if not entry["lint"] or any(
        Path(p).is_absolute() or ".." in Path(p).parts for p in entry["lint"]
    ):
        raise SchemaError(f"case {name}: lint paths must be relative and inside the tree")
    batch = entry.get("batch", 1)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise SchemaError(f"case {name}: batch must be a positive whole number")
    pypi = entry.get("pypi")
    span = None
    if pypi is not None:
        lists = ("after_line_hashes", "companions")
        texts = {k: v for k, v in pypi.items() if k not in lists}
        if set(texts) != {"name", "before", "after", "path"} or not all(
            isinstance(v, str) and v for v in texts.values()
        ):
            raise SchemaError(f"case {name}: pypi needs name, before, after and path")
        after = pypi.get("after_line_hashes", [])
        if not isinstance(after, list) or not all(_HASH.match(h) for h in after):
            raise SchemaError(f"case {name}: pypi.after_line_hashes must be line hashes")
        companions = pypi.get("companions", [])
        if not isinstance(companions, list) or not all(
            isinstance(c, str) and c for c in companions
        ):
            raise SchemaError(f"case {name}: pypi.companions must be distribution names")
        span = PypiSpan(**texts, after_line_hashes=tuple(after), companions=tuple(companions))
    return Case(
        id=entry["id"],
        family=entry["family"],
        kind=entry["kind"],
        repository=entry["repository"],
        fix_commit=entry["fix_commit"],
        parent_commit=entry["parent_commit"],
        path=entry["path"],
        lines=tuple(entry["lines"]),
        line_hashes=tuple(entry["line_hashes"]),
        fixed_lines=tuple(entry["fixed_lines"]),
        fixed_line_hashes=tuple(entry["fixed_line_hashes"]),
        codes=codes,
        lint=tuple(entry["lint"]),
        description=entry["description"],
        pypi=span,
        batch=batch,
    )


def load_cases(path: Path = CASES_FILE, valid_codes: frozenset[str] | None = None) -> list[Case]:
    """Every case of the file, validated; ids must be unique."""
    if valid_codes is None:
        from concurlint.model.catalog import load_catalog

        valid_codes = frozenset(load_catalog().rules)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if set(data) != {"case"}:
        raise SchemaError(f"{path.name}: only [[case]] tables are allowed")
    cases = [_check_case(entry, valid_codes) for entry in data["case"]]
    ids = [case.id for case in cases]
    if len(set(ids)) != len(ids):
        raise SchemaError(f"{path.name}: duplicate case ids")
    return cases
