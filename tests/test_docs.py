"""The docs say what the code does: the CI workflow's commands parse, the pre-commit snippet
names real hooks, every configuration key is documented."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml
from conftest import ROOT

from concurlint.cli import build_parser
from concurlint.config import _KEYS

FENCE = re.compile(r"```(?P<lang>\w*)\n(?P<body>.*?)```", re.DOTALL)


def blocks(text: str, lang: str) -> list[str]:
    return [m.group("body") for m in FENCE.finditer(text) if m.group("lang") == lang]


def manifest() -> list[dict]:
    return yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def workflow_commands() -> list[str]:
    """Every ``concurlint ...`` command in the ``run:`` steps of docs/ci.md's workflows."""
    text = (ROOT / "docs" / "ci.md").read_text()
    (workflow, job) = [yaml.safe_load(block) for block in blocks(text, "yaml")]
    jobs = [*workflow["jobs"].values(), *job.values()]
    runs = [step["run"] for j in jobs for step in j["steps"] if "run" in step]
    return [
        line.strip().split(">")[0]
        for run in runs
        for line in run.splitlines()
        if line.strip().startswith("concurlint ")
    ]


def test_ci_workflow_uses_fix_and_github_format() -> None:
    commands = workflow_commands()
    assert any("--fix" in command for command in commands)
    assert any("--format github" in command for command in commands)


def test_ci_workflow_commands_are_valid_concurlint_invocations() -> None:
    parser = build_parser()
    for command in workflow_commands():
        parser.parse_args(shlex.split(command)[1:])


def test_one_hook_checks_python_files_and_notebooks_with_force_exclude() -> None:
    (hook,) = manifest()
    assert hook["id"] == "concurlint"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "pyi", "jupyter"]
    assert "--force-exclude" in hook["entry"]
    assert "--fix" not in hook["entry"]  # users opt in with `args: [--fix]`, as with ruff


@pytest.mark.parametrize("page", ["README.md", "docs/integrations.md"])
def test_pre_commit_snippets_name_the_real_hook_with_fix_as_an_argument(page: str) -> None:
    (snippet,) = [
        yaml.safe_load(block)
        for block in blocks((ROOT / page).read_text(), "yaml")
        if "repos" in block
    ]
    (hook,) = [hook for repo in snippet["repos"] for hook in repo["hooks"]]
    assert hook["id"] in {hook["id"] for hook in manifest()}
    assert hook["args"] == ["--fix"]


def test_every_configuration_key_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    for key in _KEYS:
        assert f"### `{key}`" in text


BARE_INSTALL = re.compile(r"pip install (?:-\S+ )*concurlint(?![\w@ ]*@)(?:\s|$)")
INSTALL_PAGES = ["README.md", "docs/getting-started.md", "docs/integrations.md", "docs/ci.md"]


@pytest.mark.parametrize("page", INSTALL_PAGES)
def test_install_instructions_use_the_repository_until_a_release_exists(page: str) -> None:
    text = (ROOT / page).read_text()
    assert not BARE_INSTALL.search(text), "concurlint is not published on PyPI"
    assert "pip install" in text


def test_integrations_say_how_to_install_from_a_clone_or_a_git_url() -> None:
    text = (ROOT / "docs" / "integrations.md").read_text()
    assert 'pip install "concurlint @ git+https://' in text
    assert "pip install ./concurlint" in text
