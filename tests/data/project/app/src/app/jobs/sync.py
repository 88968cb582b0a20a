"""Module-level locks shared by the jobs (no name here looks like a lock's)."""

import threading

guard = threading.Semaphore(1)
first = threading.Lock()
second = threading.RLock()
