"""The registry of rules: an explicit list, so that importing a module never registers one."""

from __future__ import annotations

from concurlint.checks.coroutines import (
    BlockingCallInCoroutine,
    CoroutineNeverAwaited,
    EventLoopInCoroutine,
    TaskReferenceLost,
)
from concurlint.checks.processes import (
    GlobalWriteInProcess,
    MissingMainGuard,
    UnpicklableProcessArgument,
    UnpicklableProcessTarget,
)
from concurlint.rule import Rule

ALL_RULES: tuple[type[Rule], ...] = (
    BlockingCallInCoroutine,
    CoroutineNeverAwaited,
    TaskReferenceLost,
    EventLoopInCoroutine,
    UnpicklableProcessTarget,
    UnpicklableProcessArgument,
    MissingMainGuard,
    GlobalWriteInProcess,
)
