"""The registry of rules: an explicit list, so that importing a module never registers one."""

from __future__ import annotations

from concurlint.checks.await_updates import UpdateAcrossAwait
from concurlint.checks.cancellation import CancellationSwallowed
from concurlint.checks.coroutines import (
    BlockingCallInCoroutine,
    CoroutineNeverAwaited,
    EventLoopInCoroutine,
    TaskReferenceLost,
    ThreadLockHeldAcrossAwait,
)
from concurlint.checks.executors import ExecutorExceptionLost
from concurlint.checks.forking import ForkWithThreads
from concurlint.checks.gevent import (
    GeventWithAsyncio,
    LateMonkeyPatch,
    MissingMonkeyPatch,
    PartialMonkeyPatch,
)
from concurlint.checks.lock_release import LockAcquireWithoutRelease
from concurlint.checks.loop_threads import AsyncioApiFromThread
from concurlint.checks.processes import (
    GlobalWriteInProcess,
    MissingMainGuard,
    UnpicklableProcessArgument,
    UnpicklableProcessTarget,
)
from concurlint.checks.threads import (
    LockOrderInversion,
    ThreadLambdaLateBinding,
    ThreadTargetCalled,
    UnguardedSharedState,
)
from concurlint.checks.useless_lock import UselessLock
from concurlint.rule import Rule

ALL_RULES: tuple[type[Rule], ...] = (
    UnguardedSharedState,
    ThreadTargetCalled,
    LockAcquireWithoutRelease,
    LockOrderInversion,
    ThreadLambdaLateBinding,
    UselessLock,
    BlockingCallInCoroutine,
    CoroutineNeverAwaited,
    TaskReferenceLost,
    EventLoopInCoroutine,
    ThreadLockHeldAcrossAwait,
    CancellationSwallowed,
    UpdateAcrossAwait,
    AsyncioApiFromThread,
    ExecutorExceptionLost,
    UnpicklableProcessTarget,
    UnpicklableProcessArgument,
    MissingMainGuard,
    GlobalWriteInProcess,
    ForkWithThreads,
    MissingMonkeyPatch,
    LateMonkeyPatch,
    PartialMonkeyPatch,
    GeventWithAsyncio,
)
