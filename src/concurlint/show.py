"""``--show-settings``: the settings a file is linted with, one ``key = value`` per line in
the spelling of ``[tool.concurlint]``, so a user sees which pyproject.toml won."""

from __future__ import annotations

import json
from dataclasses import fields

from concurlint.config import Settings


def settings_text(path: str, settings: Settings) -> str:
    lines = [
        f"Resolved settings for: {json.dumps(path)}",
        f"root = {json.dumps(str(settings.root))}",
    ]
    for spec in fields(settings):
        if spec.name == "root":
            continue
        value = getattr(settings, spec.name)
        key = spec.name.replace("_", "-")
        if spec.name == "per_file_ignores":
            value = {pattern: list(codes) for pattern, codes in value}
        elif spec.name == "command_line":
            value = None if value is None else {
                "select": value.select, "extend-select": value.extend_select, "ignore": value.ignore
            }
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"
