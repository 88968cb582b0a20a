"""`concurlint server`: the Language Server Protocol over stdio, on pygls.

Diagnostics are published for open documents on open, on save, and on change after a short
pause in typing (the debounce). Any change re-lints every open document whose project facts
changed, so an edit of ``storage.py`` updates the reports of ``api.py``. Linting runs on a
worker thread so the server keeps answering while it works.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from concurlint import __version__
from concurlint.add_noqa import add_noqa
from concurlint.config import ConfigError
from concurlint.diagnostic import Diagnostic, Safety
from concurlint.fixes import apply_fixes
from concurlint.project import FileFacts
from concurlint.server.convert import (
    SOURCE,
    chain_hops,
    fix_title,
    to_diagnostic,
    to_range,
    whole_document_edit,
)
from concurlint.server.workspace import Workspace

DEBOUNCE_SECONDS = 0.25
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"


class _Answered:
    """A request already answered with an error: pygls passes it by as an unknown message."""

    jsonrpc = "answered"


class _Protocol(LanguageServerProtocol):
    """pygls drops a request whose params do not match the protocol's types and shows a
    message instead; JSON-RPC wants an error response to that request, or the editor waits
    for an answer forever."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcInvalidParams as error:
            if "id" not in data or "method" not in data:
                raise
            self._send_response(data["id"], error=types.ResponseError(
                code=error.code, message=f"invalid params for {data['method']}"))
            return _Answered()


class ConcurlintServer(LanguageServer):
    """A pygls server holding one ``Workspace`` and the reports last published."""

    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, protocol_cls=_Protocol)
        self.project: Workspace | None = None
        self.reports: dict[str, list[Diagnostic]] = {}
        self.facts: dict[str, FileFacts] = {}
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Future[None]] = set()

    def start_workspace(self, root: Path, options: dict[str, Any]) -> None:
        try:
            self.project = Workspace(root, options)
        except ConfigError as error:
            self.window_show_message(
                types.ShowMessageParams(types.MessageType.Error, f"concurlint: {error}")
            )
            self.project = Workspace(root)

    async def refresh(self, changed: str | None) -> None:
        """Lint ``changed`` and every other open document whose facts changed; publish."""
        project = self.project
        if project is None:
            return
        facts = await asyncio.to_thread(project.facts)
        for path in project.open_paths:
            if path != changed and facts.get(path) == self.facts.get(path):
                continue
            reports = await asyncio.to_thread(project.lint, path, facts)
            self.reports[path] = reports
            self.publish(project, path, reports)
        self.facts = facts

    def publish(self, project: Workspace, path: str, reports: list[Diagnostic]) -> None:
        uri = from_fs_path(path) or path
        document = self.workspace.get_text_document(uri)
        codec = self.workspace.position_codec
        items = []
        for report in reports:
            related = [
                types.DiagnosticRelatedInformation(
                    location=types.Location(uri=from_fs_path(where) or where, range=place),
                    message=f"`{hop}()`, called on the way",
                )
                for hop in chain_hops(report)
                if (found := project.definition(hop)) is not None
                for where, place in [(found[0], _line_range(found[1]))]
            ]
            items.append(to_diagnostic(report, document.lines, codec, related))
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=document.version)
        )

    def schedule(self, path: str) -> None:
        """Lint after ``DEBOUNCE_SECONDS`` without a further change to ``path``."""
        loop = asyncio.get_running_loop()
        if path in self._pending:
            self._pending.pop(path).cancel()
        self._pending[path] = loop.call_later(DEBOUNCE_SECONDS, self._fire, path)

    def _fire(self, path: str) -> None:
        self._pending.pop(path, None)
        task = asyncio.ensure_future(self.refresh(path))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _line_range(line: int) -> types.Range:
    return types.Range(start=types.Position(line=line - 1, character=0),
                       end=types.Position(line=line, character=0))


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def build_server() -> ConcurlintServer:
    server = ConcurlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: ConcurlintServer, params: types.InitializeParams) -> None:
        folders = params.workspace_folders or []
        root = _path(folders[0].uri) if folders else (params.root_path or ".")
        options = params.initialization_options
        ls.start_workspace(Path(root), options if isinstance(options, dict) else {})

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def changed_configuration(
        ls: ConcurlintServer, params: types.DidChangeConfigurationParams
    ) -> None:
        options = params.settings.get(SOURCE) if isinstance(params.settings, dict) else None
        if not isinstance(options, dict):
            return
        root = ls.project.root if ls.project else Path(".")
        ls.start_workspace(root, options)
        if ls.project is not None:
            for path in [*ls.reports]:
                ls.project.open(path, ls.workspace.get_text_document(from_fs_path(path)).source)
        ls.facts = {}
        await ls.refresh(None)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: ConcurlintServer, params: types.DidOpenTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if ls.project is not None:
            ls.project.open(path, params.text_document.text)
        await ls.refresh(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ConcurlintServer, params: types.DidChangeTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if ls.project is not None:
            ls.project.open(path, ls.workspace.get_text_document(params.text_document.uri).source)
        ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: ConcurlintServer, params: types.DidSaveTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if ls.project is not None:
            ls.project.reload(path)
        await ls.refresh(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: ConcurlintServer, params: types.DidCloseTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if ls.project is not None:
            ls.project.close(path)
        ls.reports.pop(path, None)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )
        await ls.refresh(None)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched(ls: ConcurlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if ls.project is None:
            return
        for change in params.changes:
            path = _path(change.uri)
            if path not in ls.project.open_paths:
                ls.project.reload(path)
        await ls.refresh(None)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]
        ),
    )
    async def code_action(
        ls: ConcurlintServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        return await _code_actions(ls, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ConcurlintServer, params: types.HoverParams) -> types.Hover | None:
        return _hover(ls, params)

    return server


async def _code_actions(
    ls: ConcurlintServer, params: types.CodeActionParams
) -> list[types.CodeAction]:
    uri = params.text_document.uri
    path = _path(uri)
    document = ls.workspace.get_text_document(uri)
    codec = ls.workspace.position_codec
    text = document.source
    wanted = params.context.only
    actions: list[types.CodeAction] = []
    if wanted is None or any(kind != FIX_ALL for kind in wanted):
        for report in ls.reports.get(path, []):
            place = to_range(document.lines, report.span, codec)
            if not _overlaps(place, params.range):
                continue
            if report.fix is not None and report.fix.safety is not Safety.DISPLAY:
                fixed, _ = await asyncio.to_thread(apply_fixes, text, [report.fix])
                actions.append(_action(fix_title(report), uri, text, fixed, codec,
                                       types.CodeActionKind.QuickFix,
                                       preferred=report.fix.safety is Safety.SAFE))
            actions.append(_action(f"Suppress {report.code} with `# noqa`", uri, text,
                                   _suppressed(text, report), codec,
                                   types.CodeActionKind.QuickFix))
    if (wanted is None or FIX_ALL in wanted or types.CodeActionKind.SourceFixAll in wanted) and (
        ls.project is not None
    ):
        outcome = await asyncio.to_thread(ls.project.fix_all, path)
        if outcome is not None and outcome.changed:
            actions.append(_action("Fix all concurlint safe fixes", uri, text, outcome.text,
                                   codec, FIX_ALL))
    return actions


def _action(
    title: str,
    uri: str,
    old: str,
    new: str,
    codec: Any,
    kind: types.CodeActionKind | str,
    preferred: bool = False,
) -> types.CodeAction:
    edit = whole_document_edit(old, new, codec)
    return types.CodeAction(
        title=title,
        kind=kind,
        is_preferred=preferred or None,
        edit=types.WorkspaceEdit(changes={uri: [edit]}),
    )


def _suppressed(text: str, report: Diagnostic) -> str:
    suppressed, _ = add_noqa(text, [report])
    return suppressed


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(position: types.Position) -> tuple[int, int]:
        return (position.line, position.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _hover(ls: ConcurlintServer, params: types.HoverParams) -> types.Hover | None:
    project = ls.project
    if project is None:
        return None
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    codec = ls.workspace.position_codec
    at = types.Range(start=params.position, end=params.position)
    texts = []
    for report in ls.reports.get(_path(uri), []):
        if not _overlaps(to_range(document.lines, report.span, codec), at):
            continue
        info = project.catalog.rules.get(report.code)
        if info is None:
            continue
        why = info.why.strip().split("\n\n")[0] if info.why else ""
        texts.append(
            f"**{report.code} {info.name}**: {info.summary}\n\n{why}\n\n"
            f"Book chapter: [{info.url}]({info.url})"
        )
    if not texts:
        return None
    page = "\n\n---\n\n".join(texts)
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=page))


def main() -> int:
    """Serve the Language Server Protocol on standard input and output until exit."""
    build_server().start_io()
    return 0
