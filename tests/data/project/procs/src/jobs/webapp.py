"""Patches in `run()`, after importing a module of the project that imports `requests`."""
from .netclient import fetch
from .plainclient import stamp


def run():
    from gevent import monkey

    monkey.patch_all()  # expect: CCL402
    return fetch("https://example.org") + stamp()
