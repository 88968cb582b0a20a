import os
import time

from app.util import cycle

_legacy = os.name == "java"


def flush(path):
    wait()


def wait():
    time.sleep(0.1)


def settle():
    cycle.spin()


def reap(pid):
    os.waitpid(pid, 0)


def poll(pid):
    return os.waitpid(pid, os.WNOHANG)


def maybe_pause():
    """Sleeps only in a configuration this run is not in: not taken to block."""
    if _legacy:
        time.sleep(1)
