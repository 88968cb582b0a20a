"""Counters updated by functions that other modules run on threads; this module imports no
thread API itself."""

from .sync import guard

total = 0
amount = 0
hits = 0
started = 0
STATS = {}
seen = {}


def count():
    global total
    total += 1  # expect: CCL101


def tally(key):
    STATS[key] = STATS.get(key, 0) + 1  # expect: CCL101


def remember(key, value):
    if key not in seen:
        seen[key] = value  # expect: CCL101


def add(n):
    global amount
    with guard:
        amount += n


def once():
    global started
    started += 1


def shadowed():
    global hits
    hits += 1
