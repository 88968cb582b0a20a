"""Hands results to an event loop; another module runs ``notify`` on a thread."""

import asyncio


def notify(loop: asyncio.AbstractEventLoop, value: int) -> None:
    loop.call_soon(print, value)  # expect: CCL207


def notify_safely(loop: asyncio.AbstractEventLoop, value: int) -> None:
    loop.call_soon(print, value)  # never started on a thread
