"""Imports only modules gevent patches in place: importing it before the patch is harmless."""
import os
import time


def stamp():
    return f"{os.getpid()}-{time.time()}"
