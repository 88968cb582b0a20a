"""Helpers whose blocking branch an argument's value or type selects are not taken to block
(whether they do is each caller's business, which a summary cannot carry); a plain truth
test of an argument does not count."""

import os
import socket


def get_secret(name):
    if name.startswith("file:"):
        with open(name[5:]) as stream:
            return stream.read()
    return os.environ.get(name)


def resolve(host, family=None):
    return host if isinstance(host, bytes) else socket.gethostbyname(host)


def lookup(host, timeout):
    if timeout:
        socket.setdefaulttimeout(timeout)
    return socket.gethostbyname(host)
