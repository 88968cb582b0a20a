"""Where a coroutine can be suspended: the points at which other tasks run (and at which a
cancellation arrives)."""

from __future__ import annotations

import libcst as cst

from concurlint.model.walk import descendants

# Nested definitions run later, or elsewhere: their awaits are not this code's.
SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def can_suspend(node: cst.CSTNode) -> bool:
    """True when ``node`` (itself or below it, outside nested scopes) awaits: ``await``,
    ``async for`` or ``async with``."""
    return any(
        isinstance(n, cst.Await)
        or (isinstance(n, (cst.For, cst.With)) and n.asynchronous is not None)
        for n in (node, *descendants(node, SCOPES))
    )
