"""The benchmark corpus: the standard library of the running Python without its tests.

Folders named ``test``, ``tests`` or ``idle_test`` are left out wherever they are (in 3.11:
``test/``, ``ctypes/test``, ``distutils/tests``, ``idlelib/idle_test``, ``lib2to3/tests``,
``tkinter/test``, ``unittest/test``), and so are ``site-packages`` and ``__pycache__``.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

EXCLUDED_FOLDERS = frozenset({"test", "tests", "idle_test", "site-packages", "__pycache__"})


def stdlib() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def python_files(top: Path) -> list[str]:
    """Every ``.py`` file under ``top``, sorted, skipping the excluded folders."""
    return sorted(_walk(top))


def _walk(top: Path) -> Iterator[str]:
    if top.is_file():
        yield str(top)
        return
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = sorted(d for d in subfolders if d not in EXCLUDED_FOLDERS)
        yield from (os.path.join(folder, name) for name in names if name.endswith(".py"))
