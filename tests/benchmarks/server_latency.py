"""How long `concurlint server` takes to publish diagnostics after an edit, in a large project.

Run from a checkout after the README's set-up::

    .venv/bin/python tests/benchmarks/server_latency.py [--files 1000] [--edits 20]

The project is the running Python's standard library (its test packages fill it up to
``--files`` modules), copied to a temporary folder with a ``pyproject.toml``. A real client
(pygls's) starts the server, opens ``--open`` (a module of the project) and edits it
``--edits`` times; each figure is the time from sending the change to receiving the
diagnostics, less the server's debounce: the work an edit costs once typing pauses. The
first edit after opening pays for reading the project's summaries; the rest show the steady
state.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: find corpus.py

from corpus import stdlib

from concurlint.server.protocol import DEBOUNCE_SECONDS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="modules in the project")
    parser.add_argument("--edits", type=int, default=20, help="edits measured")
    parser.add_argument("--open", default="asyncio/locks.py",
                        help="the module edited, relative to the stdlib (asyncio/base_events.py "
                        "is the largest module with coroutines)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="concurlint-server-bench-") as scratch:
        root = Path(scratch)
        count = _copy_project(root, args.files)
        print(f"{count} files; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
        opened, latencies = asyncio.run(_measure(root, root / args.open, args.edits))
        print(f"open to first diagnostics: {opened:.2f} s (project summaries made, cold)")
        steady = latencies[1:] or latencies
        print(f"after an edit (debounce of {DEBOUNCE_SECONDS:.2f} s excluded): "
              f"first {latencies[0] * 1000:.0f} ms, then median "
              f"{statistics.median(steady) * 1000:.0f} ms, max {max(steady) * 1000:.0f} ms")
    return 0


def _copy_project(root: Path, limit: int) -> int:
    """The stdlib's modules, tests last, up to ``limit`` files."""
    source = stdlib()
    files = sorted(source.rglob("*.py"), key=lambda p: ("test" in p.parts, str(p)))
    files = [path for path in files if "site-packages" not in path.parts][:limit]
    for path in files:
        target = root / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (root / "pyproject.toml").write_text("[tool.concurlint]\n")
    return len(files)


async def _measure(root: Path, path: Path, edits: int) -> tuple[float, list[float]]:
    client = LanguageClient("concurlint-bench", "1")
    arrived = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        arrived.set()

    await client.start_io(sys.executable, "-m", "concurlint", "server", cwd=str(root))
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        workspace_folders=[types.WorkspaceFolder(uri=_uri(root), name="stdlib")],
    ))
    client.initialized(types.InitializedParams())
    text = path.read_text()
    started = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=_uri(path), language_id="python", version=1, text=text)))
    await arrived.wait()
    opened = time.perf_counter() - started
    latencies = []
    for version in range(2, edits + 2):
        arrived.clear()
        text += f"\nedited_{version} = {version}\n"
        started = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=_uri(path), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        ))
        await arrived.wait()
        latencies.append(time.perf_counter() - started - DEBOUNCE_SECONDS)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return opened, latencies


def _uri(path: Path) -> str:
    return from_fs_path(str(path)) or str(path)


if __name__ == "__main__":
    raise SystemExit(main())
