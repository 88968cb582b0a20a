"""Patches in `run()` after importing only a module whose imports gevent patches in place."""
from .plainclient import stamp


def run():
    from gevent import monkey

    monkey.patch_all()
    return stamp()
