"""Shared test helpers: the repository layout and a linter configured like the CLI's."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from concurlint.config import Settings
from concurlint.engine import RuleSet

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

hypothesis_settings.register_profile("ci", max_examples=30, deadline=None)
hypothesis_settings.register_profile("long", max_examples=2000, deadline=None)
hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return RuleSet.build(Settings(root=ROOT))
