"""Starts another module's loop bridge on a thread."""

import asyncio
import threading

from .bridge import notify


def start(loop: asyncio.AbstractEventLoop) -> None:
    threading.Thread(target=notify, args=(loop, 1)).start()
