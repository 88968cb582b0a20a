"""Which files a run lints and with which settings, as ruff decides it: gitignore-style
excludes (also for named files under --force-exclude), .gitignore, and the nearest
pyproject.toml above each file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_cli import BLOCKING, run


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project with folders to exclude, one git ignores, and tests with per-file-ignores."""
    proj = tmp_path / "proj"
    for name in ("migrations/m.py", "build2/x/b.py", "deep/build3/c.py", "tests/t.py", "gen/g.py",
                 "app.py"):
        (proj / name).parent.mkdir(parents=True, exist_ok=True)
        (proj / name).write_text(BLOCKING)
    (proj / "pyproject.toml").write_text(
        "[tool.concurlint]\n"
        'extend-exclude = ["migrations", "build2/", "**/build3"]\n'
        'per-file-ignores = { "tests/*" = ["CCL201"] }\n'
    )
    (proj / ".gitignore").write_text("gen/\n")
    subprocess.run(["git", "init", "-q", str(proj)], check=True)
    return tmp_path


@pytest.mark.parametrize("name", ["migrations/m.py", "build2/x/b.py", "deep/build3/c.py"])
def test_force_exclude_honours_folder_patterns_for_named_files(repo: Path, name: str) -> None:
    completed = run(["--no-cache", "--force-exclude", f"proj/{name}"], repo)
    assert (completed.returncode, "CCL201" in completed.stdout) == (0, False)


def test_named_file_is_linted_without_force_exclude(repo: Path) -> None:
    assert run(["--no-cache", "proj/migrations/m.py"], repo).returncode == 1


def test_folder_patterns_prune_the_walk(repo: Path) -> None:
    completed = run(["--no-cache", "--show-files", "proj"], repo)
    shown = {Path(line).relative_to(repo / "proj").as_posix() for line in completed.stdout.split()}
    assert shown == {"app.py", "tests/t.py"}


def test_gitignore_is_respected_by_default(repo: Path) -> None:
    assert "gen/g.py" not in run(["--no-cache", "proj"], repo).stdout


def test_no_respect_gitignore_lints_ignored_files(repo: Path) -> None:
    completed = run(["--no-cache", "--no-respect-gitignore", "proj"], repo)
    assert "proj/gen/g.py:5:5: CCL201" in completed.stdout


def test_respect_gitignore_setting_off(repo: Path) -> None:
    with (repo / "proj" / "pyproject.toml").open("a") as config:
        config.write("respect-gitignore = false\n")
    assert "proj/gen/g.py:5:5: CCL201" in run(["--no-cache", "proj"], repo).stdout


def test_gitignore_outside_a_git_repository_is_not_read(repo: Path) -> None:
    subprocess.run(["rm", "-rf", str(repo / "proj" / ".git")], check=True)
    assert "proj/gen/g.py:5:5: CCL201" in run(["--no-cache", "proj"], repo).stdout


def test_settings_come_from_the_pyproject_above_each_file(repo: Path) -> None:
    """Run from outside ``proj``: its per-file-ignores still apply to proj/tests."""
    completed = run(["--no-cache", "proj/tests"], repo)
    assert (completed.returncode, completed.stdout) == (0, "All checks passed!\n")


def test_two_projects_in_one_run_keep_their_own_settings(repo: Path) -> None:
    other = repo / "other"
    (other / "tests").mkdir(parents=True)
    (other / "tests" / "t.py").write_text(BLOCKING)
    (other / "pyproject.toml").write_text("[tool.concurlint]\nselect = ['CCL']\n")
    completed = run(["--no-cache", "proj/tests", "other/tests"], repo)
    assert completed.stdout.splitlines()[0].startswith("other/tests/t.py:5:5: CCL201")
    assert "proj/tests" not in completed.stdout


def test_config_option_applies_one_file_to_every_path(repo: Path) -> None:
    config = repo / "strict.toml"
    config.write_text("select = ['CCL']\n")
    assert run(["--no-cache", "--config", str(config), "proj/tests"], repo).returncode == 1


def test_show_settings_names_the_root_that_won(repo: Path) -> None:
    completed = run(["--show-settings", "proj/tests/t.py"], repo)
    assert f'root = "{repo / "proj"}"' in completed.stdout.splitlines()


def test_no_python_files_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    completed = run(["empty"], tmp_path)
    assert completed.returncode == 0
    assert "warning: No Python files found under the given path(s)" in completed.stderr


def test_a_stub_is_read_for_syntax_errors_only(tmp_path: Path) -> None:
    """Python never runs a ``.pyi``: its bodies (some generators copy the module into its
    stub) give no report, while the module beside it does, and a broken stub is one CCL001."""
    (tmp_path / "client.py").write_text(BLOCKING)
    (tmp_path / "client.pyi").write_text(BLOCKING)
    (tmp_path / "broken.pyi").write_text("def f(:\n")
    completed = run(["--no-cache", "--output-format", "concise", "."], tmp_path)
    reports = {(line.split(":")[0], line.split()[1]) for line in completed.stdout.splitlines()
               if ": CCL" in line}
    assert reports == {("client.py", "CCL201"), ("broken.pyi", "CCL001")}
