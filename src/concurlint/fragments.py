"""Fragments of code: a snippet from documentation or a notebook cell often uses a module
it never imports (``threading.Thread(...)`` without ``import threading``). A reader
understands the module; so does concurlint, for a short list of standard-library modules
about concurrency, and only when the name is bound nowhere in the file (in no scope): a
name the code binds itself is never guessed at."""

from __future__ import annotations

from collections.abc import Iterable

# Top-level names read as these modules when the code never binds them. Only modules whose
# names no fix has to import: a fix adding `import asyncio` to a fragment would also have to
# add the imports the fragment lacks, so `asyncio`, `time` and the modules whose calls CCL201
# offers to move to a thread are left out.
FRAGMENT_MODULES = frozenset({"_thread", "concurrent", "multiprocessing", "queue", "threading"})


def implicit_modules(read: Iterable[str], bound: Iterable[str]) -> frozenset[str]:
    """The fragment modules among the names ``read`` that are never ``bound``."""
    return (frozenset(read) & FRAGMENT_MODULES) - frozenset(bound)
