"""Work spread over processes, surviving what happens to them.

``ProcessPoolExecutor`` cannot survive a worker killed at the wrong moment (the OOM killer,
a native crash): killed while it holds the shared queue's lock, or halfway through writing
a result, it leaves the pool's other processes, or the thread reading results, waiting
forever. Here each worker has a pipe of its own, so a worker's death touches nothing but
its pipe: reading it ends (end of file) and the one task it was running is known. That
task is run again by a fresh worker, and one that kills its worker twice is reported lost.
A task the caller marks heavy (a large file) runs while no other heavy task does, so the
largest files are not all in memory at once. Pipes need no semaphores, so workers start
where ``/dev/shm`` is not writable too.

Workers ignore Ctrl-C (the main process alone reports it, then stops them) and exit when
the main process is gone (a ``SIGKILL`` of it leaves no orphans). Where processes cannot
be started at all, the tasks run in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar, cast

_Task = TypeVar("_Task")
_Result = TypeVar("_Result")
_PARENT_POLL = 0.5  # seconds between checks that the main process is still there
_MAX_ATTEMPTS = 2  # runs of a task whose worker died before it is reported lost
_STOP_GRACE = 5.0  # seconds a worker told to stop has before it is killed


@dataclass(frozen=True)
class Lost:
    """A task that gave no result: its process died every time it ran it, or it raised."""

    reason: str


DIED = Lost("the process linting it died (killed, or out of memory)")


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection  # this process's end of the worker's own pipe
    task: int | None = None  # the index of the task it runs, None while idle


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

        workers: list[_Worker] = []
        try:
            self._run(tasks, workers, done)
        except (OSError, ImportError, NotImplementedError) as error:
            _warn(error)  # processes cannot be started here
            self._run_here(tasks, [index for index in range(len(tasks))
                                   if index not in results], done)
        finally:
            _stop(workers)
        return [results[index] for index in range(len(tasks))]

    def _run(
        self, tasks: Sequence[_Task], workers: list[_Worker],
        done: Callable[[int, _Result | Lost], None],
    ) -> None:
        pending = deque(range(len(tasks)))
        attempts = [0] * len(tasks)
        workers.extend(self._start() for _ in range(min(self.jobs, len(tasks))))
        while True:
            self._assign(tasks, pending, workers)
            busy = [worker for worker in workers if worker.task is not None]
            if not busy:
                return
            ready = set(wait([source for worker in busy
                              for source in (worker.connection, worker.process.sentinel)]))
            for worker in busy:
                if worker.connection not in ready and worker.process.sentinel not in ready:
                    continue
                index = worker.task
                assert index is not None
                answer = _receive(worker)
                if answer is not None:
                    worker.task = None
                    done(index, cast("_Result | Lost", answer[0]))  # it came pickled
                    continue
                attempts[index] += 1
                if attempts[index] >= _MAX_ATTEMPTS:
                    done(index, DIED)
                else:
                    pending.appendleft(index)
                workers[workers.index(worker)] = self._replace(worker)

    def _assign(self, tasks: Sequence[_Task], pending: deque[int], workers: list[_Worker]) -> None:
        """Give each idle worker the next task, at most one heavy task running at a time."""
        heavy_running = any(worker.task is not None and self.heavy(tasks[worker.task])
                            for worker in workers)
        for worker in workers:
            if worker.task is not None:
                continue
            index = self._next(tasks, pending, heavy_running)
            if index is None:
                return
            heavy_running = heavy_running or self.heavy(tasks[index])
            worker.task = index
            with contextlib.suppress(OSError):  # the worker is gone: its pipe will say so
                worker.connection.send(tasks[index])

    def _next(self, tasks: Sequence[_Task], pending: deque[int], heavy_running: bool) -> int | None:
        for position, index in enumerate(pending):
            if not (heavy_running and self.heavy(tasks[index])):
                del pending[position]
                return index
        return None

    def _start(self) -> _Worker:
        context = multiprocessing.get_context()
        here, there = context.Pipe()
        process = context.Process(
            target=_serve, daemon=True, name="concurlint-worker",
            args=(there, os.getpid(), self.function, self.initializer, self.initargs),
        )
        try:
            process.start()
        finally:
            there.close()  # else this process keeps the pipe open after the worker dies
        return _Worker(process, here)

    def _replace(self, worker: _Worker) -> _Worker:
        _stop([worker])
        return self._start()

    def _run_here(
        self, tasks: Sequence[_Task], indexes: list[int],
        done: Callable[[int, _Result | Lost], None],
    ) -> None:
        if self.initializer is not None:
            self.initializer(*self.initargs)
        for index in indexes:
            done(index, self.function(tasks[index]))


def _receive(worker: _Worker) -> tuple[object] | None:
    """The worker's answer, or None when it died before giving a whole one."""
    try:
        if not worker.connection.poll():
            return None  # only its exit is ready
        ok, value = worker.connection.recv()
    except (EOFError, OSError):
        return None
    return (value if ok else Lost(value),)


def _serve(
    connection: Connection, parent: int, function: Callable[[object], object],
    initializer: Callable[..., None] | None, initargs: tuple[object, ...],
) -> None:
    """A worker: answer each task read from ``connection`` until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True,
                     name="concurlint-parent-watch").start()
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            answer: tuple[bool, object] = (True, function(task))
        except Exception as error:  # the task is lost, the worker lives on
            answer = (False, f"{type(error).__name__}: {error}")
        try:
            connection.send(answer)
        except Exception as error:  # an answer that cannot be pickled
            connection.send((False, f"{type(error).__name__}: {error}"))


def _warn(error: BaseException) -> None:
    print(f"concurlint: warning: cannot start worker processes ({error}); "
          "running in one process", file=sys.stderr)


def _exit_with(parent: int) -> None:
    """Exit this worker once the main process is gone (it was then re-parented)."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os._exit(1)


def _stop(workers: list[_Worker]) -> None:
    """Tell idle workers to stop, stop busy ones now (Ctrl-C), and wait for all of them."""
    for worker in workers:
        if worker.task is None and worker.process.is_alive():
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        elif worker.process.is_alive():
            worker.process.terminate()
    deadline = time.monotonic() + _STOP_GRACE
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.connection.close()
