import os
import time

from app.util import cycle


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
