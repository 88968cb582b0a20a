"""Metamorphic test: without `async`/`await` there is no coroutine, so the rules about code
running inside one (CCL201, CCL204) must go silent. CCL202 keeps reporting only what is still
a coroutine function: the catalog's (`asyncio.sleep` stays one), never a function of the file."""

from __future__ import annotations

import libcst as cst
import pytest
from fixture_cases import Fixture, lint_cases

from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source

_STRIPPED_FOLDERS = ("CCL201", "CCL202", "CCL204")


class _StripAsync(cst.CSTTransformer):
    """Removes every `async` keyword and `await` operator, keeping line numbers."""

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        return updated_node.with_changes(asynchronous=None)

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        return updated_node.with_changes(asynchronous=None)

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        return updated_node.with_changes(asynchronous=None)

    def leave_CompFor(self, original_node: cst.CompFor, updated_node: cst.CompFor) -> cst.CompFor:
        return updated_node.with_changes(asynchronous=None)

    def leave_Await(
        self, original_node: cst.Await, updated_node: cst.Await
    ) -> cst.BaseExpression:
        return updated_node.expression.with_changes(
            lpar=[*updated_node.lpar, *updated_node.expression.lpar],
            rpar=[*updated_node.expression.rpar, *updated_node.rpar],
        )


def _stripped(fixture: Fixture) -> Source:
    text = fixture.path.read_text(encoding="utf-8")
    module = cst.parse_module(text).visit(_StripAsync())
    assert module.code.count("\n") == text.count("\n")
    return Source(str(fixture.path), module.code, "utf-8")


@pytest.mark.parametrize(
    "fixture",
    [f for f in lint_cases() if f.code in _STRIPPED_FOLDERS],
    ids=lambda f: f.id,
)
def test_stripping_async_silences_the_coroutine_rules(fixture: Fixture, ruleset: RuleSet) -> None:
    diagnostics = lint_source(_stripped(fixture), ruleset).diagnostics
    assert [d.code for d in diagnostics if d.code in ("CCL001", "CCL201", "CCL204")] == []
    coroutine_functions = {f"{name}()" for name in ruleset.catalog.names("coroutine-functions")}
    still_coroutines = [dict(d.args)["call"] for d in diagnostics if d.code == "CCL202"]
    assert set(still_coroutines) <= coroutine_functions


def test_stripping_async_keeps_asyncio_sleep_a_coroutine(ruleset: RuleSet) -> None:
    (fixture,) = [f for f in lint_cases() if f.id == "CCL202/cases.py"]
    diagnostics = lint_source(_stripped(fixture), ruleset).diagnostics
    assert "asyncio.sleep()" in {dict(d.args)["call"] for d in diagnostics if d.code == "CCL202"}
