"""No `async` anywhere: only the project knows that refresh() is a coroutine function."""

from app.util.cycle import refresh


def main():
    refresh()  # expect: CCL202
