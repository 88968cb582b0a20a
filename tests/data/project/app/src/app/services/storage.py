"""No concurrency keyword here, but other modules call these from coroutines."""

import json

from app.util import disk


def _write(path, record):
    with open(path, "w") as stream:
        json.dump(record, stream)


def save(path, record):
    _write(path, record)


def archive(path):
    disk.flush(path)


class Store:
    def __init__(self, path):
        self.path = path
        self.load()

    def load(self):
        with open(self.path) as stream:
            return stream.read()


def quick(path):
    return path.upper()


def countdown(n):
    """Recursion terminates, and blocks only through its other call."""
    if n:
        countdown(n - 1)
    return disk.wait()
