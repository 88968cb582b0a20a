"""The ecosystem check: concurlint over pinned projects from PyPI, every report judged.

Run it with ``python -m tests.ecosystem`` from the repository's root; see
``docs/real-world.md`` ("Ecosystem check") for what it does and how to judge a report.
"""
