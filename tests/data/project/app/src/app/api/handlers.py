import asyncio  # noqa: I001 - the imports are the subject of this case

import app.util.cycle as cyc
import thirdparty
from app import store_record
from app.services import storage
from app.util import secrets, twins
from .. import services
from ..services.storage import Store, archive as stash, quick
from ..services.storage import save


async def upload(record):
    storage.save("out.json", record)  # expect: CCL201
    store_record("out.json", record)  # expect: CCL201
    services.store("out.json", record)  # expect: CCL201
    stash("out.json")  # expect: CCL201
    Store("in.json")  # expect: CCL201
    storage.countdown(3)  # expect: CCL201
    cyc.spin_then_reap(3)  # expect: CCL201
    quick("x")
    cyc.spin()
    cyc.disk.poll(3)
    cyc.disk.maybe_pause()
    thirdparty.save("out.json")
    await asyncio.sleep(0)


async def shadowed(record, save=None):
    save("out.json", record)


async def rebound(record):
    stash = print
    stash("out.json")


def persist(record):
    save("out.json", record)


async def through_local_helper(record):
    persist(record)  # expect: CCL201


async def offloaded(record):
    await asyncio.to_thread(save, "out.json", record)


async def dropped():
    cyc.refresh()  # expect: CCL202
    await cyc.refresh()


async def argument_selected():
    from_env = secrets.get_secret("API_KEY")
    address = secrets.resolve(b"127.0.0.1")
    looked_up = secrets.lookup("example.org", 5)  # expect: CCL201
    return from_env, address, looked_up


async def configured(name):
    """Lazy caches are filled at start-up; a numeric address needs no lookup, the null device
    no wait."""
    cyc.disk.settings()
    cyc.disk.page(name)
    cyc.disk.is_address(name)
    cyc.disk.quiet()
    cyc.disk.reread()  # expect: CCL201
    cyc.disk.lookup(name)  # expect: CCL201


async def constant_conditions():
    twins.generated()
    twins.never()
    twins.typed()
    twins.sync_fallback()
    twins.always()  # expect: CCL201


async def coroutine_values():
    if cyc.refresh():  # expect: CCL202
        return None
    first, second = cyc.refresh()  # expect: CCL202
    pending = cyc.refresh()
    await pending
    return first, second


async def listings(path):
    twins.plugins()  # expect: CCL201
    twins.exists(path)


async def lazily_filled(name):
    twins.mappings()
    twins.loaded(name)
    twins.reloaded()  # expect: CCL201
