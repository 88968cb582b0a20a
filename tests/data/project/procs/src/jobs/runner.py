"""A helper one module away from the pool."""

from . import tasks


def launch():
    return tasks.run_all()
