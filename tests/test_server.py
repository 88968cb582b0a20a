"""`concurlint server` driven end to end by pygls's language client over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any, TypeVar

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

_T = TypeVar("_T")
FIX_ALL = "source.fixAll.concurlint"
_WAIT = 60.0  # seconds: a generous bound for a loaded CI machine, not a latency claim

_API = """\
import asyncio
from app import storage


async def upload(data):
    storage.save(data)
    await asyncio.sleep(0)
"""
_STORAGE_BLOCKING = """\
def save(data):
    with open("out.txt", "w") as stream:
        stream.write(data)
"""
_STORAGE_HARMLESS = """\
def save(data):
    return len(data)
"""
_SLEEPER = """\
import time


async def main():
    time.sleep(1)
"""


class Editor:
    """A language client that records what the server publishes."""

    def __init__(self) -> None:
        self.client = LanguageClient("concurlint-tests", "1")
        self.published: dict[str, list[types.Diagnostic]] = {}
        self.versions: dict[str, int] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = list(params.diagnostics)

    async def start(self, root: Path, options: dict[str, Any] | None = None) -> None:
        await self.client.start_io(sys.executable, "-m", "concurlint", "server", cwd=str(root))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                workspace_folders=[types.WorkspaceFolder(uri=_uri(root), name="project")],
                initialization_options=options or {},
            )
        )
        self.client.initialized(types.InitializedParams())

    async def start_and_open(self, root: Path, path: Path) -> list[types.Diagnostic]:
        """Start the server on ``root``, open ``path`` and wait for its diagnostics."""
        await self.start(root)
        self.open(path)
        return await _until(lambda: self.published.get(_uri(path)))

    def open(self, path: Path) -> None:
        self.versions[_uri(path)] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=_uri(path), language_id="python", version=1,
                                       text=path.read_text())
            )
        )

    def change(self, path: Path, text: str) -> None:
        uri = _uri(path)
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri,
                                                                    version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def actions(
        self,
        path: Path,
        where: types.Range,
        diagnostics: list[types.Diagnostic],
        only: str | None = None,
    ) -> list[types.CodeAction]:
        """The code actions the server offers for ``where`` (only those of kind ``only``)."""
        answer = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=_uri(path)),
                range=where,
                context=types.CodeActionContext(diagnostics=diagnostics,
                                                only=[only] if only else None),
            )
        )
        return [action for action in answer or [] if isinstance(action, types.CodeAction)]

    def codes(self, path: Path) -> list[str] | None:
        found = self.published.get(_uri(path))
        return None if found is None else sorted(str(d.code) for d in found)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def _uri(path: Path) -> str:
    return from_fs_path(str(path)) or str(path)


async def _until(check: Callable[[], _T | None]) -> _T:
    """Poll ``check`` until it gives a value (the server answers asynchronously)."""
    deadline = asyncio.get_running_loop().time() + _WAIT
    while (value := check()) is None or value is False:
        assert asyncio.get_running_loop().time() < deadline, "the server never answered"
        await asyncio.sleep(0.05)
    return value


def _run(session: Callable[[Editor], Awaitable[None]]) -> None:
    async def body() -> None:
        editor = Editor()
        try:
            await asyncio.wait_for(session(editor), _WAIT * 2)
        finally:
            server = editor.client._server  # a failed session never sent `exit`: end it here
            if server is not None and server.returncode is None:
                server.kill()
                await editor.client.stop()

    asyncio.run(body())


def _sleeper(folder: Path) -> Path:
    sleeper = folder / "sleeper.py"
    sleeper.write_text(_SLEEPER)
    return sleeper


def _project(tmp_path: Path) -> tuple[Path, Path]:
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "api.py").write_text(_API)
    (package / "storage.py").write_text(_STORAGE_BLOCKING)
    return package / "api.py", package / "storage.py"


def test_blocking_call_is_published_and_goes_when_fixed_in_the_buffer(tmp_path: Path) -> None:
    sleeper = _sleeper(tmp_path)

    async def session(editor: Editor) -> None:
        await editor.start(tmp_path)
        editor.open(sleeper)
        assert await _until(lambda: editor.codes(sleeper)) == ["CCL201"]
        editor.change(sleeper, _SLEEPER.replace("time.sleep(1)", "await asyncio.sleep(1)"))
        assert await _until(lambda: editor.codes(sleeper) == []) is True
        await editor.stop()

    _run(session)


def test_cross_module_report_follows_an_edit_of_the_helper(tmp_path: Path) -> None:
    api, storage = _project(tmp_path)

    async def session(editor: Editor) -> None:
        await editor.start(tmp_path)
        editor.open(api)
        assert await _until(lambda: editor.codes(api)) == ["CCL201"]
        related = editor.published[_uri(api)][0].related_information or []
        assert [info.location.uri for info in related] == [_uri(storage)]
        editor.open(storage)
        editor.change(storage, _STORAGE_HARMLESS)  # unsaved: the buffer is what counts
        assert await _until(lambda: editor.codes(api) == []) is True
        await editor.stop()

    _run(session)


def test_code_action_fix_applies_and_suppression_is_offered(tmp_path: Path) -> None:
    sleeper = _sleeper(tmp_path)

    async def session(editor: Editor) -> None:
        diagnostics = await editor.start_and_open(tmp_path, sleeper)
        actions = await editor.actions(sleeper, diagnostics[0].range, diagnostics)
        fix_all = await editor.actions(sleeper, diagnostics[0].range, [], FIX_ALL)
        assert [action.kind for action in fix_all] == [FIX_ALL]
        titles = {action.title: action for action in actions}
        assert "Suppress CCL201 with `# noqa`" in titles
        fix = next(action for title, action in titles.items() if title.startswith("Fix CCL201"))
        assert fix.edit is not None and fix.edit.changes is not None
        fixed = _apply(_SLEEPER, fix.edit.changes[_uri(sleeper)])
        assert "await asyncio.sleep(1)" in fixed
        assert "import asyncio" in fixed
        editor.change(sleeper, fixed)
        assert await _until(lambda: editor.codes(sleeper) == []) is True
        assert await editor.actions(sleeper, diagnostics[0].range, [], FIX_ALL) == []
        await editor.stop()

    _run(session)


def test_hover_shows_the_rule_and_the_book_link(tmp_path: Path) -> None:
    sleeper = _sleeper(tmp_path)

    async def session(editor: Editor) -> None:
        diagnostics = await editor.start_and_open(tmp_path, sleeper)
        hover = await editor.client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=_uri(sleeper)),
                              position=diagnostics[0].range.start)
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "CCL201 blocking-call-in-coroutine" in hover.contents.value
        assert str(diagnostics[0].code_description.href) in hover.contents.value  # type: ignore[union-attr]
        await editor.stop()

    _run(session)


def test_settings_from_initialization_options_apply(tmp_path: Path) -> None:
    sleeper = _sleeper(tmp_path)

    async def session(editor: Editor) -> None:
        await editor.start(tmp_path, {"ignore": ["CCL201"]})
        editor.open(sleeper)
        assert await _until(lambda: editor.codes(sleeper) == []) is True
        await editor.stop()

    _run(session)


def test_malformed_request_gets_an_error_and_the_server_keeps_running(tmp_path: Path) -> None:
    """Spoken on the wire, since a typed client cannot send a malformed request."""
    server = subprocess.Popen(
        [sys.executable, "-m", "concurlint", "server"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        _send(server.stdin, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                             "params": {"capabilities": {}, "rootUri": _uri(tmp_path)}})
        assert "capabilities" in _receive(server.stdout, 1)["result"]
        _send(server.stdin, {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover",
                             "params": {"textDocument": {"uri": 42}}})
        assert "error" in _receive(server.stdout, 2)
        _send(server.stdin, {"jsonrpc": "2.0", "id": 3, "method": "shutdown"})
        assert _receive(server.stdout, 3)["result"] is None
        _send(server.stdin, {"jsonrpc": "2.0", "method": "exit"})
        assert server.wait(_WAIT) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _send(stream: IO[bytes], message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stream.flush()


def _receive(stream: IO[bytes], request: int) -> dict[str, Any]:
    """The response to ``request``, skipping the server's notifications."""
    while True:
        length = 0
        while (header := stream.readline().strip()):
            name, _, value = header.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        assert length, "the server closed the connection"
        message: dict[str, Any] = json.loads(stream.read(length))
        if message.get("id") == request:
            return message


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """``text`` with ``edits`` applied (ASCII text: columns are characters)."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        return starts[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


class _Payload:
    """Unpickling this runs a shell command: what a crafted cache in a checkout would hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def test_poisoned_cache_runs_nothing_through_the_server(tmp_path: Path) -> None:
    api, _ = _project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    subprocess.run([sys.executable, "-m", "concurlint", "--jobs", "1", "."], cwd=tmp_path,
                   capture_output=True, timeout=_WAIT)
    marker = tmp_path.parent / f"{tmp_path.name}-executed"
    entries = [path for path in (tmp_path / ".concurlint_cache").glob("*/*/*")
               if not path.name.startswith(".")]
    assert entries  # the run filled the cache the server reads
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Payload(marker)))

    async def session(editor: Editor) -> None:
        await editor.start(tmp_path)
        editor.open(api)
        assert await _until(lambda: editor.codes(api)) == ["CCL201"]  # facts recomputed
        await editor.stop()

    _run(session)
    assert not marker.exists()
