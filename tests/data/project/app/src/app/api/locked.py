"""Another module's module-level thread locks, taken in coroutines."""

import asyncio

from app.jobs import sync
from app.jobs.sync import guard


async def refresh():
    with guard:  # expect: CCL205
        await asyncio.sleep(0)


async def quick():
    with sync.first:
        pass
    with sync.second:  # expect: CCL205
        await asyncio.sleep(0)
