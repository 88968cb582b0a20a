"""Imports disk, which imports this module: the cycle terminates."""

from app.util import disk


def spin():
    disk.settle()


def spin_then_reap(pid):
    spin()
    disk.poll(pid)
    disk.reap(pid)


async def refresh():
    return None
