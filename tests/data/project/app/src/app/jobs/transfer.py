"""Takes the locks of another module, in both orders (no lock type is named here)."""

from app.jobs import sync
from app.jobs.sync import first, second


def forward():
    with first, second:  # expect: CCL104
        pass


def backward():
    with sync.second, sync.first:  # expect: CCL104
        pass


def take(items):
    sync.guard.acquire()  # expect: CCL103
    items.pop()
    sync.guard.release()
