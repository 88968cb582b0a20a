"""CCL4xx: gevent monkey-patching that is missing, late, partial, or mixed with asyncio."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from concurlint.diagnostic import Safety
from concurlint.model.gevent import EarlyBinding, GeventAnalysis, GreenletCall, Patch
from concurlint.model.module import is_preamble
from concurlint.module_names import ModuleNames
from concurlint.rule import NodeFix, Rule
from concurlint.screen import TreeFacts

_SHOWN = 3  # calls named in a message before "and N more"
_LITERALS = (cst.Integer, cst.Float, cst.SimpleString)
_CONSTANTS = frozenset({"True", "False", "None"})
# A statement of a module's body, as libcst types ``Module.body``: each has leading lines.
_TopStatement = cst.SimpleStatementLine | cst.BaseCompoundStatement


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    rest = len(items) - _SHOWN
    return f"{shown} and {rest} more" if rest > 0 else shown


def _describe(calls: Sequence[GreenletCall]) -> str:
    return _listed(list(dict.fromkeys(call.describe() for call in calls)))


def _identifier(name: str) -> str:
    """The identifier a file must contain to call ``name``: the class for a method or a class
    (``Pool`` for ``gevent.pool.Pool.map``, found by inferring the receiver's type), else the
    function's own name (an import alias still names it)."""
    parts = name.split(".")
    return next((part for part in parts[1:] if part[:1].isupper()), parts[-1])


class _GeventRule(Rule):
    """A report needs a call of a ``gevent.monkey.patch_*`` function, so a file naming none
    of them is screened out."""

    def screen_words(self) -> frozenset[str]:
        patches = self.catalog.section("gevent-patches").values()
        names = {f for entry in patches for f in entry["functions"]}
        return frozenset(map(_identifier, names | self.catalog.names("gevent-patch-all")))

    def screen_tree(self, facts: TreeFacts) -> bool:
        """Every CCL4xx report needs gevent itself, which only an import brings."""
        return self.imports_lead_to(facts, self.catalog.names("gevent-patch-all"))

    @property
    def gevent(self) -> GeventAnalysis:
        return self.model.analysis(GeventAnalysis)

    # The traversal only records nodes in source order; the rules judge the whole module
    # when it has been seen, in ``leave_Module``.

    def visit_Import(self, node: cst.Import) -> None:
        self.gevent.walker.add_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.gevent.walker.add_import(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.gevent.walker.add_call(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.gevent.walker.add_value(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.gevent.walker.add_value(node.value)

    def call_text(self, patch: Patch) -> str:
        return self.model.code(patch.call.func) + "()"


class MissingMonkeyPatch(_GeventRule):
    code = "CCL401"
    message = (
        "greenlets started here call {calls}, which block every greenlet because nothing in "
        "this module monkey-patches; call `from gevent import monkey; monkey.patch_all()` first "
        "in the entry module (or name it in `gevent-patched-by`)"
    )

    def screen_words(self) -> frozenset[str]:
        """A report needs a greenlet started by a catalog spawn call."""
        spawns = self.catalog.section("gevent-spawn")
        return frozenset(_identifier(name) for entry in spawns for name in entry["names"])

    def leave_Module(self, original_node: cst.Module) -> None:
        gevent = self.gevent
        first = gevent.first_gevent_import
        if first is None or gevent.patches or gevent.uses_monkey or gevent.in_package:
            return
        if self._patched_elsewhere():
            return
        calls = gevent.greenlet_calls
        if calls:
            self.report(first, calls=_describe(calls))

    def _patched_elsewhere(self) -> bool:
        """A module of the project patches before importing this one (a fact of the
        project pass), or ``gevent-patched-by`` names the entry modules: every other module
        is imported by one of them, after it patched."""
        if self.model.project.processes.patched_by:
            return True
        entries = self.settings.gevent_patched_by
        if not entries:
            return False
        name, _ = ModuleNames.of(self.settings)(self.context.path)
        return not any(name == entry or name.endswith("." + entry) for entry in entries)


class LateMonkeyPatch(_GeventRule):
    code = "CCL402"
    message = (
        "`{call}` runs too late: {early} already ran with the unpatched, blocking original; "
        "move the patch to the top of the module, before other imports"
    )

    def leave_Module(self, original_node: cst.Module) -> None:
        gevent = self.gevent
        for patch in gevent.patches:
            if gevent.repatches(patch):
                continue
            early = [b for b in gevent.early_bindings(patch) if not self._patched_before(b, patch)]
            if early:
                self.report(
                    patch.call,
                    fix=_MoveToTop(self, original_node, patch).fix(),
                    call=self.call_text(patch),
                    early=_listed([binding.describe() for binding in early]),
                )

    def _patched_before(self, binding: EarlyBinding, patch: Patch) -> bool:
        """A patch call running earlier applies the patch this binding escapes: either it
        ran before the binding, or it is the late one reported."""
        return any(
            other is not patch
            and binding.patch in other.enabled
            and self.gevent.runs_before(other.call, patch)
            for other in self.gevent.patches
        )


class _MoveToTop:
    """The fix of CCL402: move the patch statement (and the import it needs) to the top."""

    def __init__(self, rule: LateMonkeyPatch, module: cst.Module, patch: Patch) -> None:
        self.rule = rule
        self.model = rule.model
        self.module = module
        self.patch = patch

    def fix(self) -> NodeFix | None:
        statement = self._patch_statement()
        if statement is None:
            return None
        body = list(self.module.body)
        start = next((i for i, s in enumerate(body) if not is_preamble(s, self.module)), None)
        importer = self._import_statement(statement, body)
        if start is None or importer is None:
            return None
        moved = [statement] if importer is statement else [importer, statement]
        if moved[0] is body[start]:
            moved.pop(0)
            start += 1
        anchor = body[start]
        if anchor is statement:
            return None
        between = body[start : body.index(statement)]
        safe = all(_is_import_line(s) for s in between)
        block = "".join(self._attached(s) + self._bare(s) for s in moved)
        replacements: list[tuple[cst.CSTNode, cst.CSTNode | str]] = [
            (anchor, self._detached(anchor) + block + self.module.default_newline
             + self._attached(anchor) + self._bare(anchor)),
        ]
        replacements.extend((s, self._kept(s)) for s in moved)
        return NodeFix(tuple(replacements), Safety.SAFE if safe else Safety.UNSAFE)

    def _patch_statement(self) -> cst.SimpleStatementLine | None:
        """The top-level line holding the patch call as a statement with constant arguments."""
        expression = self.model.parent(self.patch.call)
        line = self.model.parent(expression) if isinstance(expression, cst.Expr) else None
        if not isinstance(line, cst.SimpleStatementLine) or line not in self.module.body:
            return None
        if not all(_is_constant(arg.value) and not arg.star for arg in self.patch.call.args):
            return None
        return line

    def _import_statement(
        self, statement: cst.SimpleStatementLine, body: list[_TopStatement]
    ) -> cst.SimpleStatementLine | None:
        """The one top-level line importing (from gevent only) the name the patch calls
        through; ``statement`` itself when the import shares its line."""
        root = _root_name(self.patch.call.func)
        scope = self.model.scope(self.patch.call)
        if root is None or scope is None:
            return None
        lines: set[cst.SimpleStatementLine] = set()
        for assignment in scope[root]:
            node = getattr(assignment, "node", None)
            line = self.model.parent(node) if node is not None else None
            if (
                not isinstance(node, (cst.Import, cst.ImportFrom))
                or not isinstance(line, cst.SimpleStatementLine)  # an import's line always is
                or line not in body
            ):
                return None
            lines.add(line)
        if len(lines) != 1:
            return None
        (line,) = lines
        if line is statement:
            first = cst.SimpleStatementLine(body=[statement.body[0]])
            return statement if len(statement.body) == 2 and _imports_only_gevent(first) else None
        if body.index(line) > body.index(statement) or not _imports_only_gevent(line):
            return None
        return line

    def _line(self, line: cst.EmptyLine) -> str:
        return self.module.code_for_node(line)

    def _split(self, statement: _TopStatement) -> int:
        """Index where the comment lines attached to ``statement`` (no blank line between)
        begin in its leading lines."""
        lines = statement.leading_lines
        index = len(lines)
        while index > 0 and lines[index - 1].comment is not None:
            index -= 1
        return index

    def _attached(self, statement: _TopStatement) -> str:
        lines = statement.leading_lines[self._split(statement) :]
        return "".join(self._line(line) for line in lines)

    def _detached(self, statement: _TopStatement) -> str:
        lines = statement.leading_lines[: self._split(statement)]
        return "".join(self._line(line) for line in lines)

    def _kept(self, statement: _TopStatement) -> str:
        """What stays where a moved statement was: the comments not attached to it (with the
        blank lines among them; the next statement keeps its own)."""
        lines = list(statement.leading_lines[: self._split(statement)])
        while lines and lines[-1].comment is None:
            lines.pop()
        return "".join(self._line(line) for line in lines)

    def _bare(self, statement: _TopStatement) -> str:
        return self.module.code_for_node(statement.with_changes(leading_lines=()))


def _is_constant(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Name):
        return value.value in _CONSTANTS
    return isinstance(value, _LITERALS)


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _imports_only_gevent(statement: cst.SimpleStatementLine) -> bool:
    """Moving this line first imports nothing but gevent before the patch."""
    if len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Import):
        return all(alias.evaluated_name.split(".")[0] == "gevent" for alias in small.names)
    return (
        isinstance(small, cst.ImportFrom)
        and not small.relative
        and small.module is not None
        and (cst.helpers.get_full_name_for_node(small.module) or "").split(".")[0] == "gevent"
    )


def _root_name(expression: cst.BaseExpression) -> str | None:
    while isinstance(expression, cst.Attribute):
        expression = expression.value
    return expression.value if isinstance(expression, cst.Name) else None


class PartialMonkeyPatch(_GeventRule):
    code = "CCL403"
    message = (
        "`{call}` leaves {left} unpatched, but greenlets started here call {calls}, which then "
        "block every greenlet; {advice}"
    )

    def leave_Module(self, original_node: cst.Module) -> None:
        gevent = self.gevent
        if not gevent.patches:
            return
        unpatched = [call for call in gevent.greenlet_calls if call.kind not in gevent.enabled]
        blamed: dict[Patch, list[GreenletCall]] = {}
        for call in unpatched:
            blamed.setdefault(self._blame(call.kind), []).append(call)
        for patch, calls in blamed.items():
            kinds = sorted({call.kind for call in calls})
            self.report(
                patch.call,
                call=self.call_text(patch),
                left=", ".join(f"`{kind}`" for kind in kinds),
                calls=_describe(calls),
                advice=self._advice(patch, kinds),
            )

    def _blame(self, kind: str) -> Patch:
        """The patch call that left ``kind`` out: the one switching it (or what it requires)
        off, else the first single-module patch."""
        requires = set(self.gevent.patches_data.get(kind, {}).get("requires", ()))
        patches = self.gevent.patches
        for patch in patches:
            if {kind, *requires} & set(patch.switched_off):
                return patch
        singles = [p for p in patches if p.name not in self.gevent.patch_all_names]
        return (singles or list(patches))[0]

    def _advice(self, patch: Patch, kinds: list[str]) -> str:
        off = [arg for arg in patch.switched_off if arg in kinds or self._requirement(arg, kinds)]
        if off:
            return "remove " + ", ".join(f"`{arg}=False`" for arg in off)
        return "call `monkey.patch_all()` instead"

    def _requirement(self, arg: str, kinds: list[str]) -> bool:
        data = self.gevent.patches_data
        return any(arg in data.get(kind, {}).get("requires", ()) for kind in kinds)


class GeventWithAsyncio(_GeventRule):
    code = "CCL404"
    message = (
        "`{call}` patches the standard library for gevent, but this module also runs an asyncio "
        "event loop (`{loop}`); the two do not mix without a bridge: keep one concurrency model "
        "per program or use asyncio-gevent"
    )

    def leave_Module(self, original_node: cst.Module) -> None:
        gevent = self.gevent
        if not gevent.patches or not gevent.loop_runs or gevent.bridges_asyncio:
            return
        loop = gevent.loop_runs[0]
        patch = gevent.patches[0]
        self.report(patch.call, call=self.call_text(patch), loop=self.model.code(loop.func) + "()")
