"""Process targets bound in another module."""

import functools
import multiprocessing

import thirdparty

import jobs.tasks as t
from jobs import exported_work

from . import tasks
from .tasks import fine, made, maybe, renamed, scaled


def start():
    multiprocessing.Process(target=tasks.work).start()  # expect: CCL301
    with multiprocessing.Pool(2) as pool:
        pool.map(made, [1])  # expect: CCL301
        pool.map(scaled, [1])  # expect: CCL301
        pool.map(exported_work, [1])  # expect: CCL301
        pool.map(functools.partial(tasks.work), [1])  # expect: CCL301
        pool.map(fine, [1])
        pool.map(tasks.double, [1])
        pool.map(maybe, [1])
        pool.map(renamed, [1])
        pool.map(t.made, [1])  # expect: CCL301
        pool.map(thirdparty.work, [1])


def forked():
    context = multiprocessing.get_context("fork")
    context.Process(target=tasks.work).start()


def shadowed(tasks):
    multiprocessing.Process(target=tasks.work).start()


if __name__ == "__main__":
    start()
