"""Where a report is, as the matching sees it: a line that moves keeps its identity."""

from __future__ import annotations

from dataclasses import dataclass

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Place:
    """A reported line: ``text`` is its stripped text, and (project, path, code, text) its
    identity; ``line`` only tells two reports of the same text in one file apart."""

    project: str
    path: str
    line: int
    code: str
    text: str

    @property
    def key(self) -> Key:
        return (self.project, self.path, self.code, self.text)
