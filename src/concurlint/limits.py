"""What libcst can safely be given: a guard run before ``cst.parse_module``.

libcst's parser recurses once per nesting level and its cost grows faster than linearly
with depth: a chain of 4,000 ``+`` takes it 15 s, of 50,000 hours, and 100,000 nested
parentheses overflow the C stack (a segfault that kills the whole run, not an exception).
Python's own parser is the cheap judge: it bounds parentheses (200 levels) and its stack,
and builds long operator chains without recursing, so its tree's depth is measured here.
A file Python rejects may still be newer syntax libcst can read; it is let through only
when its tokens show no deep nesting and no giant statement.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings

# Far above real code (the deepest file of the standard library and of libcst, hypothesis
# and pytest is 26 levels deep) and far below what makes libcst slow (about 1 s here).
MAX_DEPTH = 1_000
# Python's own limit on nested brackets, in every version.
MAX_BRACKETS = 200
# For a file Python rejects, the most tokens one statement may have: a bound on its depth
# (Python's own parser gives up at about 3,000 nested unary operators).
MAX_STATEMENT_TOKENS = 2_000
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")


def parse_quietly(text: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse`` without the warnings Python prints about the parsed code (an invalid
    escape sequence is a SyntaxWarning on stderr since 3.12): they are not concurlint's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename)


def tree_refusal(tree: ast.AST) -> str | None:
    """Why a file Python parsed into ``tree`` must not be given to libcst, or None."""
    if exceeds_depth(tree, MAX_DEPTH):
        return f"nested more than {MAX_DEPTH} levels deep"
    return None


def exceeds_depth(tree: ast.AST, limit: int) -> bool:
    """True when ``tree`` is more than ``limit`` nodes deep; iterative, so that measuring a
    deep tree cannot itself hit the recursion limit."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def token_refusal(text: str) -> str | None:
    """Why a file Python's parser rejected must not be given to libcst either, or None:
    its bracket depth and its longest statement, from the tokens."""
    depth = statement = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            statement = 0 if token.type == tokenize.NEWLINE else statement + 1
            if token.type == tokenize.OP:
                depth += (token.string in _OPENING) - (token.string in _CLOSING)
            if depth > MAX_BRACKETS:
                return f"brackets nested more than {MAX_BRACKETS} levels deep"
            if statement > MAX_STATEMENT_TOKENS:
                return f"a statement of more than {MAX_STATEMENT_TOKENS} tokens"
    except (tokenize.TokenError, SyntaxError) as error:
        return f"cannot tokenize it: {error}"
    return None
