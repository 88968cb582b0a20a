"""CCL4xx behaviour the fixtures cannot show: configuration, message arguments, fix forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_reports import one_file_or_split

from concurlint.config import Settings, settings_from_table
from concurlint.diagnostic import Diagnostic, Safety
from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source
from concurlint.fixes import fix_source

SPAWNS_SLEEP = (
    "import time\n\nimport gevent\n\n\ndef fetch():\n    time.sleep(1)\n\n\n"
    "gevent.spawn(fetch).join()\n"
)


def lint(text: str, path: str = "example.py", settings: Settings | None = None) -> list[Diagnostic]:
    ruleset = RuleSet.build(settings or Settings(root=Path.cwd()))
    return list(lint_source(Source(path, text, "utf-8"), ruleset).diagnostics)


def fixed(text: str) -> str:
    ruleset = RuleSet.build(Settings(root=Path.cwd()))
    return fix_source(Source("example.py", text, "utf-8"), ruleset).text


def codes(text: str) -> list[str]:
    return [d.code for d in lint(text)]


def test_gevent_patched_by_is_read_from_config() -> None:
    settings = settings_from_table({"gevent-patched-by": ["app.main"]}, "pyproject.toml", Path("."))
    assert settings.gevent_patched_by == ("app.main",)


def test_gevent_patched_by_silences_modules_other_than_the_entry(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, gevent_patched_by=("app.main",))
    worker = str(tmp_path / "src" / "app" / "worker.py")
    entry = str(tmp_path / "src" / "app" / "main.py")
    assert lint(SPAWNS_SLEEP, worker, settings) == []
    assert [d.code for d in lint(SPAWNS_SLEEP, entry, settings)] == ["CCL401"]


def test_missing_patch_names_the_helper_chain() -> None:
    text = (
        "import time\nimport gevent\n\n\ndef _wait():\n    time.sleep(1)\n\n\n"
        "def fetch():\n    _wait()\n\n\ngevent.spawn(fetch)\n"
    )
    (diagnostic,) = lint(text)
    assert dict(diagnostic.args)["calls"] == "`_wait()` in `fetch` (_wait() -> time.sleep())"
    assert diagnostic.span.line == 2


def test_positional_false_switches_a_patch_off() -> None:
    text = (
        "from gevent import monkey\nmonkey.patch_all(True, True, False)\n"
        "import time\nimport gevent\n\n\ndef f():\n    time.sleep(1)\n\n\ngevent.spawn(f)\n"
    )
    (diagnostic,) = lint(text)
    assert diagnostic.code == "CCL403"
    assert dict(diagnostic.args)["left"] == "`time`"


def test_socket_off_also_leaves_dns_unpatched() -> None:
    text = (
        "from gevent import monkey\nmonkey.patch_all(socket=False)\n"
        "import socket\nimport gevent\n\n\ndef f(host):\n    return socket.gethostbyname(host)\n"
        "\n\ngevent.spawn(f, 'example.com')\n"
    )
    (diagnostic,) = lint(text)
    assert dict(diagnostic.args)["advice"] == "remove `socket=False`"


def test_fix_moves_aliased_patch_with_attached_comments() -> None:
    text = (
        '"""Doc."""\nfrom __future__ import annotations\n\nimport sys\nfrom time import sleep\n'
        "\n# section: gevent\n\nfrom gevent import monkey as m\n"
        "# must run first\nm.patch_all(thread=False)  # keep\n\nsleep(sys.maxsize)\n"
    )
    assert fixed(text) == (
        '"""Doc."""\nfrom __future__ import annotations\n\n'
        "from gevent import monkey as m\n# must run first\nm.patch_all(thread=False)  # keep\n\n"
        "import sys\nfrom time import sleep\n\n# section: gevent\n\nsleep(sys.maxsize)\n"
    )


def test_fix_moves_a_combined_line() -> None:
    text = "from time import sleep\nfrom gevent import monkey; monkey.patch_all()\nsleep(1)\n"
    assert fixed(text) == (
        "from gevent import monkey; monkey.patch_all()\n\nfrom time import sleep\nsleep(1)\n"
    )


@pytest.mark.parametrize(
    "patch",
    [
        "from gevent import monkey\nPATCH_TIME = True\nmonkey.patch_all(time=PATCH_TIME)\n",
        "from gevent import monkey\nif True:\n    monkey.patch_all()\n",
        "import gevent, sys\ngevent.monkey.patch_all()\n",
    ],
    ids=["non-constant argument", "nested statement", "import shared with another module"],
)
def test_no_safe_fix_when_moving_is_not_clearly_safe(patch: str) -> None:
    text = "from time import sleep\n" + patch + "sleep(1)\n"
    (diagnostic,) = lint(text)
    assert diagnostic.code == "CCL402"
    assert diagnostic.fix is None or diagnostic.fix.safety is not Safety.SAFE


def test_unused_early_binding_is_not_late() -> None:
    assert codes("from time import sleep\nfrom gevent import monkey\nmonkey.patch_all()\n") == []


_DETECT = """\
import socket


def detect():
    import gevent.socket

    if socket.socket is gevent.socket.socket:
        return "gevent"
    return "default"


def guess():
    import gevent  # imported is not patched

    return "gevent"
"""

_TRANSPORT = """\
import threading

from {source} import detect, guess


def open_detected():
    if detect() == "gevent":
        from gevent import monkey

        monkey.patch_all()
    return threading.Lock()


def open_guessed():
    if guess() == "gevent":
        from gevent import monkey

        monkey.patch_all()
    return threading.Lock()
"""


@pytest.mark.parametrize("split", [False, True], ids=["one file", "two modules"])
def test_patch_reached_only_when_already_patched_is_no_late_patch(tmp_path, split: bool) -> None:
    """``detect()`` returns "gevent" only where gevent's socket already replaced the
    standard one: the patch under it only re-patches, in the same module or from another."""
    reports = one_file_or_split(
        tmp_path / "p", split, ("compat.py", _DETECT), ("transport.py", _TRANSPORT)
    )
    assert reports == {("CCL402", "monkey.patch_all()"): 1}
