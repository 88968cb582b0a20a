"""Jobs run on worker threads; ``tally`` is re-exported for the starters."""

from .counters import tally

__all__ = ["tally"]
