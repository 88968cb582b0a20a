"""Code that a web or RPC framework runs on several threads at once, read with ``ast``.

A package that serves requests through gRPC, FastAPI, Flask or Django often starts no
thread itself: the framework's server runs the views on its own threads
(``rules/spawning.toml``, ``[[framework]]``). The views are thread entry points all the same,
of the same kind as a ``Thread`` target: the module summaries list them (and the views of
other modules they name, as thread starts) for the project pass, and the libcst model asks
the same reading of its own module (``SpawnAnalysis``), so that a file linted alone and
within its project agree.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from concurlint.model.spawners import ArgumentSlot
from concurlint.summary import Resolver, module_level

_KEYS = frozenset({
    "name", "why", "objects", "decorators", "object-registers", "registers", "target", "bases",
    "methods", "dependencies", "shares-instance",
})
_WILDCARDS = re.compile(r"[*?\[\]]")


@dataclass(frozen=True)
class Framework:
    """One ``[[framework]]`` entry of the catalog (see ``rules/spawning.toml``)."""

    name: str
    why: str
    objects: tuple[str, ...] = ()
    decorators: frozenset[str] = frozenset()
    object_registers: frozenset[str] = frozenset()
    registers: tuple[str, ...] = ()
    target: ArgumentSlot | None = None
    bases: tuple[str, ...] = ()
    methods: frozenset[str] = frozenset()  # empty: every public method
    dependencies: tuple[str, ...] = ()
    shares_instance: bool = False

    @classmethod
    def from_catalog(cls, entry: Mapping[str, Any]) -> Framework:
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise ValueError(f"unknown key `{unknown[0]}` in a [[framework]] of the catalog")
        return cls(
            entry["name"],
            entry["why"],
            tuple(entry.get("objects", ())),
            frozenset(entry.get("decorators", ())),
            frozenset(entry.get("object-registers", ())),
            tuple(entry.get("registers", ())),
            ArgumentSlot(**entry["target"]) if "target" in entry else None,
            tuple(entry.get("bases", ())),
            frozenset(entry.get("methods", ())),
            tuple(entry.get("dependencies", ())),
            bool(entry.get("shares-instance", False)),
        )

    def handles(self, method: str) -> bool:
        """True for a method of a request-handling class that the framework calls."""
        return method in self.methods if self.methods else not method.startswith("_")


def per_request(framework: str, through: str = "") -> str:
    """Why a view (or a function it calls, ``through`` it) runs on several threads at
    once, as messages say it."""
    return f"run by {framework} for each request" + (f" through `{through}`" if through else "")


def frameworks(sections: Iterable[Mapping[str, Any]]) -> tuple[Framework, ...]:
    """The catalog's ``[[framework]]`` entries, typed; an unknown key is an error."""
    return tuple(Framework.from_catalog(entry) for entry in sections)


def screen_words(known: Iterable[Framework]) -> frozenset[str]:
    """Words one of which a module's text holds when it can declare a view: the top-level
    module of each plain name, the longest literal part of each pattern."""
    words = set()
    for framework in known:
        for name in (*framework.objects, *framework.registers, *framework.bases):
            if _WILDCARDS.search(name):
                words.add(max(_WILDCARDS.split(name), key=len).strip("."))
            else:
                words.add(name.partition(".")[0])
    return frozenset(words)


@dataclass(frozen=True)
class FrameworkEntry:
    """A function (``view``) or method (``Servicer.Get``) of the module that a framework
    runs for each request."""

    qualname: str
    framework: str
    shares_instance: bool = False


@dataclass(frozen=True)
class FrameworkStart:
    """A function of another module (absolute name) that this module hands a framework as
    a view (``path("", views.index)``)."""

    target: str
    framework: str


def framework_entries(
    tree: ast.Module, resolver: Resolver, known: tuple[Framework, ...]
) -> tuple[tuple[FrameworkEntry, ...], tuple[FrameworkStart, ...]]:
    """The module's own views and servicer methods, and the views of other modules it
    registers, in source order, each once."""
    if not known:
        return (), ()
    reading = _Reading(tree, resolver, known)
    entries = dict.fromkeys(reading.entries())
    starts = dict.fromkeys(reading.starts)
    return tuple(entries), tuple(starts)


def own_entries(
    tree: ast.Module, module: str, package: str, known: tuple[Framework, ...]
) -> tuple[FrameworkEntry, ...]:
    """The views of the linted module itself, read as its summary reads them (``module``
    is the name it is read as, ``package`` the package its relative imports start from)."""
    resolver = Resolver.of_names(tree, module, package)
    return framework_entries(tree, resolver, known)[0]


class _Reading:
    def __init__(self, tree: ast.Module, resolver: Resolver, known: tuple[Framework, ...]) -> None:
        self.tree = tree
        self.resolver = resolver
        self.known = known
        self.functions = {
            statement.name: statement
            for statement in tree.body
            if isinstance(statement, ast.FunctionDef) and resolver.bound.get(statement.name) == 1
        }
        self.classes = {
            statement.name: statement
            for statement in tree.body
            if isinstance(statement, ast.ClassDef) and resolver.bound.get(statement.name) == 1
        }
        self.objects = dict(self._objects())
        self.starts: list[FrameworkStart] = []  # filled while the entries are read

    def _name(self, expression: ast.expr) -> str | None:
        return self.resolver.target(expression, frozenset(), None, None)

    def _matches(self, expression: ast.expr, patterns: Iterable[str]) -> bool:
        name = self._name(expression)
        return name is not None and any(fnmatchcase(name, pattern) for pattern in patterns)

    def _objects(self) -> Iterator[tuple[str, Framework]]:
        """Module-level names bound once to an application object (``app = Flask(...)``)."""
        for statement in module_level(self.tree.body):
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
            elif isinstance(statement, ast.AnnAssign):  # `router: Final = APIRouter()`
                target = statement.target
            else:
                continue
            if not (isinstance(target, ast.Name) and isinstance(statement.value, ast.Call)):
                continue
            name = target.id
            framework = self._framework_of(statement.value.func, "objects")
            if framework is not None and self.resolver.bound.get(name) == 1:
                yield name, framework

    def _framework_of(self, expression: ast.expr, field: str) -> Framework | None:
        return next(
            (f for f in self.known if self._matches(expression, getattr(f, field))), None
        )

    def entries(self) -> Iterator[FrameworkEntry]:
        for function in self.functions.values():
            for decorator in function.decorator_list:
                framework = self._object_method(decorator, "decorators")
                if framework is not None:
                    yield FrameworkEntry(function.name, framework.name)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                yield from self._call(node)
        yield from self._handler_classes()

    def _object_method(self, expression: ast.expr, field: str) -> Framework | None:
        """The framework whose object's method ``field`` lists ``expression`` calls
        (``@app.get("/")``, ``bp.add_url_rule(...)``)."""
        func = expression.func if isinstance(expression, ast.Call) else None
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        framework = self.objects.get(func.value.id)
        if framework is None or func.attr not in getattr(framework, field):
            return None
        return framework

    def _call(self, call: ast.Call) -> Iterator[FrameworkEntry]:
        """Views handed to a register call, and the dependencies of a path operation."""
        for framework in self.known:
            if framework.dependencies and self._matches(call.func, framework.dependencies):
                handed = ArgumentSlot(0, "dependency").find_in_ast(call)
            elif framework.target is not None and (
                self._matches(call.func, framework.registers)
                or self._object_method(call, "object_registers") is framework
            ):
                handed = framework.target.find_in_ast(call)
            else:
                continue
            if handed is not None:
                yield from self._handed(handed, framework)
            return

    def _handed(self, handed: ast.expr, framework: Framework) -> Iterator[FrameworkEntry]:
        """A view passed by name, or a servicer instance of a class of the module."""
        if isinstance(handed, ast.Call) and isinstance(handed.func, ast.Name):
            klass = self.classes.get(handed.func.id)
            if klass is not None:
                yield from _handlers(klass, framework)
            return
        if isinstance(handed, ast.Name) and handed.id in self.functions:
            yield FrameworkEntry(handed.id, framework.name)
            return
        head = handed
        while isinstance(head, ast.Attribute):
            head = head.value
        target = self._name(handed)
        if isinstance(head, ast.Name) and head.id in self.resolver.imports and target:
            self.starts.append(FrameworkStart(target, framework.name))

    def _handler_classes(self) -> Iterator[FrameworkEntry]:
        """Classes deriving from a framework's handler base, directly or through a class of
        the module listed before them."""
        found: dict[str, Framework] = {}
        for name, klass in self.classes.items():
            for base in klass.bases:
                framework = (
                    found.get(base.id) if isinstance(base, ast.Name) and base.id in found
                    else self._framework_of(base, "bases")
                )
                if framework is not None:
                    found[name] = framework
                    yield from _handlers(klass, framework)
                    break


def _handlers(klass: ast.ClassDef, framework: Framework) -> Iterator[FrameworkEntry]:
    for member in klass.body:
        if isinstance(member, ast.FunctionDef) and framework.handles(member.name):
            yield FrameworkEntry(
                f"{klass.name}.{member.name}", framework.name, framework.shares_instance
            )

