"""Which codes a run reports for a given path: select/ignore plus per-file-ignores.

Kept apart from the engine (and from libcst) because a run answered from the cache needs it
too, and must not pay for importing the parser.
"""

from __future__ import annotations

import os
from fnmatch import fnmatch
from pathlib import Path

from concurlint.config import Settings


def ignored_in(settings: Settings, path: str) -> list[str]:
    """The code prefixes ``per-file-ignores`` switches off for ``path``."""
    return [
        code
        for pattern, codes in settings.per_file_ignores
        if _path_matches(path, pattern, settings.root)
        for code in codes
    ]


def selected_for(settings: Settings, path: str, code: str) -> bool:
    return settings.selects(code) and not any(
        code.startswith(prefix) for prefix in ignored_in(settings, path)
    )


def _path_matches(path: str, pattern: str, root: Path) -> bool:
    candidate = Path(path)
    try:
        relative = Path(os.path.realpath(candidate)).relative_to(root).as_posix()
    except ValueError:
        relative = candidate.as_posix()
    return fnmatch(relative, pattern) or fnmatch(candidate.name, pattern)
