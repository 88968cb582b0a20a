"""Helpers whose blocking call sits under a constant condition."""

import os
import time
from typing import TYPE_CHECKING

USE_ASYNC = True


def generated():
    if True:
        return None
    else:
        time.sleep(1)


def never():
    if False:
        time.sleep(1)


def typed():
    if TYPE_CHECKING:
        time.sleep(1)


def sync_fallback():
    if not USE_ASYNC:
        time.sleep(1)


def always():
    if True:
        time.sleep(1)


def plugins():
    return os.listdir("plugins")


def exists(path):
    return os.path.exists(path)


_mappings = None
_loaded = {}


def mappings():
    global _mappings
    if _mappings is None:
        _mappings = os.listdir("mappings")
    return _mappings


def loaded(name):
    if name not in _loaded:
        _loaded[name] = os.listdir(name)
    return _loaded[name]


def reloaded():
    global _mappings
    if _mappings is None:
        print("empty")
    return os.listdir("mappings")
