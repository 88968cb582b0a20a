"""Many files: answers from the cache first, the rest linted by the engine in parallel.

Importing this module does not import libcst or the rules: a run that the cache answers
entirely never loads them, which is most of what a warm run would otherwise cost.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TextIO

from concurlint.cache import Cache
from concurlint.config import Settings
from concurlint.diagnostic import FileResult
from concurlint.files import Unreadable, project_files
from concurlint.project import FileFacts, file_fingerprints, project_facts
from concurlint.unanalyzable import unreadable_result


class Progress:
    """``files done / total`` and a bar on one line of a terminal, redrawn at most ten
    times a second and erased at the end. The caller decides whether a terminal is there.

    Drawn from the start (the project pass comes before any file is done), and only for
    runs of ``MIN_FILES`` or more: a short run would only flicker. A ``TERM=dumb`` terminal
    gets no escape sequence: the line is erased by overwriting it with spaces."""

    WIDTH = 30
    INTERVAL = 0.1
    MIN_FILES = 20

    def __init__(self, total: int, stream: TextIO | None = None, dumb: bool = False) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.dumb = dumb
        self._drawn = 0.0
        self._width = 0
        if total >= self.MIN_FILES:
            self._draw(time.monotonic())

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.total >= self.MIN_FILES and (
            now - self._drawn >= self.INTERVAL or self.done == self.total
        ):
            self._draw(now)

    def _draw(self, now: float) -> None:
        self._drawn = now
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"[{bar}] {self.done}/{self.total} files"
        self._width = max(self._width, len(line))
        self.stream.write(f"\r{line}")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            erase = f"\r{' ' * self._width}\r" if self.dumb else "\r\x1b[K"
            self.stream.write(erase)
            self.stream.flush()


def lint_paths(
    paths: Sequence[str],
    settings: Settings,
    problems: Iterable[Unreadable] = (),
    jobs: int = 1,
    cache: Cache | None = None,
    progress: bool = False,
) -> list[FileResult]:
    """Lint every path (in parallel when ``jobs`` > 1), reusing cached results; sorted by
    path, so the output depends neither on scheduling nor on the order paths were given.

    The project pass comes first: the module summary (cached too) of every file of the
    project the paths belong to (``files.project_files``), joined into the facts each file
    gets about what it imports from the others. Only ``paths`` are reported on."""
    results = [unreadable_result(problem, settings) for problem in problems]
    bar = Progress(len(paths), dumb=os.environ.get("TERM") == "dumb") if progress else None
    members = project_files(paths, settings) if paths else []
    fingerprints = file_fingerprints(members, settings.max_file_size)
    facts = project_facts(members, settings, cache, fingerprints, jobs, wanted=paths)
    named = {path: fingerprints[path] for path in paths}
    pending = _answer_from_cache(named, cache, results, bar.advance if bar else None, facts)
    if pending:
        from concurlint.engine import lint_files  # loads libcst and the rules: only on a miss

        results.extend(lint_files(pending, settings, jobs, cache, bar.advance if bar else None,
                                  project=facts))
    if bar is not None:
        bar.close()
    return sorted(results, key=lambda result: result.path)


def _answer_from_cache(
    fingerprints: Mapping[str, str | Unreadable],
    cache: Cache | None,
    results: list[FileResult],
    on_done: Callable[[int], None] | None,
    facts: Mapping[str, FileFacts],
) -> list[str]:
    """Append the cached results; return the paths still to lint."""
    if cache is None:
        return list(fingerprints)
    pending = []
    for path, content in fingerprints.items():
        digest = facts[path].digest if path in facts else ""
        hit = cache.get(path, content, digest) if isinstance(content, str) else None
        if hit is None:
            pending.append(path)
            continue
        results.append(hit)
        if on_done is not None:
            on_done(1)
    return pending
