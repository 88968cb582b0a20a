"""A file's module name: from the configured ``src`` roots, else from the nearest project
root (or its ``src/``), with namespace packages below a root; ``__init__.py`` walk elsewhere."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from concurlint.config import Settings
from concurlint.module_names import ModuleNames


def _touch(root: Path, *relatives: str) -> None:
    for relative in relatives:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("", encoding="utf-8")


def _name(names: ModuleNames, root: Path, relative: str) -> str:
    return names(str(root / relative))[0]


def test_a_src_layout_is_named_from_its_src_folder(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "proj/pyproject.toml",
        "proj/src/pkg/__init__.py",
        "proj/src/pkg/mod.py",
        "proj/tests/test_mod.py",
    )
    names = ModuleNames()
    assert names(str(tmp_path / "proj/src/pkg/mod.py")) == ("pkg.mod", False)
    assert names(str(tmp_path / "proj/src/pkg/__init__.py")) == ("pkg", True)
    assert _name(names, tmp_path, "proj/tests/test_mod.py") == "tests.test_mod"


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg", "setup.py"])
def test_each_project_file_marks_a_project_root(tmp_path: Path, marker: str) -> None:
    _touch(tmp_path, f"proj/{marker}", "proj/src/pkg/__init__.py", "proj/src/pkg/mod.py")
    assert _name(ModuleNames(), tmp_path, "proj/src/pkg/mod.py") == "pkg.mod"


def test_a_namespace_package_over_two_distributions_gets_one_set_of_names(
    tmp_path: Path,
) -> None:
    _touch(
        tmp_path,
        "repo/pyproject.toml",
        "repo/ns-db/pyproject.toml",
        "repo/ns-db/src/ns/db/__init__.py",
        "repo/ns-db/src/ns/db/sql.py",
        "repo/ns-logic/pyproject.toml",
        "repo/ns-logic/src/ns/logic/jobs/status.py",
    )
    names = ModuleNames(project=str(tmp_path / "repo"))
    assert _name(names, tmp_path, "repo/ns-db/src/ns/db/sql.py") == "ns.db.sql"
    assert _name(names, tmp_path, "repo/ns-logic/src/ns/logic/jobs/status.py") == (
        "ns.logic.jobs.status"
    )


def test_configured_src_roots_override_the_detected_ones(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "repo/lib/pkg/mod.py",
        "repo/dist/pyproject.toml",
        "repo/dist/src/other/__init__.py",
        "repo/dist/src/other/mod.py",
    )
    names = ModuleNames.of(Settings(src=("lib",), root=tmp_path / "repo"))
    assert _name(names, tmp_path, "repo/lib/pkg/mod.py") == "pkg.mod"
    # outside every configured root: the folders holding an __init__.py, nothing detected
    assert _name(names, tmp_path, "repo/dist/src/other/mod.py") == "other.mod"


def test_a_module_named_setup_inside_a_package_marks_no_project(tmp_path: Path) -> None:
    _touch(tmp_path, "app/__init__.py", "app/setup.py", "app/core.py")
    names = ModuleNames(project=str(tmp_path))
    assert _name(names, tmp_path, "app/core.py") == "app.core"
    assert _name(names, tmp_path, "app/setup.py") == "app.setup"


def test_a_package_named_src_is_a_package_not_a_root(tmp_path: Path) -> None:
    _touch(tmp_path, "proj/pyproject.toml", "proj/src/__init__.py", "proj/src/mod.py")
    assert _name(ModuleNames(), tmp_path, "proj/src/mod.py") == "src.mod"


def test_outside_every_root_the_init_files_make_the_package(tmp_path: Path) -> None:
    _touch(tmp_path, "loose/pkg/__init__.py", "loose/pkg/mod.py", "loose/script.py")
    names = ModuleNames(project=str(tmp_path / "elsewhere"))
    assert _name(names, tmp_path, "loose/pkg/mod.py") == "pkg.mod"
    assert _name(names, tmp_path, "loose/script.py") == "script"


_SEGMENT = st.text(string.ascii_lowercase, min_size=1, max_size=6).filter(
    lambda segment: segment not in ("src", "tests")
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    packages=st.lists(_SEGMENT, min_size=1, max_size=4),
    module=_SEGMENT,
    marker=st.sampled_from(["", "pyproject.toml", "setup.cfg", "setup.py"]),
)
def test_an_ordinary_package_is_named_the_same_whichever_root_is_found(
    tmp_path_factory: pytest.TempPathFactory,
    packages: list[str],
    module: str,
    marker: str,
) -> None:
    """Every folder a package (``__init__.py``), at the top of a project or of no project:
    the name is its dotted path, whether the root is the working folder, a project file,
    a configured ``src``, or no root at all (the ``__init__.py`` walk)."""
    top = tmp_path_factory.mktemp("top")
    folder = "/".join(packages)
    _touch(
        top,
        *(f"{'/'.join(packages[:end])}/__init__.py" for end in range(1, len(packages) + 1)),
        f"{folder}/{module}.py",
        *([marker] if marker else []),
    )
    expected = ".".join([*packages, module])
    for names in (
        ModuleNames(project=str(top)),
        ModuleNames(),
        ModuleNames.of(Settings(src=(".",), root=top)),
    ):
        assert _name(names, top, f"{folder}/{module}.py") == expected
        assert names(str(top / folder / "__init__.py")) == (".".join(packages), True)
