"""Runs the pool when imported: a spawned child imports this module again."""

from . import tasks

tasks.run_all()  # expect: CCL303
