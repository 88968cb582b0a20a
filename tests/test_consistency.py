"""Every rule is complete: catalog metadata, a fixture folder, a rule class — and back."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

from concurlint.checks import ALL_RULES
from concurlint.engine import UNANALYZABLE
from concurlint.model.catalog import load_catalog
from concurlint.noqa import UNUSED_NOQA
from concurlint.rule import Rule

_METADATA_KEYS = ("name", "summary", "book", "why", "fix")
_KEBAB = re.compile(r"^[a-z]+(-[a-z]+)*$")
CATALOG_RULES = load_catalog().section("rules")


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_has_catalog_metadata(rule: type[Rule]) -> None:
    entry = CATALOG_RULES.get(rule.code, {})
    missing = [key for key in _METADATA_KEYS if not str(entry.get(key, "")).strip()]
    assert missing == [], f"{rule.code}: missing {missing} in rules/*.toml"
    assert _KEBAB.match(entry["name"]), entry["name"]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_has_runnable_fixtures(rule: type[Rule]) -> None:
    folder = FIXTURES / rule.code
    assert (folder / "bad.py").is_file() and (folder / "good.py").is_file()


def test_every_catalog_rule_has_a_rule_class() -> None:
    implemented = {rule.code for rule in ALL_RULES}
    assert set(CATALOG_RULES) - {UNANALYZABLE, UNUSED_NOQA} == implemented


def test_rule_codes_and_names_are_unique() -> None:
    codes = [rule.code for rule in ALL_RULES]
    names = [CATALOG_RULES[code]["name"] for code in CATALOG_RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
