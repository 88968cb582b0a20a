"""Released versions from PyPI, downloaded once into a cache outside the repository.

Wheels come through `pip download --no-deps --only-binary=:all:`. A release published only as
an sdist is fetched from PyPI's JSON API and unpacked as an archive: `pip download` would build
the sdist's metadata, which runs the project's setup code, and code under test is never run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urljoin

CACHE = Path(
    os.environ.get("CONCURLINT_REALBUGS_CACHE", Path.home() / ".cache" / "concurlint-realbugs")
)


class DownloadError(RuntimeError):
    """A release that could not be downloaded or unpacked."""


def _pip_wheel(name: str, version: str, into: Path) -> Path | None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--dest",
            str(into),
            f"{name}=={version}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheels = sorted(into.glob("*.whl"))
    return wheels[0] if completed.returncode == 0 and wheels else None


def _sdist(name: str, version: str, into: Path) -> Path:
    url, files = _release_files(name, version)
    sdists = [f for f in files if f["packagetype"] == "sdist"]
    if not sdists:
        raise DownloadError(f"{name}=={version}: neither a wheel nor an sdist on PyPI")
    target = into / sdists[0]["filename"]
    with urllib.request.urlopen(urljoin(url, sdists[0]["url"]), timeout=300) as response:
        target.write_bytes(response.read())
    return target


def _release_files(name: str, version: str) -> tuple[str, list[dict[str, str]]]:
    """The files of one release, from PyPI's JSON API, with the address their (possibly
    relative) URLs are relative to. Some indexes serving the API answer only the project's
    page, not the release's, so that page's ``releases`` is the fallback."""
    url = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return url, json.load(response)["urls"]
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
    url = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(url, timeout=120) as response:
        releases = json.load(response)["releases"]
    if version not in releases:
        raise DownloadError(f"{name}=={version}: no such release on PyPI")
    return url, releases[version]


def _unpack(archive: Path, into: Path) -> None:
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(into)
        return
    extract_tar(archive, into)


def extract_tar(archive: Path, into: Path) -> None:
    """Unpack a tar archive keeping only plain files and folders inside ``into``."""
    with tarfile.open(archive) as tarred:
        if hasattr(tarfile, "data_filter"):
            tarred.extractall(into, filter="data")
        else:  # pragma: no cover - a Python without extraction filters
            for member in tarred.getmembers():
                if (member.isfile() or member.isdir()) and ".." not in Path(member.name).parts:
                    tarred.extract(member, into)


def release_tree(name: str, version: str, cache: Path = CACHE) -> Path:
    """The unpacked files of ``name==version`` (downloaded on first use)."""
    target = cache / f"{name.lower()}-{version}"
    tree = target / "tree"
    if (target / ".complete").exists():
        return tree
    shutil.rmtree(target, ignore_errors=True)
    dist = target / "dist"
    dist.mkdir(parents=True)
    archive = _pip_wheel(name, version, dist) or _sdist(name, version, dist)
    _unpack(archive, tree)
    (target / ".complete").write_text(archive.name + "\n", encoding="utf-8")
    return tree


def locate(tree: Path, relative: str) -> tuple[Path, Path]:
    """The folder to lint and the file inside it: the shortest path in ``tree`` that ends
    with ``relative`` (wheels keep packages at the root, sdists under a project folder)."""
    parts = Path(relative).parts
    matches = sorted(
        (p for p in tree.rglob(parts[-1]) if p.parts[-len(parts) :] == parts),
        key=lambda p: len(p.parts),
    )
    if not matches:
        raise DownloadError(f"{relative} is not in {tree}")
    found = matches[0]
    base = Path(*found.parts[: len(found.parts) - len(parts)])
    return base, found
