"""Allow ``python -m concurlint``."""

from __future__ import annotations

import sys

from concurlint.cli import main

sys.exit(main())
