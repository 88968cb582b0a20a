import time

import gevent  # expect: CCL401


def tick():
    time.sleep(0.1)


def run():
    gevent.joinall([gevent.spawn(tick) for _ in range(3)])


if __name__ == "__main__":
    run()
