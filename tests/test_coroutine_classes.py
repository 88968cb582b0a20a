"""CCL202 through the class hierarchy: a coroutine method reached through ``super()``, an
inherited method, an instance or an annotated parameter is reported alike whether the
classes are in the linted file or in another module of the project."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES
from project_reports import reports_by_line

from concurlint.cache import _NAMES, Cache
from concurlint.config import load_settings
from concurlint.model.catalog import load_catalog
from concurlint.project import FileFacts, project_facts
from concurlint.records import from_json, to_json
from concurlint.runner import lint_paths

_CASES = FIXTURES / "CCL202" / "cases_classes.py"
_MOVED = ["Store", "CachedStore", "Shadowed", "Deep", "Debounced", "debounce", "Database"]


def _split(text: str, names: list[str]) -> tuple[str, str]:
    """The module's header and the classes and functions ``names`` (consecutive) as
    ``models.py``; the header, an import of those names and the rest as ``main.py``."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    moved = [node for node in tree.body
             if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name in names]
    first, last = moved[0].lineno - 1, moved[-1].end_lineno or 0
    header, classes, rest = lines[:first], lines[first:last], lines[last:]
    importing = f"from models import {', '.join(names)}\n"
    return "".join(header + classes), "".join(header) + importing + "".join(rest)


def _expected(text: str) -> Counter[tuple[str, str]]:
    return Counter(
        ("CCL202", line.strip()) for line in text.splitlines() if "# expect: CCL202" in line
    )


def test_cases_report_alike_in_one_file_and_across_two_modules(tmp_path: Path) -> None:
    text = _CASES.read_text(encoding="utf-8")
    models, main = _split(text, _MOVED)
    alone = reports_by_line(tmp_path / "one", {"main.py": text}, "main.py")
    split = reports_by_line(tmp_path / "two", {"models.py": models, "main.py": main}, "main.py")
    assert split == _expected(main)
    assert alone == _expected(text) == split


@pytest.mark.parametrize("named", [["main.py"], ["main.py", "models.py"]])
def test_reports_do_not_depend_on_the_files_named(named: list[str], tmp_path: Path) -> None:
    text = _CASES.read_text(encoding="utf-8")
    models, main = _split(text, _MOVED)
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    (tmp_path / "models.py").write_text(models)
    (tmp_path / "main.py").write_text(main)
    results = lint_paths([str(tmp_path / name) for name in named], load_settings(start=tmp_path))
    lines = main.splitlines()
    reported = Counter(
        (d.code, lines[d.span.line - 1].strip())
        for result in results if result.path.endswith("main.py")
        for d in result.diagnostics
    )
    assert reported == _expected(main)


_BASES = {
    "an unknown base first may define the method": (
        "import somelib\n\n\nclass Mixed(somelib.Thing, Store):\n"
        "    async def run(self) -> None:\n        self.refresh()\n",
        0,
    ),
    "a base after a methodless one": (
        "import typing\n\n\nclass Typed(typing.Generic[typing.TypeVar('T')], Store):\n"
        "    async def run(self) -> None:\n        self.refresh()\n",
        1,
    ),
    "a method defined twice": (
        "class Twice(Store):\n    async def refresh(self) -> None: ...\n"
        "    async def refresh(self) -> None: ...\n\n\n"
        "class Child(Twice):\n    async def run(self) -> None:\n        self.refresh()\n",
        0,
    ),
}


@pytest.mark.parametrize("case", sorted(_BASES))
def test_bases_the_project_cannot_see_stop_the_search(case: str, tmp_path: Path) -> None:
    """Across modules, as in one file: a base neither the module nor the project shows may
    define any name, so the search stops there."""
    body, expected = _BASES[case]
    store = "class Store:\n    async def refresh(self) -> None: ...\n"
    one = reports_by_line(tmp_path / "one", {"main.py": f"{store}\n\n{body}"}, "main.py")
    two = reports_by_line(
        tmp_path / "two",
        {"models.py": store, "main.py": f"from models import Store\n{body}"},
        "main.py",
    )
    assert sum(one.values()) == sum(two.values()) == expected


def test_class_facts_read_back_from_the_cache_give_the_samereports_by_line(tmp_path: Path) -> None:
    """The summaries and the joined facts (class tables included) survive the cache: an
    edit of the caller alone re-lints it from cached summaries with the same reports."""
    models, main = _split(_CASES.read_text(encoding="utf-8"), _MOVED)
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    (tmp_path / "models.py").write_text(models)
    (tmp_path / "main.py").write_text(main)
    settings = load_settings(start=tmp_path)
    cache = Cache.open(tmp_path / "cache", settings,
                       load_catalog(settings.catalog_extensions()).digest)
    paths = [str(tmp_path / "main.py"), str(tmp_path / "models.py")]
    cold = lint_paths(paths, settings, cache=cache)
    (tmp_path / "main.py").write_text(main + "\n# edited\n")
    warm = lint_paths(paths, settings, cache=cache)
    assert [(d.span.line, d.code) for r in warm for d in r.diagnostics] == [
        (d.span.line, d.code) for r in cold for d in r.diagnostics
    ]
    assert sum(len(r.diagnostics) for r in warm) == sum(_expected(main).values())
    facts = project_facts(paths, settings)[str(tmp_path / "main.py")]
    assert facts.classes
    assert from_json(to_json(facts), FileFacts, _NAMES) == facts


@pytest.mark.parametrize(("patcher", "expected"), [
    ("import models\n\nprint(models.Store)\n", 0),
    ("from models import Store\n\nprint(len('Store'))\n", 1),
])
def test_a_class_handed_to_a_call_at_import_time_may_be_patched(
    patcher: str, expected: int, tmp_path: Path
) -> None:
    """``wrap(Methods)`` at import time (pyrogram replaces every coroutine method of the
    class it is given with a synchronous wrapper): the methods of a class handed to a call
    then, inherited ones included, are of unknown kind in every module."""
    store = (
        "class Base:\n    async def refresh(self) -> None: ...\n\n\n"
        "class Store(Base):\n    pass\n"
    )
    main = "from models import Store\n\n\ndef close() -> None:\n    Store().refresh()\n"
    reports = reports_by_line(
        tmp_path / "project", {"models.py": store, "patcher.py": patcher, "main.py": main},
        "main.py",
    )
    assert sum(reports.values()) == expected
