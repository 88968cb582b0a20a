"""Load the rule catalog (TOML data in ``rules/``) and merge user extensions into it.

The catalog is data, not code: what blocks, what spawns, what gevent patches, and which book
page each rule links to. It ships inside the wheel as ``concurlint/rules``; a source checkout
reads the top-level ``rules/`` folder instead.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_FOLDINGS = 6  # at most this many canonical-modules foldings of one name in a row


def catalog_dir() -> Path:
    """The folder holding the catalog: inside the installed package, or the checkout's."""
    packaged = resources.files("concurlint").joinpath("rules")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "rules"


@dataclass(frozen=True)
class ArgumentForm:
    """An argument that makes a call non-blocking, e.g. ``block=False`` or ``timeout=0``."""

    value: str
    position: int | None = None
    keyword: str | None = None


@dataclass(frozen=True)
class BlockingGroup:
    """Blocking calls sharing one piece of advice. ``offload`` is False when the calls'
    objects must stay on their thread, so wrapping them in ``asyncio.to_thread`` is no fix;
    ``fails`` is False when the calls wait without failing at run time (a sleep, a lock)."""

    kind: str
    advice: str
    names: frozenset[str]
    nonblocking: tuple[ArgumentForm, ...] = ()
    offload: bool = True
    fails: bool = True


@dataclass(frozen=True)
class RuleInfo:
    """A rule's metadata; ``why`` and ``fix`` are the prose of its docs page (may be empty),
    ``fixes`` the applicabilities of the fixes it offers (``safe``, ``unsafe``) and
    ``options`` the configuration keys that change what it reports."""

    code: str
    name: str
    summary: str
    url: str
    why: str = ""
    fix: str = ""
    fixes: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    known: str = ""  # "Known problems": what is left out on purpose, and why


@dataclass(frozen=True)
class Catalog:
    """The merged catalog; ``data`` is the raw TOML, typed views are derived lazily."""

    data: Mapping[str, Any]
    digest: str = field(default="", compare=False)

    def section(self, name: str) -> Any:
        return self.data.get(name, {})

    def names(self, section: str) -> frozenset[str]:
        """The ``names`` list of a ``[section]`` table, as a set."""
        return frozenset(self.section(section).get("names", ()))

    @cached_property
    def rules(self) -> Mapping[str, RuleInfo]:
        root = self.data.get("book-root", "")
        return {
            code: RuleInfo(
                code,
                entry["name"],
                entry["summary"],
                root + entry["book"],
                entry.get("why", "").strip(),
                entry.get("fix", "").strip(),
                tuple(entry.get("fixes", ())),
                tuple(entry.get("options", ())),
                entry.get("known", "").strip(),
            )
            for code, entry in self.section("rules").items()
        }

    @cached_property
    def blocking(self) -> tuple[BlockingGroup, ...]:
        return self.blocking_groups("blocking")

    def blocking_groups(self, section: str) -> tuple[BlockingGroup, ...]:
        """The ``[[section]]`` tables of blocking calls (``kind``, ``advice``, ``names``)."""
        return tuple(
            BlockingGroup(
                kind=group["kind"],
                advice=group["advice"],
                names=frozenset(group["names"]),
                nonblocking=tuple(ArgumentForm(**form) for form in group.get("nonblocking", ())),
                offload=group.get("offload", True),
                fails=group.get("fails", True),
            )
            for group in self.section(section)
        )

    @cached_property
    def failing_calls(self) -> frozenset[str]:
        """The blocking calls whose failure is a run-time event (file, network, subprocess):
        evidence that executor work can fail in a way worth seeing (CCL209)."""
        return frozenset().union(*(group.names for group in self.blocking if group.fails))

    @cached_property
    def canonical_modules(self) -> Mapping[str, str]:
        return dict(self.section("canonical-modules"))

    @cached_property
    def returns(self) -> Mapping[str, str]:
        return dict(self.section("returns"))

    @cached_property
    def item_methods(self) -> Mapping[str, frozenset[str]]:
        """Per generic container type, the methods that hand back one of its items, so
        that ``waiters.popleft()`` of ``waiters: deque[Future]`` is a ``Future``."""
        return {name: frozenset(methods) for name, methods in self.section("item-methods").items()}

    @cached_property
    def awaits(self) -> Mapping[str, tuple[str, ...]]:
        """What awaiting a coroutine function's result gives: one type, or the element types
        of the tuple it returns (``reader, writer = await asyncio.open_connection(...)``)."""
        return {
            name: (value,) if isinstance(value, str) else tuple(value)
            for name, value in self.section("awaits").items()
        }

    @cached_property
    def known_types(self) -> frozenset[str]:
        """Classes named in the catalog as a return type or the owner of a ``Type.method``."""
        types: set[str] = set(self.returns.values())
        types.update(t for elements in self.awaits.values() for t in elements)
        for name in (*_all_names(self.data), *self.returns):
            owner, _, _ = name.rpartition(".")
            if owner and owner.rpartition(".")[2][:1].isupper():
                types.add(owner)
        return frozenset(types)

    @cached_property
    def screen_words(self) -> frozenset[str]:
        """Top-level module names mentioned by the catalog: a file naming none of them
        (and lacking every rule-specific keyword) cannot match a catalog entry."""
        return frozenset(name.split(".")[0] for name in _all_names(self.data))

    def canonical(self, name: str) -> str:
        """Fold private submodules into their public module (`asyncio.tasks.x` -> `asyncio.x`)."""
        modules = self.canonical_modules
        for _ in range(_FOLDINGS):  # a chain of foldings, bounded
            prefix = name
            while prefix and prefix not in modules:
                prefix = prefix.rpartition(".")[0]
            if not prefix:
                return name
            name = modules[prefix] + name[len(prefix):]
        return name

    def import_roots(self, names: Iterable[str]) -> frozenset[str] | None:
        """Top-level modules of which a file must import one before the model can resolve
        a call to any of ``names``, or None when a builtin can lead to one without imports.

        The model knows a name from an import (or a builtin), or ``Type.method`` from a type
        it inferred: a catalog class whose name came the same way, or the ``returns`` type
        of such a call; any name may be folded through ``canonical-modules``. Following
        those links backwards, module by module (a superset, so always sound), gives every
        top-level module that can lead to ``names``.
        """
        roots = {_root(name) for name in names}
        links = [*self.canonical_modules.items(), *self.returns.items()]
        grown = True
        while grown:
            sources = {_root(source) for source, target in links if _root(target) in roots}
            grown = not sources <= roots
            roots |= sources
        return None if "builtins" in roots else frozenset(roots)


def _root(name: str) -> str:
    return name.partition(".")[0]


def _all_names(node: Any) -> Iterable[str]:
    """Every dotted name listed under a ``names`` key anywhere in the catalog."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "names":
                yield from value
            else:
                yield from _all_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _all_names(item)


def _merge(into: dict[str, Any], data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = [*into[key], *value]
        else:
            into[key] = value


def load_catalog(
    extensions: Mapping[str, Any] | None = None, folder: Path | None = None
) -> Catalog:
    """Read every ``*.toml`` of the catalog folder (sorted, so the merge is deterministic),
    then merge ``extensions`` (built from user settings) on top. Once per process for
    each set of extensions: the command, the project pass and the rules share one."""
    return _load_catalog(json.dumps(extensions or {}, sort_keys=True), folder)


@lru_cache(maxsize=8)
def _load_catalog(extensions: str, folder: Path | None) -> Catalog:
    return _read_catalog(json.loads(extensions), folder)


def _read_catalog(
    extensions: Mapping[str, Any] | None = None, folder: Path | None = None
) -> Catalog:
    """The catalog read afresh (``load_catalog`` gives the process's shared one)."""
    merged: dict[str, Any] = {}
    digest = hashlib.sha256()
    for path in sorted((folder or catalog_dir()).glob("*.toml")):
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        _merge(merged, tomllib.loads(raw.decode("utf-8")))
    if extensions:
        digest.update(repr(sorted(extensions.items())).encode())
        _merge(merged, extensions)
    return Catalog(merged, digest.hexdigest())
