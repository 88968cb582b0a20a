"""A hypothesis strategy for small programs that are safe to run and whose safe fixes must
not change what they print.

Only our own statements: no network, no files, no processes, sleeps of a millisecond. Each
coroutine mixes blocking calls with a fix (``time.sleep``, a lock acquired and released
by hand) and statements that take the name ``asyncio`` in the scopes around them
(``global``, ``nonlocal``, a ``match`` capture, a parameter, a comprehension, a class body).
Every coroutine starts with a blocking call, so that each has a fix to offer or refuse.
Coroutines are awaited one after another, so ``asyncio.sleep`` instead of ``time.sleep``
changes no order. The program prints what its coroutines recorded.
"""

from __future__ import annotations

import warnings

from concurrency_programs import indent
from hypothesis import strategies as st

STATEMENTS = (
    "time.sleep(0.001)",
    "time.sleep(0.001)\nrecord('slept')",
    "lock.acquire()\nrecord(len(seen))\nlock.release()",
    "match len(seen):\n    case asyncio:\n        record(asyncio)",
    "record([asyncio for asyncio in range(2)])",
    "record([(asyncio := i) for i in range(2)])\nrecord(asyncio)",
    "class Box:\n    asyncio = 5\n    double = asyncio * 2\nrecord(Box.double)",
    "def plus(asyncio):\n    return asyncio + 1\nrecord(plus(1))",
    "asyncio = 3\ndef bump():\n    nonlocal asyncio\n    asyncio += 1\nbump()\nrecord(asyncio)",
    "global asyncio",
    "record(type(asyncio).__name__)",
)
HEADER = """import threading
import time

seen = []
lock = threading.Lock()


def record(value):
    seen.append(value)
"""
FOOTER = """

async def main():
{calls}


if __name__ == "__main__":
    __import__("asyncio").run(main())  # no name of asyncio a fix could take as its own
    print(seen)
"""


def _compiles(text: str) -> bool:
    """``global`` after a use of the name, ``nonlocal`` with nothing to bind: drawn
    together, some statements make a program Python rejects; those are not drawn."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "program.py", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


@st.composite
def _coroutine(draw: st.DrawFn, number: int) -> tuple[str, str]:
    """An ``async def`` (at module level, as a method, or inside a function that holds
    ``asyncio``) and the expression that awaits it from ``main``."""
    rest = draw(st.lists(st.sampled_from(STATEMENTS), max_size=3))
    body = "\n".join([STATEMENTS[0], *rest])
    name = f"job_{number}"
    where = draw(st.sampled_from(["module", "method", "closure"]))
    if where == "method":
        code = f"class Service_{number}:\n    async def {name}(self):\n{indent(body, 2)}"
        return code, f"Service_{number}().{name}()"
    if where == "closure":
        code = (f"def make_{number}():\n    asyncio = 'outer'\n\n    async def {name}():\n"
                f"{indent(body, 2)}\n\n    return {name}")
        return code, f"make_{number}()()"
    return f"async def {name}():\n{indent(body)}", f"{name}()"


@st.composite
def runnable_programs(draw: st.DrawFn) -> str:
    """A whole program: the helpers, one to three coroutines, ``main`` awaiting each."""
    coroutines = [draw(_coroutine(number)) for number in range(draw(st.integers(1, 3)))]
    calls = "\n".join(f"    await {call}" for _, call in coroutines)
    program = "\n\n".join([HEADER, *(code for code, _ in coroutines)]) + FOOTER.format(
        calls=calls
    )
    return draw(st.just(program).filter(_compiles))
