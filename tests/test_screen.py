"""The screens and the cheaper metadata never change what is reported.

Screening (rule words, then the rules' verdicts on Python's ``ast``) and the model's own
parent map and per-node qualified names are only allowed to save time: every test here
compares them with the plain, unscreened, whole-module-provider way.
"""

from __future__ import annotations

import os
from pathlib import Path

import libcst as cst
import pytest
from benchmarks.corpus import python_files, stdlib
from conftest import FIXTURES, ROOT
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from concurlint.checks import ALL_RULES
from concurlint.config import Settings
from concurlint.engine import RuleSet, lint_files, lint_source, run_with_deep_stack
from concurlint.files import Source, read_source
from concurlint.model.catalog import load_catalog
from concurlint.model.module import ModuleModel
from concurlint.model.walk import (
    parents_and_order,
    read_only_visits,
    visit_batched,
    visitor_methods,
)
from concurlint.screen import TreeFacts

# A few standard-library modules: some report, some are kept by the word screen only to be
# dropped by the ast screen, some use asyncio heavily without reporting.
STDLIB_SAMPLE = (
    "asyncio/base_subprocess.py",
    "asyncio/queues.py",
    "asyncio/runners.py",
    "asyncio/staggered.py",
    "concurrent/futures/thread.py",
    "sched.py",
    "queue.py",
)
_RESOLVED = (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)


def fixture_files() -> list[str]:
    return sorted(str(path) for path in FIXTURES.rglob("*.py"))


def stdlib_sample() -> list[str]:
    return [str(stdlib() / name) for name in STDLIB_SAMPLE if (stdlib() / name).is_file()]


def _sources(paths: list[str]) -> list[Source]:
    sources = [read_source(path) for path in paths]
    assert all(isinstance(source, Source) for source in sources)
    return sources  # type: ignore[return-value]


def _screened_and_unscreened(paths: list[str], settings: Settings) -> tuple[list, list]:
    def lint_both() -> tuple[list, list]:
        screened, unscreened = RuleSet.build(settings), RuleSet.build(settings, screen=False)
        sources = _sources(paths)
        return (
            [lint_source(source, screened).diagnostics for source in sources],
            [lint_source(source, unscreened).diagnostics for source in sources],
        )

    return run_with_deep_stack(lint_both)


@pytest.mark.parametrize("corpus", [fixture_files, stdlib_sample], ids=["fixtures", "stdlib"])
def test_screened_reports_equal_unscreened(corpus) -> None:
    screened, unscreened = _screened_and_unscreened(corpus(), Settings(root=ROOT))
    assert screened == unscreened


def test_catalog_extension_widens_the_screen(tmp_path: Path) -> None:
    module = tmp_path / "client.py"
    module.write_text("from mylib import sync_fetch\n\n\nasync def f():\n    sync_fetch()\n")
    settings = Settings(root=tmp_path, extend_blocking_calls=("mylib.sync_fetch",))
    screened, unscreened = _screened_and_unscreened([str(module)], settings)
    assert [d.code for d in screened[0]] == ["CCL201"]
    assert screened == unscreened


def test_import_roots_follow_returns_and_canonical_modules() -> None:
    catalog = load_catalog({"returns": {"mylib.connect": "asyncio.AbstractEventLoop"}})
    roots = catalog.import_roots({"asyncio.AbstractEventLoop.sock_recv"})
    assert roots == {"asyncio", "mylib"}


def test_import_roots_give_up_when_a_builtin_leads_there() -> None:
    assert load_catalog().import_roots({"io.IOBase.read"}) is None


def test_tree_facts_see_code_not_strings() -> None:
    facts = TreeFacts(__import__("ast").parse("'create_task'\nimport a.b\nx.ensure_future()\n"))
    assert facts.mentions_any({"ensure_future"}) and not facts.mentions_any({"create_task"})
    assert facts.imports_any({"a.b"}) and facts.imports_any({"a"}) and not facts.imports_any({"b"})


class _Recorder(cst.CSTVisitor):
    """Records every visit and leave of libcst's own traversal, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, cst.CSTNode]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", node))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", original_node))


class _BatchedRecorder(cst.BatchableCSTVisitor):
    """Records every ``visit_<Node>`` and ``leave_<Node>`` call, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, cst.CSTNode]] = []

    def get_visitors(self) -> dict:
        kinds = [name for name, kind in vars(cst).items()
                 if isinstance(kind, type) and issubclass(kind, cst.CSTNode)]
        return {
            f"{when}_{kind}": lambda node, when=when: self.events.append((when, node))
            for kind in kinds
            for when in ("visit", "leave")
        }


@pytest.mark.parametrize("corpus", [fixture_files, stdlib_sample], ids=["fixtures", "stdlib"])
def test_fast_walk_equals_libcst_traversal(corpus) -> None:
    """Parents as ``ParentNodeProvider`` gives them; nodes, visits and leaves in the order
    of libcst's own traversal."""
    def compare(source: Source) -> None:
        module = cst.parse_module(source.text)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
        parents, order = parents_and_order(module)
        assert parents.keys() == expected.keys()
        assert all(parents[node] is expected[node] for node in expected)
        by_libcst, fast = _Recorder(), _BatchedRecorder()
        module.visit(by_libcst)
        visit_batched(order, parents, [fast])
        assert [id(node) for _, node in fast.events] == [id(node) for _, node in by_libcst.events]
        assert [when for when, _ in fast.events] == [when for when, _ in by_libcst.events]
        visits = [node for when, node in by_libcst.events if when == "visit"]
        assert [id(node) for node in order] == [id(node) for node in visits]

    for source in _sources(corpus()):
        run_with_deep_stack(compare, source)


def _scope_facts(module: cst.Module) -> list[object]:
    """Everything ``ScopeProvider`` and ``ExpressionContextProvider`` say about ``module``:
    each node's scope and context (in their order), each scope's assignments and accesses
    with what they refer to (sets in libcst, so sorted). Nodes are told apart by identity,
    but for those of string annotations, which libcst parses anew on every run."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    contexts = wrapper.resolve(ExpressionContextProvider)
    own = {id(node) for node in parents_and_order(module)[1]}

    def key(node: object) -> object:
        return id(node) if id(node) in own else type(node).__name__

    numbers: dict[int, int] = {}
    for scope in scopes.values():
        numbers.setdefault(id(scope), len(numbers))
    facts: list[object] = [(key(node), numbers[id(scope)]) for node, scope in scopes.items()]
    facts.extend((key(node), context) for node, context in contexts.items())
    seen = {id(scope): scope for scope in scopes.values() if isinstance(scope, Scope)}
    for scope in seen.values():
        facts.append(sorted(
            (a.name, str(key(getattr(a, "node", None)))) for a in scope.assignments
        ))
        facts.append(sorted(
            (str(key(access.node)),
             sorted((r.name, str(key(getattr(r, "node", None)))) for r in access.referents))
            for access in scope.accesses
        ))
    return facts


@pytest.mark.parametrize("corpus", [fixture_files, stdlib_sample], ids=["fixtures", "stdlib"])
def test_read_only_visits_give_libcst_scopes(corpus) -> None:
    """The model's scopes come from walks that rebuild no node: the same scopes, contexts,
    assignments and accesses as libcst's own traversal gives."""
    def compare(source: Source) -> None:
        module = cst.parse_module(source.text)
        expected = _scope_facts(module)
        with read_only_visits():
            assert _scope_facts(module) == expected

    for source in _sources(corpus()):
        run_with_deep_stack(compare, source)


class _Renamer(cst.CSTTransformer):
    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value=updated_node.value.upper())


class _FieldRecorder(cst.CSTVisitor):
    """A visitor with an attribute hook, which only libcst's traversal calls."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def visit_Call_func(self, node: cst.Call) -> None:
        self.events.append("func")

    def visit_Name(self, node: cst.Name) -> None:
        self.events.append(node.value)


def test_read_only_visits_leave_transformers_and_attribute_hooks_to_libcst() -> None:
    module = cst.parse_module("f(x)\n")
    with read_only_visits():
        assert module.visit(_Renamer()).code == "F(X)\n"
        recorder = _FieldRecorder()
        module.visit(recorder)
    expected = _FieldRecorder()
    module.visit(expected)
    assert recorder.events == expected.events == ["func", "f", "x"]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_fast_walk_calls_the_methods_libcst_would(rule) -> None:
    """The walk finds a visitor's methods once per class; libcst finds them per instance,
    skipping its own empty stubs: the same names either way."""
    instance = rule.__new__(rule)
    assert set(visitor_methods(rule)) == set(cst.BatchableCSTVisitor.get_visitors(instance))
    assert visitor_methods(rule)  # every rule visits something


def test_qualified_names_equal_qualified_name_provider() -> None:
    catalog = load_catalog()
    for source in _sources(fixture_files()):
        wrapper = MetadataWrapper(cst.parse_module(source.text), unsafe_skip_copy=True)
        provided = wrapper.resolve(QualifiedNameProvider)
        model = ModuleModel(wrapper, catalog)
        for node, lazy in provided.items():
            names = lazy() if callable(lazy) else lazy
            expected = {catalog.canonical(q.name) for q in names if q.source in _RESOLVED}
            if isinstance(node, cst.Attribute) and not _is_dotted(node):
                expected = set()  # the model names `open(p).read` nothing, not `builtins.open`
            assert model.qualified_names(node) == expected


def _is_dotted(expression: cst.BaseExpression) -> bool:
    while isinstance(expression, cst.Attribute):
        expression = expression.value
    return isinstance(expression, cst.Name)


@pytest.mark.slow
def test_screened_reports_equal_unscreened_on_the_whole_stdlib() -> None:
    paths = python_files(stdlib())
    settings = Settings(root=ROOT)
    jobs = os.cpu_count() or 1
    screened = sorted(lint_files(paths, settings, jobs), key=lambda r: r.path)
    unscreened = sorted(lint_files(paths, settings, jobs, screen=False), key=lambda r: r.path)
    assert [r.diagnostics for r in screened] == [r.diagnostics for r in unscreened]
