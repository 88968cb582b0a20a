import time

import gevent

import jobs.chained  # noqa: F401


def tick():
    time.sleep(0.1)


def run():
    gevent.joinall([gevent.spawn(tick) for _ in range(3)])
