"""Positions computed from offsets equal libcst's PositionProvider for every node."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider
from test_screen import fixture_files, stdlib_sample

from concurlint.engine import run_with_deep_stack
from concurlint.positions import Positions


def _compare(text: str) -> None:
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(module, text)
    assert all(positions[node] == expected[node] for node in expected)


@pytest.mark.parametrize("corpus", [fixture_files, stdlib_sample], ids=["fixtures", "stdlib"])
def test_positions_equal_position_provider(corpus) -> None:
    for path in corpus():
        with open(path, encoding="utf-8", newline="") as stream:
            run_with_deep_stack(_compare, stream.read())


@pytest.mark.parametrize(
    "text",
    ["x = 1", "x = 1\r\ny = 2\r\n", "if x:\r    y()\r", "", "\n\n# c\n", "s = '''a\nb'''; t()\n"],
    ids=["no-final-newline", "crlf", "cr", "empty", "comments-only", "multiline-string"],
)
def test_positions_equal_position_provider_on_edge_cases(text: str) -> None:
    _compare(text)
