from __future__ import annotations

import pytest

from concurlint.noqa import is_suppressed


@pytest.mark.parametrize(
    ("line", "code", "suppressed"),
    [
        ("time.sleep(1)  # noqa", "CCL201", True),
        ("time.sleep(1)  # noqa: CCL201", "CCL201", True),
        ("time.sleep(1)  # NOQA:CCL201,CCL203", "CCL203", True),
        ("time.sleep(1)  # noqa: CCL2", "CCL201", True),
        ("time.sleep(1)  # noqa: CCL202", "CCL201", False),
        ("time.sleep(1)  # noqa: E501, CCL201", "CCL201", True),
        ("time.sleep(1)", "CCL201", False),
    ],
)
def test_noqa_grammar(line: str, code: str, suppressed: bool) -> None:
    assert is_suppressed(code, line) is suppressed
