"""The literal arguments one call passes to a ``def`` of the module, by parameter.

A helper that reaches an effect only in a branch one of its parameters cuts (``for _ in
range(timeout):`` with ``timeout=0``) does not reach it through that call. The binding of
arguments to parameters and the branch decision are ``concurlint.guards``'s, shared with the
module summaries; this module only reads the libcst nodes.
"""

from __future__ import annotations

import libcst as cst

from concurlint import guards
from concurlint.model.module import ModuleModel
from concurlint.model.suspension import SCOPES
from concurlint.model.walk import descendants


class Signatures:
    """Each function's signature, built once; get it with ``model.analysis(Signatures)``."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self._found: dict[tuple[cst.FunctionDef, bool], guards.Signature] = {}

    def of(self, function: cst.FunctionDef, bound: bool) -> guards.Signature:
        key = (function, bound)
        if key not in self._found:
            self._found[key] = signature(self.model, function, bound)
        return self._found[key]


def signature(model: ModuleModel, function: cst.FunctionDef, bound: bool) -> guards.Signature:
    """``function``'s parameters as a call sees them; ``bound``: the call goes through an
    instance, which passes the first parameter (``self``) itself."""
    params = function.params
    positional = [*params.posonly_params, *params.params]
    if bound and positional:
        positional = positional[1:]
    by_keyword = [*params.params, *params.kwonly_params]
    defaults = [
        (param.name.value, value[0])
        for param in (*positional, *params.kwonly_params)
        if param.default is not None
        and (value := guards.known(guards.source_literal(model.code(param.default))))
    ]
    tested = _tested(function)
    return guards.Signature(
        positional=tuple(param.name.value for param in positional),
        keywords=tuple(sorted(param.name.value for param in by_keyword)),
        defaults=tuple(defaults),
        kept=tuple(sorted(
            param.name.value
            for param in (*positional, *params.kwonly_params)
            if param.name.value in tested and _bound_once(model, param.name)
        )),
        bound=bound,
    )


def _tested(function: cst.FunctionDef) -> frozenset[str]:
    """Names the function's own branches test (``if``, ``while``, a ``for``'s iterable): only
    a parameter among them can cut anything, so only those are bound (fewer distinct calls
    for the helper analysis to tell apart)."""
    heads = (
        node.test if isinstance(node, cst.If | cst.IfExp | cst.While) else node.iter
        for node in descendants(function.body, SCOPES)
        if isinstance(node, cst.If | cst.IfExp | cst.While | cst.For)
    )
    return frozenset(
        name.value
        for head in heads
        for name in (head, *descendants(head))
        if isinstance(name, cst.Name)
    )


def _bound_once(model: ModuleModel, name: cst.Name) -> bool:
    """The parameter is its only binding in the function: the body never reassigns it."""
    scope = model.scope(name)
    return scope is not None and len(scope.assignments[name.value]) == 1


def call_arguments(
    model: ModuleModel, call: cst.Call, function: cst.FunctionDef
) -> guards.Arguments:
    """The parameters of ``function`` that ``call`` fixes to a literal (given or by default)."""
    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and (
        model.class_bound_to(func.value) is not None
    ):
        return ()  # `Klass.method(...)`: whether the class passes itself depends on the method
    bound = model.self_name(function) is not None and isinstance(func, cst.Attribute)
    found = model.analysis(Signatures).of(function, bound)
    return guards.bind_arguments(found, passed_by(model, call)) if found.kept else ()


def passed_by(model: ModuleModel, call: cst.Call) -> guards.Passed:
    """The literals ``call`` passes, by position and by keyword."""
    positional: list[tuple[guards.Value, ...]] = []
    keywords: list[tuple[str, tuple[guards.Value, ...]]] = []
    more_positional = more_keywords = False
    for arg in call.args:
        known = guards.known(guards.source_literal(model.code(arg.value)))
        if arg.star == "*":
            more_positional = True
        elif arg.star == "**":
            more_keywords = True
        elif arg.keyword is not None:
            keywords.append((arg.keyword.value, known))
        else:
            positional.append(known)
    return guards.Passed(tuple(positional), tuple(keywords), more_positional, more_keywords)
