"""A package that re-exports a process-creating helper and an unpicklable target."""

from .tasks import run_all as run_everything
from .tasks import work as exported_work

__all__ = ["exported_work", "run_everything"]
