"""A hypothesis strategy for programs seeded with concurrency patterns.

Snippets from every family (threads, asyncio, multiprocessing, gevent) are placed in random
containers (module level, plain and async functions, methods, nested functions, ``with``,
``for``, ``try`` blocks), among filler statements and, optionally, after a program generated
by hypothesmith. Their imports are each kept or dropped at random, so that names resolve
sometimes and sometimes not, and fixes must sometimes add an import. The result always
compiles: a program that does not is a bug of this strategy, not of the linter.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st


@dataclass(frozen=True)
class Snippet:
    code: str  # one or more statements, indented with four spaces per level
    imports: tuple[str, ...] = ()
    coroutine_only: bool = False  # uses ``await`` or ``async with``/``async for``


def _s(code: str, *imports: str, coroutine_only: bool = False) -> Snippet:
    return Snippet(code, imports, coroutine_only)


TIME, ASYNCIO, THREADING = "import time", "import asyncio", "import threading"
MP, GEVENT = "import multiprocessing", "import gevent"
FUTURES = "import concurrent.futures"

SNIPPETS: tuple[Snippet, ...] = (
    # asyncio
    _s("time.sleep(0.01)", TIME),
    _s("sleep(1)", "from time import sleep"),
    _s("nap(2)", "from time import sleep as nap"),
    _s("requests.get('https://example.com')", "import requests"),
    _s("data = open('data.txt').read()"),
    _s("with open('data.txt') as handle:\n    handle.read()"),
    _s("subprocess.run(['true'], check=False)", "import subprocess"),
    _s("os.system('true')", "import os"),
    _s("asyncio.create_task(work())", ASYNCIO),
    _s("asyncio.ensure_future(work())", ASYNCIO),
    _s("task = asyncio.create_task(work())", ASYNCIO),
    _s("create_task(work())", "from asyncio import create_task"),
    _s("await asyncio.sleep(0)", ASYNCIO, coroutine_only=True),
    _s("await asyncio.gather(work(), work())", ASYNCIO, coroutine_only=True),
    _s("await loop.run_in_executor(None, time.sleep, 1)", TIME, coroutine_only=True),
    _s("async with asyncio.Lock():\n    time.sleep(0)", ASYNCIO, TIME, coroutine_only=True),
    _s("work()"),
    _s("asyncio.gather(work())", ASYNCIO),
    _s("asyncio.run(work())", ASYNCIO),
    _s("asyncio.get_event_loop().run_until_complete(work())", ASYNCIO),
    _s("loop.run_until_complete(work())"),
    _s("loop.run_forever()"),
    _s("handler = lambda: time.sleep(1)", TIME),
    _s("values = [time.sleep(i) for i in range(2)]", TIME),
    _s("pause = time.sleep\npause(1)", TIME),
    _s("queue.Queue().get()", "import queue"),
    _s("socket.create_connection(('localhost', 80))", "import socket"),
    # threads
    _s("threading.Thread(target=work).start()", THREADING),
    _s("thread = threading.Thread(target=print, daemon=True)\nthread.start()\nthread.join()",
       THREADING),
    _s("lock = threading.Lock()\nwith lock:\n    counter = 1", THREADING),
    _s("lock.acquire()\ntry:\n    pass\nfinally:\n    lock.release()"),
    _s("threading.Lock().acquire()", THREADING),
    _s("threading.Timer(1, print).start()", THREADING),
    _s("Thread(target=print).start()", "from threading import Thread"),
    _s("concurrent.futures.ThreadPoolExecutor().submit(print).result()", FUTURES),
    # multiprocessing
    _s("process = multiprocessing.Process(target=print)\nprocess.start()\nprocess.join()", MP),
    _s("multiprocessing.set_start_method('spawn', force=True)", MP),
    _s("with multiprocessing.Pool(2) as pool:\n    pool.map(abs, [1, -2])", MP),
    _s("mp.Queue().put(lambda: 1)", "import multiprocessing as mp"),
    _s("concurrent.futures.ProcessPoolExecutor().submit(lambda: 1)", FUTURES),
    # gevent
    _s("monkey.patch_all()", "from gevent import monkey"),
    _s("gevent.monkey.patch_all()", "import gevent.monkey"),
    _s("gevent.sleep(0)", GEVENT),
    _s("greenlet = gevent.spawn(print)\ngreenlet.join()", GEVENT),
    _s("gevent.joinall([gevent.spawn(time.sleep, 1)])", GEVENT, TIME),
    # `asyncio` taken near a blocking call: a fix writing `asyncio` there would break it
    _s("async def declares():\n    time.sleep(0)\n    global asyncio", TIME),
    _s("async def captures():\n    time.sleep(0)\n    match 1:\n        case asyncio:\n"
       "            pass", TIME),
    _s("async def takes(asyncio):\n    time.sleep(0)", TIME),
    _s("def outer():\n    asyncio = None\n    async def inner():\n        nonlocal asyncio\n"
       "        time.sleep(0)\n    return inner", TIME),
    _s("class Holder:\n    asyncio = None\n    async def method(self):\n        time.sleep(0)",
       TIME),
    _s("match 1:\n    case asyncio:\n        pass"),
    _s("values = [asyncio for asyncio in range(2)]"),
    _s("last = [(asyncio := i) for i in range(2)]"),
)

FILLERS: tuple[str, ...] = (
    "pass",
    "x = 1",
    "print('hello')  # a comment",
    "result = [i * 2 for i in range(3)]",
    "'''A docstring.'''",
    "if x := 3:\n    pass",
    "# just a comment\ny = None",
    "try:\n    pass\nexcept Exception:\n    raise",
)

# Containers: a header line each; the body goes one level deeper. (header, is_coroutine)
FUNCTIONS = (
    ("async def job(a, b=1):", True),
    ("def helper(*args, **kwargs):", False),
    ("@staticmethod\nasync def decorated():", True),
)
BLOCKS = ("with open('f') as f:", "for item in range(3):", "if x:", "while False:",
          "try:\n    pass\nfinally:")


def indent(code: str, level: int = 1) -> str:
    pad = "    " * level
    return "\n".join(pad + line if line.strip() else line for line in code.split("\n"))


@st.composite
def _body(draw: st.DrawFn, coroutine: bool, depth: int) -> tuple[str, set[str]]:
    """Statements for a body: snippets that fit (``await`` only in a coroutine), fillers and,
    above the depth limit, nested functions and blocks."""
    allowed = [s for s in SNIPPETS if coroutine or not s.coroutine_only]
    statements: list[str] = []
    imports: set[str] = set()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["snippet", "snippet", "filler", "nested"]))
        if kind == "snippet":
            snippet = draw(st.sampled_from(allowed))
            statements.append(snippet.code + draw(st.sampled_from(["", "", "  # noqa"])))
            imports.update(snippet.imports)
        elif kind == "filler" or depth >= 2:
            statements.append(draw(st.sampled_from(FILLERS)))
        else:
            code, needed = draw(_container(coroutine, depth + 1))
            statements.append(code)
            imports |= needed
    return "\n".join(statements), imports


@st.composite
def _container(draw: st.DrawFn, coroutine: bool, depth: int) -> tuple[str, set[str]]:
    if draw(st.booleans()):
        header, inner = draw(st.sampled_from(FUNCTIONS))
    else:
        header, inner = draw(st.sampled_from(BLOCKS)), coroutine
    body, imports = draw(_body(inner, depth))
    if header.startswith("@"):  # a decorated method needs its class
        return f"class Service:\n{indent(header)}\n{indent(body, 2)}", imports
    return f"{header}\n{indent(body)}", imports


@st.composite
def concurrency_programs(
    draw: st.DrawFn, surrounding: st.SearchStrategy[str] | None = None
) -> str:
    """A module: [generated code], imports (each kept or dropped), a ``work`` coroutine,
    then one to four top-level blocks; LF or CRLF line endings."""
    blocks: list[str] = []
    imports: set[str] = set()
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 3)) == 0:
            code, needed = draw(_body(False, 2))
        else:
            code, needed = draw(_container(False, 0))
        blocks.append(code)
        imports |= needed
    kept = [line for line in sorted(imports) if draw(st.integers(0, 4)) > 0]
    header = draw(st.permutations(kept)) if kept else []
    prefix = draw(surrounding) if surrounding is not None else ""
    work = draw(st.sampled_from(["async def work():\n    return 1", "def work():\n    return 1"]))
    program = "\n\n".join(["\n".join(header), work, *blocks]) + "\n"
    if prefix.strip():
        program = prefix.rstrip("\n") + "\n" + program
    return program.replace("\n", "\r\n") if draw(st.integers(0, 5)) == 0 else program
