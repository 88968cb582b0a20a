"""Imports between the files of a run resolve through ``src`` layouts and through a namespace
package split over several distributions, as they would once the distributions are installed."""

from __future__ import annotations

from pathlib import Path

from concurlint.config import load_settings
from concurlint.files import discover
from concurlint.runner import lint_paths

QUEUES = """\
class QueueDB:
    async def is_empty(self, queue: int) -> bool:
        return True
"""
STATUS = """\
from ns.db.queues import QueueDB


async def prune(db: QueueDB, queue: int) -> None:
    if not db.is_empty(queue):
        return
"""
STATUS_PATH = "ns-logic/src/ns/logic/status.py"


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def _monorepo(root: Path, project_files: bool = True) -> Path:
    """Two distributions of the namespace package ``ns``: ``ns.db`` and ``ns.logic``."""
    files = {
        "ns-db/src/ns/db/__init__.py": "",
        "ns-db/src/ns/db/queues.py": QUEUES,
        "ns-logic/src/ns/logic/__init__.py": "",
        STATUS_PATH: STATUS,
    }
    if project_files:
        files |= {"ns-db/pyproject.toml": "", "ns-logic/pyproject.toml": ""}
    return _write(root, files)


def _reports(root: Path, *named: str) -> set[tuple[str, int, str]]:
    settings = load_settings(start=root)
    paths, problems = discover([str(root / name) for name in named], settings)
    assert not problems
    return {
        (Path(result.path).relative_to(root).as_posix(), diagnostic.span.line, diagnostic.code)
        for result in lint_paths(paths, settings)
        for diagnostic in result.diagnostics
    }


def test_a_namespace_package_over_two_distributions_resolves_across_them(
    tmp_path: Path,
) -> None:
    root = _monorepo(tmp_path)
    assert _reports(root, "ns-logic/src", "ns-db/src") == {(STATUS_PATH, 5, "CCL202")}


def test_the_report_does_not_depend_on_how_the_linted_files_are_named(tmp_path: Path) -> None:
    root = _monorepo(tmp_path)
    whole = _reports(root, "ns-logic/src", "ns-db/src")
    assert whole
    assert _reports(root, "ns-db/src", "ns-logic/src") == whole
    assert _reports(root, "ns-db", STATUS_PATH, "ns-logic/src/ns") == whole


def test_a_configured_monorepo_gives_a_file_named_alone_its_other_distributions(
    tmp_path: Path,
) -> None:
    root = _monorepo(tmp_path)
    _write(root, {"pyproject.toml": "[tool.concurlint]\n"})
    assert _reports(root, STATUS_PATH) == {(STATUS_PATH, 5, "CCL202")}


def test_a_src_layout_file_named_alone_resolves_its_sibling(tmp_path: Path) -> None:
    """Linted from a folder above the distribution (no configuration): the names come from
    the distribution's ``src``, not from the working folder."""
    root = _write(tmp_path, {
        "svc/pyproject.toml": "",
        "svc/src/pkg/__init__.py": "",
        "svc/src/pkg/storage.py": "import time\n\n\ndef save() -> None:\n    time.sleep(1)\n",
        "svc/src/pkg/api.py": "from pkg.storage import save\n\n\nasync def handle() -> None:\n"
                               "    save()\n",
    })
    assert _reports(root, "svc/src/pkg/api.py") == {("svc/src/pkg/api.py", 5, "CCL201")}


def test_configured_src_roots_name_the_modules_where_no_project_file_does(
    tmp_path: Path,
) -> None:
    root = _monorepo(tmp_path, project_files=False)
    _write(root, {"pyproject.toml": "[tool.concurlint]\n"})
    assert _reports(root, STATUS_PATH) == set()
    _write(root, {"pyproject.toml": '[tool.concurlint]\nsrc = ["ns-db/src", "ns-logic/src"]\n'})
    assert _reports(root, STATUS_PATH) == {(STATUS_PATH, 5, "CCL202")}
