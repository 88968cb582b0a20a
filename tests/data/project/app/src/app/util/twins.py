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
