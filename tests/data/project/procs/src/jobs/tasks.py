"""Workers and a pool helper; nothing here runs a process at import time."""

import functools
import multiprocessing


def double(x):
    return x * 2


def make_worker():
    def inner(x):
        return x * 2

    return inner


def make_checked_worker(strict):
    def inner(x):
        return x * 2

    return inner if strict else double


def run_all():
    with multiprocessing.Pool(2) as pool:
        return pool.map(double, range(4))


work = lambda x: x * 2  # noqa: E731
scaled = functools.partial(lambda x, y: x * y, 2)
made = make_worker()
maybe = make_checked_worker(True)
fine = functools.partial(double, 3)
renamed = lambda x: x  # noqa: E731
renamed.__qualname__ = "renamed"
