"""Work spread over processes, surviving what happens to them.

``ProcessPoolExecutor`` alone loses every result when one worker dies (the OOM killer, a
native crash): the pool breaks and each pending future raises. Here a task is given to the
pool only when a worker is about to be free, so that when the pool breaks, the tasks still
running are known. Those are suspects: each is run again alone, in a fresh process, and
one that kills that process too is reported lost; the tasks never started go to a fresh
pool. A task the caller marks heavy (a large file) runs while no other heavy task does, so
the largest files are not all in memory at once.

Workers ignore Ctrl-C (the main process alone reports it, then stops them) and exit when
the main process is gone (a ``SIGKILL`` of it leaves no orphans). Where processes cannot
be started at all (no writable ``/dev/shm``), the tasks run in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Generic, TypeVar

_Task = TypeVar("_Task")
_Result = TypeVar("_Result")
# Tasks handed to the pool beyond one per worker: the next task is ready when one ends.
_AHEAD = 1
_PARENT_POLL = 0.5  # seconds between checks that the main process is still there
_MAX_ATTEMPTS = 2  # runs of a suspect (the first in the pool, then alone) before it is lost


@dataclass(frozen=True)
class Lost:
    """A task that gave no result: its process died every time it ran it, or it raised."""

    reason: str


DIED = Lost("the process linting it died (killed, or out of memory)")


def usable_jobs(jobs: int) -> int:
    """``jobs``, or 1 with one warning where worker processes cannot be started: the pool's
    queues need semaphores, which need a writable ``/dev/shm`` on Linux."""
    if jobs <= 1:
        return jobs
    try:
        multiprocessing.get_context().Lock()
    except (OSError, ImportError, NotImplementedError) as error:
        _warn(error)
        return 1
    return jobs


def _warn(error: BaseException) -> None:
    print(f"concurlint: warning: cannot start worker processes ({error}); "
          "running in one process", file=sys.stderr)


class Pool(Generic[_Task, _Result]):
    """Runs ``function(task)`` for every task on ``jobs`` processes, each set up once by
    ``initializer(*initargs)``; ``on_result(index, result)`` runs here, as results come."""

    def __init__(
        self,
        function: Callable[[_Task], _Result],
        jobs: int,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[object, ...] = (),
        heavy: Callable[[_Task], bool] = lambda _task: False,
    ) -> None:
        self.function = function
        self.jobs = jobs
        self.initializer = initializer
        self.initargs = initargs
        self.heavy = heavy

    def map(
        self,
        tasks: Sequence[_Task],
        on_result: Callable[[int, _Result | Lost], None] | None = None,
    ) -> list[_Result | Lost]:
        results: dict[int, _Result | Lost] = {}

        def done(index: int, result: _Result | Lost) -> None:
            results[index] = result
            if on_result is not None:
                on_result(index, result)

        pending = deque(range(len(tasks)))
        suspects: deque[int] = deque()
        attempts = [0] * len(tasks)
        while pending or suspects:
            alone = bool(suspects)
            queue = suspects if alone else pending
            try:
                broken = self._run(tasks, queue, 1 if alone else self.jobs, done, not alone)
            except (OSError, ImportError, NotImplementedError) as error:
                _warn(error)
                left = [index for index in range(len(tasks)) if index not in results]
                self._run_here(tasks, left, done)
                break
            for index in broken:
                attempts[index] += 1
                if attempts[index] >= _MAX_ATTEMPTS:
                    done(index, DIED)
                else:
                    suspects.append(index)
        return [results[index] for index in range(len(tasks))]

    def _run(
        self,
        tasks: Sequence[_Task],
        queue: deque[int],
        jobs: int,
        done: Callable[[int, _Result | Lost], None],
        ahead: bool,
    ) -> list[int]:
        """Run tasks from ``queue`` until it is empty or the pool breaks; return the tasks
        that were running when it broke. A suspect runs alone: no task waits behind it."""
        pool = ProcessPoolExecutor(
            max_workers=jobs, initializer=_start_worker,
            initargs=(os.getpid(), self.initializer, self.initargs),
        )
        running: dict[Future[_Result], int] = {}
        clean = False
        try:
            while queue or running:
                self._submit(pool, tasks, queue, running, jobs + _AHEAD * ahead)
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                if any(isinstance(future.exception(), BrokenProcessPool) for future in finished):
                    return self._collect(running, done)
                for future in finished:
                    _deliver(future, running.pop(future), done)
            clean = True
            return []
        except BaseException:
            _stop(pool)
            raise
        finally:
            pool.shutdown(wait=clean, cancel_futures=True)

    @staticmethod
    def _collect(
        running: dict[Future[_Result], int], done: Callable[[int, _Result | Lost], None]
    ) -> list[int]:
        """The pool broke: deliver what finished before, return the tasks that did not."""
        broken = []
        for future, index in running.items():
            if isinstance(future.exception(), BrokenProcessPool):
                broken.append(index)
            else:
                _deliver(future, index, done)
        running.clear()
        return sorted(broken)

    def _submit(
        self,
        pool: ProcessPoolExecutor,
        tasks: Sequence[_Task],
        queue: deque[int],
        running: dict[Future[_Result], int],
        limit: int,
    ) -> None:
        """Hand the pool tasks up to ``limit`` running, at most one heavy task at a time."""
        heavy_running = any(self.heavy(tasks[index]) for index in running.values())
        skipped: list[int] = []
        while queue and len(running) < limit:
            index = queue.popleft()
            if self.heavy(tasks[index]):
                if heavy_running:
                    skipped.append(index)
                    continue
                heavy_running = True
            running[pool.submit(self.function, tasks[index])] = index
        queue.extendleft(reversed(skipped))

    def _run_here(
        self, tasks: Sequence[_Task], indexes: list[int],
        done: Callable[[int, _Result | Lost], None],
    ) -> None:
        if self.initializer is not None:
            self.initializer(*self.initargs)
        for index in indexes:
            done(index, self.function(tasks[index]))


def _deliver(
    future: Future[_Result], index: int, done: Callable[[int, _Result | Lost], None]
) -> None:
    error = future.exception()
    done(index, future.result() if error is None else Lost(f"{type(error).__name__}: {error}"))


def _start_worker(
    parent: int, initializer: Callable[..., None] | None, initargs: tuple[object, ...]
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True,
                     name="concurlint-parent-watch").start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with(parent: int) -> None:
    """Exit this worker once the main process is gone (it was then re-parented)."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os._exit(1)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now (Ctrl-C): they would otherwise finish their tasks first."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()
