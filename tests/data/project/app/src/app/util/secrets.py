"""Helpers that block only for some arguments: whether they do is the caller's business,
which a summary cannot carry, so they are not taken to block."""

import os
import socket


def get_secret(name):
    if name.startswith("file:"):
        with open(name[5:]) as stream:
            return stream.read()
    return os.environ.get(name)


def resolve(host, numeric=False):
    return host if numeric else socket.gethostbyname(host)


def wait_for(path, poll):
    while poll:
        if os.path.exists(path):
            return True
        poll -= 1
    return False
