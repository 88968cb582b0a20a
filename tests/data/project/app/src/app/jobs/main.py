"""Starts the jobs of other modules on threads."""

import threading
from concurrent.futures import ThreadPoolExecutor

from outside.workers import crunch

import app.jobs.counters as c
from app import jobs

from . import outbox
from .counters import add, count, once, shadowed
from .crawler import Crawler, Once


def shadowed():  # noqa: F811 - rebinds the import: the module's own function is started
    return None


def run(keys):
    for _ in range(4):
        threading.Thread(target=count).start()
        threading.Thread(target=add, args=(1,)).start()
        threading.Thread(target=shadowed).start()
        threading.Thread(target=crunch).start()
    with ThreadPoolExecutor() as pool:
        pool.map(jobs.tally, keys)  # a re-exported function with no evidence of a failure
    threading.Thread(target=c.remember, args=("a", 1)).start()
    threading.Thread(target=once).start()
    threading.Thread(target=outbox.flush, daemon=True).start()


def crawl():
    crawlers = [Crawler() for _ in range(3)]
    for crawler in crawlers:
        crawler.start()
    Once().start()


def again():
    threading.Thread(target=c.remember, args=("b", 2)).start()
