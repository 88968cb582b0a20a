"""Benchmark concurlint against the floor (``ast.parse`` of every file) and other linters.

Run from a checkout after the README's set-up::

    .venv/bin/python tests/benchmarks/bench.py [PATH ...] [--repeat N] [--jobs N]

Default corpus: the running Python's standard library without its tests (see corpus.py).
The files are copied to a temporary folder first, so that "one file changed" can be
measured without touching the originals; every tool gets the same explicit file list.
Each copied tree is made a project (a ``pyproject.toml`` with ``[tool.concurlint]`` at its
root), so that a run naming one file inside it reads the whole project's facts, as
pre-commit's and editors' runs do inside a configured project.
Each figure is the fastest of ``--repeat`` runs (the machine may be shared); CPU seconds
(user + system, pool workers included) show the work done whatever the load; memory is the
peak proportional set size (PSS) summed over the tool's whole process tree.
"""

from __future__ import annotations

import argparse
import ast
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: find corpus.py

from corpus import python_files, stdlib

FLOOR = "import ast, sys\nfor p in sys.argv[1:]:\n    ast.parse(open(p, 'rb').read(), p)\n"
# flake8 as if concurlint were not installed: its plugin finder skips our distribution.
FLAKE8_WITHOUT_PLUGIN = """import sys
from flake8.main.cli import main
from flake8.plugins import finder
found = finder._find_importlib_plugins
finder._find_importlib_plugins = lambda: (p for p in found() if p.package != "concurlint")
sys.exit(main())
"""
FLAKE8_CODES = "E,F,W,C90"  # flake8's own codes: what a project selects when CCL is not wanted
PROJECT_CONFIG = "[tool.concurlint]\n"  # the defaults; its presence makes the tree a project
SAMPLE_SECONDS = 0.02
SLOW_SECONDS = 60.0


@dataclass(frozen=True)
class Row:
    """A figure to measure: the command, and what to do before each run of it."""

    name: str
    command: list[str]
    before: Callable[[], None] | None = None


@dataclass(frozen=True)
class Measure:
    name: str
    seconds: float  # wall clock
    cpu_seconds: float  # user + system, over the whole process tree
    peak_mb: float


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="default: the stdlib without tests")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (fastest kept)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--flake8", action="store_true",
                        help="measure only what the flake8 plugin costs flake8")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="concurlint-bench-") as scratch:
        files = _copy_corpus(args.paths or [stdlib()], Path(scratch) / "corpus")
        lines = sum(_count_lines(path) for path in files)
        print(f"{len(files)} files, {lines} lines; {os.cpu_count()} CPUs; load {_load()}")
        run = _run_flake8 if args.flake8 else _run_all
        measures = run(files, Path(scratch), args.repeat, args.jobs)
        print(f"load after: {_load()}\n")
        print(_table(measures, lines, "x plugin not installed" if args.flake8 else "x floor"))
    return 0


def _run_all(files: list[str], scratch: Path, repeat: int, jobs: int) -> list[Measure]:
    python = sys.executable
    concurlint = [python, "-m", "concurlint", "--exit-zero", "--jobs", str(jobs)]
    cache = ["--cache-dir", str(scratch / "cache")]
    measures = [
        _measure("ast.parse (floor, 1 process)", [python, "-c", FLOOR, *files], repeat),
        _measure("concurlint cold (--no-cache)", [*concurlint, "--no-cache", *files], repeat),
    ]
    subprocess.run([*concurlint, *cache, *files], capture_output=True, check=True)
    measures.append(_measure("concurlint warm, nothing changed", [*concurlint, *cache, *files],
                             repeat))
    # picked before any change: appending lines must not move the typical file
    typical, worst = _median_size(files), _largest_coroutine_module(files)
    for changed in (typical, worst):
        measures.append(_measure(
            f"concurlint warm, 1 file changed ({Path(changed).name})",
            [*concurlint, *cache, *files], repeat, before=partial(_append_line, changed),
        ))
    # filled as `concurlint .` fills it: the projects' walk leaves out what a one-file run's
    # walk leaves out (the standard library's venv/), so both runs join the same summaries
    projects = sorted(str(path) for path in (scratch / "corpus").iterdir())
    subprocess.run([*concurlint, *cache, *projects], capture_output=True, check=True)
    for row in _one_file_rows([*concurlint, *cache], typical, worst):
        measures.append(_measure(row.name, row.command, repeat, row.before))
    ruff = shutil.which("ruff", path=str(Path(python).parent)) or shutil.which("ruff")
    if ruff:
        measures.append(_measure("ruff --select ASYNC,RUF006 --no-cache",
                                 [ruff, "check", "--select", "ASYNC,RUF006", "--no-cache",
                                  "--exit-zero", *files], repeat))
    if _importable("flake8_async"):
        measures.append(_measure(f"flake8 --select ASYNC (flake8-async, -j {jobs})",
                                 [python, "-m", "flake8", "--select", "ASYNC", "-j", str(jobs),
                                  "--exit-zero", *files], repeat))
    return measures


def _run_flake8(files: list[str], scratch: Path, repeat: int, jobs: int) -> list[Measure]:
    """flake8 without the plugin, with it installed but CCL not selected (the overhead every
    flake8 user pays for having concurlint installed), and with CCL selected. The first row
    is the reference of the table's ratio column."""
    del scratch  # flake8 keeps no cache
    python = sys.executable
    common = ["-j", str(jobs), "--exit-zero", *files]
    return [
        _measure(f"flake8 --select {FLAKE8_CODES}, plugin not installed",
                 [python, "-c", FLAKE8_WITHOUT_PLUGIN, "--select", FLAKE8_CODES, *common],
                 repeat),
        _measure(f"flake8 --select {FLAKE8_CODES}, plugin installed",
                 [python, "-m", "flake8", "--select", FLAKE8_CODES, *common], repeat),
        _measure(f"flake8 --select {FLAKE8_CODES},CCL",
                 [python, "-m", "flake8", "--select", f"{FLAKE8_CODES},CCL", *common], repeat),
    ]


def _one_file_rows(concurlint: Sequence[str], typical: str, worst: str) -> list[Row]:
    """``concurlint <one file>`` inside the project, its cache filled by a whole run: what
    pre-commit and editors run. The file is named alone, but the run reads (and checks the
    bytes of) the whole project's summaries."""
    rows = [Row(f"concurlint warm, 1 file named ({Path(typical).name}), nothing changed",
                [*concurlint, typical])]
    rows.extend(
        Row(f"concurlint warm, 1 file named and changed ({Path(changed).name})",
            [*concurlint, changed], partial(_append_line, changed))
        for changed in (typical, worst)
    )
    return rows


def _copy_corpus(paths: Sequence[Path], target: Path) -> list[str]:
    """Copy the source files under ``target``, each path's tree in a folder of its own
    made a project (the same one for every row, written before any run)."""
    copied = []
    for top in paths:
        base = top.parent if top.is_file() else top
        (target / base.name).mkdir(parents=True, exist_ok=True)
        (target / base.name / "pyproject.toml").write_text(PROJECT_CONFIG, encoding="utf-8")
        for path in python_files(top):
            destination = target / base.name / os.path.relpath(path, base)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            copied.append(str(destination))
    return sorted(copied)


def _count_lines(path: str) -> int:
    with open(path, "rb") as stream:
        return stream.read().count(b"\n")


def _median_size(files: Sequence[str]) -> str:
    """A typical file to change: the one of median size."""
    return sorted(files, key=os.path.getsize)[len(files) // 2]


def _largest_coroutine_module(files: Sequence[str]) -> str:
    """The worst case for "one file changed": the largest file with an ``async def``,
    which libcst must analyze."""
    return max((path for path in files if _has_coroutine(path)), key=os.path.getsize,
               default=files[0])


def _has_coroutine(path: str) -> bool:
    try:
        tree = ast.parse(Path(path).read_bytes(), path)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return any(isinstance(node, ast.AsyncFunctionDef) for node in ast.walk(tree))


def _append_line(path: str) -> None:
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(f"# changed at {time.time_ns()}\n")


def _measure(
    name: str, command: list[str], repeat: int, before: Callable[[], None] | None = None
) -> Measure:
    best = Measure(name, float("inf"), float("inf"), 0.0)
    for _ in range(repeat):
        if before is not None:
            before()
        seconds, cpu, peak = _run(command)
        best = Measure(name, min(best.seconds, seconds), min(best.cpu_seconds, cpu),
                       max(best.peak_mb, peak))
        if seconds > SLOW_SECONDS:
            break  # minutes-long runs are not repeated: their noise is small in relative terms
    print(f"  {name}: {best.seconds:.2f} s, {best.cpu_seconds:.2f} CPU s, {best.peak_mb:.0f} MB",
          file=sys.stderr)
    return best


def _run(command: list[str]) -> tuple[float, float, float]:
    """Wall-clock seconds, CPU seconds and peak PSS (MB) of the command's process tree."""
    used = _children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = [0]
    sampler = threading.Thread(target=_sample, args=(process, peak), daemon=True)
    sampler.start()
    process.wait()
    seconds = time.perf_counter() - start
    sampler.join()
    return seconds, _children_cpu() - used, peak[0] / 1024


def _children_cpu() -> float:
    """CPU time of every finished descendant (a pool's workers are waited for by the tool)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _sample(process: subprocess.Popen[bytes], peak: list[int]) -> None:
    while process.poll() is None:
        peak[0] = max(peak[0], sum(_pss_kb(pid) for pid in _tree(process.pid)))
        time.sleep(SAMPLE_SECONDS)


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc (empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, ()))
    return found


def _pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _importable(module: str) -> bool:
    probe = [sys.executable, "-c", f"import {module}"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _table(measures: Sequence[Measure], lines: int, ratio: str) -> str:
    """The ratio columns compare each row with the first one."""
    floor = measures[0]
    rows = [
        f"| what | seconds | lines/s | peak MB | {ratio} | CPU seconds | CPU {ratio} |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for measure in measures:
        rate = lines / measure.seconds if measure.seconds else float("inf")
        rows.append(
            f"| {measure.name} | {measure.seconds:.2f} | {rate:,.0f} | {measure.peak_mb:.0f} | "
            f"{measure.seconds / floor.seconds:.2f} | {measure.cpu_seconds:.2f} | "
            f"{measure.cpu_seconds / floor.cpu_seconds:.2f} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())
