import os
import socket
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


_settings = None
_pages = {}


def settings():
    """Reads the file on the first call only, then answers from the module's cache."""
    global _settings
    cached = _settings
    if cached is not None:
        return cached
    with open("settings.toml") as stream:
        _settings = stream.read()
    return _settings


def page(name):
    if name in _pages:
        return _pages[name]
    with open(name) as stream:
        _pages[name] = stream.read()
    return _pages[name]


def reread():
    """Checks the cache but reads the file on every call: it blocks."""
    global _settings
    if _settings is None:
        return None
    with open("settings.toml") as stream:
        return stream.read()


def is_address(text):
    numeric = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
    return bool(socket.getaddrinfo(text, 0, 0, 0, 0, socket.AI_NUMERICHOST)) and bool(
        socket.getaddrinfo(text, 0, flags=socket.AI_NUMERICSERV | socket.AI_NUMERICHOST)
    ) and numeric


def quiet():
    return open(os.devnull, "w")


def lookup(host):
    return socket.getaddrinfo(host, 80)
