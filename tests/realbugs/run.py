"""Runs one case on its buggy and its fixed version, from a local git copy of the repository
or from the PyPI releases that span the fix; every tree is unpacked outside the repository."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from concurlint.module_names import PROJECT_FILES

from .cases import Case, line_hash
from .lint import lint
from .matching import Report, near
from .pypi import CACHE, DownloadError, locate, release_tree
from .results import Outcome


def outcome(
    case: Case,
    buggy: tuple[list[Report], str, list[int]],
    fixed: tuple[list[Report], str, list[int]],
) -> Outcome:
    """Apply the matching rule to the reports of both versions."""
    found = near(buggy[0], buggy[1], buggy[2], case.codes)
    left = near(fixed[0], fixed[1], fixed[2], case.codes)
    return Outcome(
        bool(found),
        not left,
        tuple(sorted({r.label() for r in found})),
        tuple(sorted({r.label() for r in left})),
    )


def repository_dir(repos: Path, repository: str) -> Path:
    """The git directory of ``owner/name`` under ``repos`` (``owner+name/repo`` as a mirror
    keeps it, or ``owner+name``)."""
    folder = repos / repository.replace("/", "+")
    return folder / "repo" if (folder / "repo").exists() else folder


def extract_python_files(git_dir: Path, commit: str, paths: tuple[str, ...], into: Path) -> None:
    """Write the Python files under ``paths`` at ``commit`` into ``into``, with the project
    files (``pyproject.toml``, ``setup.cfg``, ``setup.py``) under them and in the folders
    above them, which decide the module names as in a checkout. Files are read one by one
    (not with `git archive`), so a copy that lacks some large non-Python blob works."""
    above = {
        (parent / name).as_posix()
        for path in paths
        for parent in PurePosixPath(path).parents
        for name in PROJECT_FILES
    }
    listing = subprocess.run(
        ["git", "-C", str(git_dir), "ls-tree", "-r", "-z", commit, "--", *paths, *sorted(above)],
        capture_output=True,
        check=True,
        timeout=600,
    ).stdout.decode("utf-8", errors="surrogateescape")
    wanted = []
    for entry in filter(None, listing.split("\0")):
        meta, name = entry.split("\t", 1)
        wanted_name = name.endswith((".py", ".pyi")) or PurePosixPath(name).name in PROJECT_FILES
        if meta.split()[1] == "blob" and wanted_name:
            wanted.append((meta.split()[2], name))
    batch = subprocess.run(
        ["git", "-C", str(git_dir), "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha, _ in wanted).encode(),
        capture_output=True,
        check=True,
        timeout=600,
    ).stdout
    offset = 0
    for _, name in wanted:
        header_end = batch.index(b"\n", offset)
        header = batch[offset:header_end].split()
        if header[-1] == b"missing":
            raise ValueError(f"the git copy lacks {name} at {commit[:9]}")
        size = int(header[2])
        target = into / name
        if ".." in Path(name).parts:
            raise ValueError(f"unsafe path in repository: {name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[header_end + 1 : header_end + 1 + size])
        offset = header_end + 1 + size + 1


def run_local(case: Case, repos: Path) -> Outcome:
    """Lint the parent and the fix commit's trees (only the case's lint paths)."""
    git_dir = repository_dir(repos, case.repository)
    with tempfile.TemporaryDirectory(prefix="concurlint-realbugs-") as temp:
        runs = []
        versions = ((case.parent_commit, case.lines), (case.fix_commit, case.fixed_lines))
        for commit, lines in versions:
            where = Path(temp) / commit
            where.mkdir()
            extract_python_files(git_dir, commit, case.lint, where / "tree")
            runs.append((lint(where / "tree", case.lint), case.path, list(lines)))
    return outcome(case, runs[0], runs[1])


def _lines_with(path: Path, hashes: tuple[str, ...]) -> list[int]:
    wanted = {h for h in hashes if h}
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [number for number, line in enumerate(text, 1) if line_hash(line) in wanted]


def run_pypi(case: Case, cache: Path = CACHE) -> Outcome:
    """Lint the package of the release before the fix and of the release after it; the
    case's lines are found in each release by their hashes."""
    if case.pypi is None:
        raise ValueError(f"{case.id} has no PyPI span")
    span = case.pypi
    runs = []
    after_hashes = span.after_line_hashes or case.fixed_line_hashes
    for version, hashes in ((span.before, case.line_hashes), (span.after, after_hashes)):
        base, file = locate(release_tree(span.name, version, cache), span.path)
        lines = _lines_with(file, hashes)
        if not lines:
            raise DownloadError(f"{case.id}: the recorded lines are not in {span.name}=={version}")
        package = PurePosixPath(span.path).parts[0]
        with tempfile.TemporaryDirectory(prefix="concurlint-realbugs-") as temp:
            companions = [release_tree(name, version, cache) for name in span.companions]
            root = installed_together(base, companions, package, Path(temp))
            runs.append((lint(root, [package]), span.path, lines))
    return outcome(case, runs[0], runs[1])


def installed_together(base: Path, companions: list[Path], package: str, into: Path) -> Path:
    """``base``, or, with companion releases, one folder holding ``package`` from ``base``
    and from each companion, as site-packages holds a namespace package's parts."""
    if not companions:
        return base
    for tree in (base, *companions):
        if not (tree / package).is_dir():
            raise DownloadError(f"{tree} has no folder {package}")
        shutil.copytree(tree / package, into / package, dirs_exist_ok=True)
    return into
