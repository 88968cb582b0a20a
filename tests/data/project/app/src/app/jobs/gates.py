"""Locks of another module, released on every early exit but not on an error, and a
reservation made under one before a `yield` and given back after it without `finally`."""

import contextlib

from .sync import guard

RESULTS = {}


def lookup(key):
    try:
        guard.acquire()  # expect: CCL103
        if key is None:
            guard.release()
            return None
        value = RESULTS[key]
        guard.release()
    except Exception:
        value = None
    return value


class Gate:
    busy = False

    @contextlib.contextmanager
    def using(self):
        with guard:
            self.busy = True
        yield  # expect: CCL103
        with guard:
            self.busy = False
