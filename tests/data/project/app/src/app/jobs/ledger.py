"""A class that locks with another module's lock: its state is shared, and an update of it
without the lock races with the locked ones even though no thread is started here."""

from . import sync


class Ledger:
    def __init__(self):
        self.balance = 0
        self.entries = 0

    def deposit(self, amount):
        with sync.first:
            self.balance += amount
            self.entries += 1

    def fee(self, amount):
        self.balance -= amount  # expect: CCL101

    def count(self):
        return self.entries


def withdraw_unguarded(amount, balances):
    """A module-level function: not a method of a class that locks."""
    balances["x"] -= amount
