"""The docs say what the code does: the CI workflow's commands parse, the pre-commit snippet
names real hooks, every configuration key is documented."""

from __future__ import annotations

import re
import shlex

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


def test_hooks_check_and_fix_python_files_with_force_exclude() -> None:
    hooks = {hook["id"]: hook for hook in manifest()}
    assert set(hooks) == {"concurlint", "concurlint-fix"}
    assert "--fix" in hooks["concurlint-fix"]["entry"]
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi"]
        assert "--force-exclude" in hook["entry"]


def test_readme_pre_commit_snippet_names_the_real_hooks() -> None:
    (snippet,) = [
        yaml.safe_load(block)
        for block in blocks((ROOT / "README.md").read_text(), "yaml")
        if "repos" in block
    ]
    used = {hook["id"] for repo in snippet["repos"] for hook in repo["hooks"]}
    assert used == {hook["id"] for hook in manifest()}


def test_every_configuration_key_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    for key in _KEYS:
        assert f"### `{key}`" in text
