"""Fragments of code: a snippet from documentation or a notebook cell often uses a module
it never imports (``threading.Thread(...)`` without ``import threading``). A reader
understands the module; so does concurlint, for a short list of standard-library modules
about concurrency, and only when the name is bound nowhere in the file (in no scope): a
name the code binds itself is never guessed at."""

from __future__ import annotations

from collections.abc import Iterable

# Top-level names read as these modules when the code never binds them.
FRAGMENT_MODULES = frozenset({
    "asyncio", "concurrent", "multiprocessing", "queue", "socket", "subprocess", "threading",
    "time",
})


def implicit_modules(read: Iterable[str], bound: Iterable[str]) -> frozenset[str]:
    """The fragment modules among the names ``read`` that are never ``bound``."""
    return (frozenset(read) & FRAGMENT_MODULES) - frozenset(bound)
