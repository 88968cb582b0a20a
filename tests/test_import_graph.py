"""concurlint's modules import each other without cycles: module-level and function-level
imports both count (a deferred import is still a dependency), imports under
``if TYPE_CHECKING:`` do not (they never run)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from conftest import ROOT

from concurlint.module_names import ModuleNames

PACKAGE = ROOT / "src" / "concurlint"


_NAMES = ModuleNames([str(PACKAGE.parent)])
MODULES = {_NAMES(str(path))[0]: path for path in PACKAGE.rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child):
            for other in child.orelse:
                yield from _runtime_imports(ast.Module(body=[other], type_ignores=[]))
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        yield from _runtime_imports(child)


def imported(name: str) -> set[str]:
    """The concurlint modules that ``name`` imports when it runs."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
            continue
        base = node.module or ""
        if node.level:
            base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1],
                             *filter(None, [node.module])])
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in MODULES:
                found.add(submodule)
            elif base in MODULES:
                found.add(base)
    found.discard(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a path that returns to its start), or None."""
    done: set[str] = set()
    for start in sorted(graph):
        stack = [(start, iter(sorted(graph[start])))]
        on_path = [start]
        if start in done:
            continue
        while stack:
            node, successors = stack[-1]
            following = next(successors, None)
            if following is None:
                stack.pop()
                on_path.pop()
                done.add(node)
            elif following in on_path:
                return [*on_path[on_path.index(following):], following]
            elif following not in done:
                stack.append((following, iter(sorted(graph[following]))))
                on_path.append(following)
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_then() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_type_checking_imports_do_not_count() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\n"
                     "def f():\n    import y\n")
    assert [alias.name for node in _runtime_imports(tree) for alias in node.names] == [
        "TYPE_CHECKING", "y"]


def test_the_import_graph_of_concurlint_is_acyclic() -> None:
    graph = {name: imported(name) for name in MODULES}
    assert find_cycle(graph) is None
