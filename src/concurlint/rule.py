"""The base class of every rule: a batchable libcst visitor that reports nodes.

A rule never prints, reads files or computes positions: it reports a node with message
arguments and, optionally, node replacements. The engine turns reports into Diagnostics
after the single traversal, computing positions only for reported nodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from concurlint.config import Settings
from concurlint.diagnostic import Safety
from concurlint.model.catalog import Catalog
from concurlint.model.module import ModuleModel
from concurlint.project import FileFacts
from concurlint.screen import TreeFacts


@dataclass(frozen=True)
class NodeFix:
    """Replace each old node's code with the new node's (or a string's)."""

    replacements: tuple[tuple[cst.CSTNode, cst.CSTNode | str], ...]
    safety: Safety
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    rule: Rule
    node: cst.CSTNode
    args: Mapping[str, str]
    fix: NodeFix | None = None


@dataclass
class FileContext:
    """What a rule may know about the file being linted."""

    path: str
    model: ModuleModel
    reports: list[Report] = field(default_factory=list)


class Rule(cst.BatchableCSTVisitor):
    """Subclasses set ``code`` and ``message`` (a ``str.format`` template whose arguments are
    passed to ``report``) and implement ``visit_*``/``leave_*`` methods."""

    code: ClassVar[str]
    message: ClassVar[str]
    # Words of which a file must contain at least one for this rule to possibly report
    # (beyond the catalog's module names, which ``screen_words`` adds). Must be sound.
    keywords: ClassVar[tuple[str, ...]] = ()
    # The model resolves the metadata it needs on first use; rules never declare providers
    # (the engine's traversal, ``ModuleModel.visit_batched``, resolves none).
    METADATA_DEPENDENCIES = ()

    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        super().__init__()
        self.catalog = catalog
        self.settings = settings
        self._context: FileContext | None = None
        self._roots: dict[frozenset[str], frozenset[str] | None] = {}

    @property
    def context(self) -> FileContext:
        assert self._context is not None, "start() must be called before visiting"
        return self._context

    @property
    def model(self) -> ModuleModel:
        return self.context.model

    def start(self, context: FileContext) -> None:
        """Called by the engine before each file's traversal; resets per-file state."""
        self._context = context

    def screen_words(self) -> frozenset[str]:
        """A file containing none of these words cannot produce a report from this rule."""
        return frozenset(self.keywords)

    def screen_tree(self, facts: TreeFacts) -> bool:
        """False only when this rule cannot report on a file with these ``ast`` facts.

        Runs after the word screen and before libcst. Must be sound (when in doubt, True):
        derive names from ``self.catalog`` so that user extensions widen the screen.
        """
        return True

    def imports_lead_to(self, facts: TreeFacts, names: Iterable[str]) -> bool:
        """A sound ``screen_tree`` for a rule that needs a call resolved to one of ``names``
        (dotted catalog names): the file imports a module that can lead to one of them."""
        key = frozenset(names)
        if key not in self._roots:
            self._roots[key] = self.catalog.import_roots(key)
        roots = self._roots[key]
        return roots is None or facts.imports_any(roots)

    def screen_facts(self, facts: FileFacts) -> bool:
        """True when what other modules of the project say (``facts``) lets this rule report
        on a file its words or ``ast`` screen would reject. Rules that read the facts from
        the model override it; the default keeps the other screens as they are."""
        return False

    def report(self, node: cst.CSTNode, fix: NodeFix | None = None, **args: str) -> None:
        self.context.reports.append(Report(self, node, args, fix))
