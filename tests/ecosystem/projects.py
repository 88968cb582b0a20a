"""The pinned projects: read from projects.txt, downloaded once into a cache outside the
repository and unpacked there, so that a second run needs no network."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

PROJECTS_FILE = Path(__file__).resolve().parent / "projects.txt"
CACHE_VARIABLE = "CONCURLINT_ECOSYSTEM_CACHE"
DEFAULT_CACHE = Path("~/.cache/concurlint-ecosystem")
CONFIG_NAME = "concurlint-ecosystem.toml"
_DONE = ".unpacked"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")


class ProjectError(Exception):
    """A project that cannot be listed, downloaded or unpacked: one line for the user."""


@dataclass(frozen=True)
class Project:
    name: str
    version: str

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}"


def parse_projects(text: str, origin: str = "projects.txt") -> list[Project]:
    """``name==version`` per line; ``#`` starts a comment. A name listed twice is an error,
    since its verdicts could not say which version they judged."""
    projects: list[Project] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if match is None:
            raise ProjectError(f"{origin}:{number}: expected `name==version`, got `{line}`")
        name, version = match.groups()
        if name in seen:
            raise ProjectError(f"{origin}:{number}: `{name}` is listed twice")
        seen.add(name)
        projects.append(Project(name, version))
    return projects


def read_projects(path: Path = PROJECTS_FILE) -> list[Project]:
    return parse_projects(path.read_text(encoding="utf-8"), origin=str(path))


def cache_root(override: str | None = None) -> Path:
    """The download cache: ``override``, else $CONCURLINT_ECOSYSTEM_CACHE, else
    ~/.cache/concurlint-ecosystem."""
    chosen = override or os.environ.get(CACHE_VARIABLE) or str(DEFAULT_CACHE)
    return Path(chosen).expanduser().resolve()


def project_root(project: Project, cache: Path) -> Path:
    """The unpacked project, downloading and unpacking it on first use. The root is the
    folder holding the package (a wheel's top level, or an sdist's single top folder), with a
    config that makes it the project's source root."""
    target = cache / "src" / project.folder
    if not (target / _DONE).is_file():
        archive = _download(project, cache / "downloads" / project.folder)
        _unpack_atomically(archive, target)
    return _single_top_folder(target) if _is_sdist(target) else target


def _unpack_atomically(archive: Path, target: Path) -> None:
    """Unpack beside ``target`` and rename, so that a run interrupted, or another run using
    the same cache at the same time, never sees half a project."""
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}-{threading.get_ident()}")
    _unpack(archive, partial)
    root = _single_top_folder(partial) if _is_sdist(partial) else partial
    (root / CONFIG_NAME).write_text('src = ["."]\n', encoding="utf-8")
    (partial / _DONE).write_text(archive.name + "\n", encoding="utf-8")
    if target.exists() and not (target / _DONE).is_file():
        shutil.rmtree(target)  # left by an older, interrupted run
    try:
        partial.rename(target)
    except OSError:  # another run unpacked it first
        shutil.rmtree(partial)


def _download(project: Project, folder: Path) -> Path:
    existing = _archives(folder)
    if not existing:
        folder.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--dest",
            str(folder),
            f"{project.name}=={project.version}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        existing = _archives(folder)
        if done.returncode != 0 or not existing:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no archive"]
            raise ProjectError(f"{project.name}=={project.version}: download failed: {lines[-1]}")
    return existing[0]


def _archives(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith((".whl", ".tar.gz", ".zip")))


def _unpack(archive: Path, target: Path) -> None:
    target.mkdir(parents=True)
    if archive.name.endswith(".tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        (target / ".sdist").touch()
        return
    with zipfile.ZipFile(archive) as wheel:
        wheel.extractall(target)
    if archive.name.endswith(".zip"):
        (target / ".sdist").touch()


def _is_sdist(target: Path) -> bool:
    return (target / ".sdist").is_file()


def _single_top_folder(target: Path) -> Path:
    folders = [p for p in target.iterdir() if p.is_dir()]
    return folders[0] if len(folders) == 1 else target
