"""A thread class whose runs share a module-level tally; another module starts several."""

import threading

pages = 0


class Crawler(threading.Thread):
    def run(self):
        global pages
        pages += 1  # expect: CCL101


class Once(threading.Thread):
    def run(self):
        global pages
        pages = 0
