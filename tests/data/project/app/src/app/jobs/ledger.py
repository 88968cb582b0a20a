"""A class that locks with another module's lock, and no thread in sight: the unlocked update
is not reported (a lock alone is no evidence that the code runs on several threads)."""

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
        self.balance -= amount

    def count(self):
        return self.entries


def withdraw_unguarded(amount, balances):
    """A module-level function: not a method of a class that locks."""
    balances["x"] -= amount
