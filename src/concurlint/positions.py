"""Source positions of reported nodes, as ``PositionProvider`` gives them, several times cheaper.

``PositionProvider`` regenerates the module's code and, for every token, splits it on line
breaks to keep a running line and column, then builds two ``CodePosition``s and a
``CodeRange`` for every node. Here the same code generation keeps only a running character
offset and records ``(start, end)`` offsets per node, honouring the same syntactic-position
hooks; only the nodes that are asked for are turned into lines and columns, against the
line starts of the generated text (which is the source: libcst round-trips exactly). Like
``PositionProvider``, the offset is not rewound when the module's missing trailing newline
is popped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange

_LINE_BREAK = re.compile(r"\r\n?|\n")  # as PositionProvider splits tokens


@dataclass
class _OffsetCodegenState(CodegenState):
    """Code generation that tracks offsets instead of text, lines and columns."""

    length: int = 0
    spans: dict[cst.CSTNode, tuple[int, int]] = field(default_factory=dict)
    _starts: list[int] = field(default_factory=list)

    def add_indent_tokens(self) -> None:
        super().add_indent_tokens()
        self.length += sum(len(token) for token in self.indent_tokens)

    def add_token(self, value: str) -> None:
        super().add_token(value)
        self.length += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(self.length)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        if node not in self.spans:  # a syntactic position recorded inside wins
            self.spans[node] = (start, self.length)

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = self.length
        try:
            yield
        finally:
            end = self.length
            if start_node is not None:
                start = self.spans[start_node][0]
            if end_node is not None:
                end = self.spans[end_node][1]
            self.spans[node] = (start, end)


class Positions:
    """``positions[node]`` is the node's ``CodeRange``, equal to ``PositionProvider``'s."""

    def __init__(self, module: cst.Module, text: str) -> None:
        state = _OffsetCodegenState(module.default_indent, module.default_newline)
        module._codegen(state)
        self._spans = state.spans
        if not module.has_trailing_newline:
            text += module.default_newline  # generated, then popped: positions count it
        self._line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        start, end = self._spans[node]
        return CodeRange(self._position(start), self._position(end))

    def _position(self, offset: int) -> CodePosition:
        line = bisect_right(self._line_starts, offset)
        return CodePosition(line, offset - self._line_starts[line - 1])
