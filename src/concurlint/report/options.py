"""What a text formatter may take into account beyond the diagnostics themselves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from concurlint.files import Source, read_source
from concurlint.report.style import PLAIN, Style


def read_text(path: str) -> str | None:
    source = read_source(path)
    return source.text if isinstance(source, Source) else None


@dataclass(frozen=True)
class RenderOptions:
    style: Style = PLAIN
    show_fixes: bool = False  # `full`: each fix as a diff
    unsafe_fixes: bool = False  # unsafe fixes are applicable, so marked `[*]`
    read: Callable[[str], str | None] = read_text  # a reported file's text (`full`)
