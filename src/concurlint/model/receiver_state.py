"""State of a value that makes a catalog call on it return at once: a socket made
non-blocking, a ``concurrent.futures.Future`` known to be done, a process polled until it
exited.

Only the libcst model types receivers (module summaries never see a method of a socket or a
future), so these cuts live on that side alone.
"""

from __future__ import annotations

import libcst as cst

from concurlint.model.module import FunctionNode, ModuleModel
from concurlint.model.walk import descendants

# ``sock.setblocking(False)`` / ``sock.settimeout(0)``: its calls raise instead of waiting.
_NONBLOCKING_SETTERS = {
    "setblocking": frozenset({"False", "0"}), "settimeout": frozenset({"0", "0.0"})
}
_NONBLOCKING_TYPE = "SOCK_NONBLOCK"  # ``socket.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)``
_SOCKET_METHODS = "socket.socket."
_FUTURE_METHODS = frozenset(
    {"concurrent.futures.Future.result", "concurrent.futures.Future.exception"}
)
_WRAP_FUTURE = "asyncio.wrap_future"  # awaited, the wrapped future is done
_AS_COMPLETED = "concurrent.futures.as_completed"  # yields futures that are done
_EXITS = (cst.Return, cst.Raise, cst.Continue, cst.Break)
_PROCESS_WAIT = "subprocess.Popen.wait"  # returns at once once the process has exited


def returns_at_once(model: ModuleModel, call: cst.Call, name: str) -> bool:
    """True when the catalog entry ``name`` that ``call`` makes cannot wait because of the
    receiver's state."""
    if not isinstance(call.func, cst.Attribute):
        return False
    receiver = call.func.value
    if name.startswith(_SOCKET_METHODS):
        return made_nonblocking(model, receiver)
    if name in _FUTURE_METHODS:
        return known_done(model, call, receiver)
    if name == _PROCESS_WAIT:
        return polled_until_exit(model, call)
    return False


def polled_until_exit(model: ModuleModel, call: cst.Call) -> bool:
    """``proc.wait()`` past an earlier ``while ....poll() is None:`` loop of the same block
    (or an enclosing one) that has no ``break``: the loop ends only once the process has
    exited, so waiting for it returns at once. The loop may poll through a method of the
    class (``while await self.poll() is None:``) for a process of its own (``self.proc``);
    a loop polling another process says nothing about this one."""
    assert isinstance(call.func, cst.Attribute)
    waited = model.code(call.func.value)
    child: cst.CSTNode = call
    for ancestor in model.ancestors(call):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return False
        if isinstance(ancestor, cst.IndentedBlock | cst.Module):
            for statement in ancestor.body:
                if statement is child:
                    break
                if (
                    isinstance(statement, cst.While)
                    and (polled := _polled_until_exit(statement.test)) is not None
                    and _same_process(model.code(polled), waited)
                    and not any(isinstance(node, cst.Break) for node in descendants(
                        statement.body, (cst.FunctionDef, cst.ClassDef, cst.For, cst.While)))
                ):
                    return True
        child = ancestor
    return False


def _same_process(polled: str, waited: str) -> bool:
    """The loop polls the waited process itself, or an object that owns it (``self.poll()``
    for ``self.process.wait()``)."""
    return polled == waited or waited.startswith(f"{polled}.")


def _polled_until_exit(test: cst.BaseExpression) -> cst.BaseExpression | None:
    """``x`` of ``x.poll() is None`` or ``await x.poll() is None``."""
    if not (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        return None
    polled = test.left.expression if isinstance(test.left, cst.Await) else test.left
    if (
        isinstance(polled, cst.Call)
        and isinstance(polled.func, cst.Attribute)
        and polled.func.attr.value == "poll"
    ):
        return polled.func.value
    return None


def made_nonblocking(model: ModuleModel, receiver: cst.BaseExpression) -> bool:
    """A socket the function makes non-blocking (``sock``), or an attribute (``self._sock``)
    that some method of the class makes non-blocking, directly or through the local it
    stores there."""
    function = model.enclosing_function(receiver)
    if function is None:
        return False
    if isinstance(receiver, cst.Name):
        return _sets_nonblocking(model, function, receiver.value)
    if not (
        isinstance(receiver, cst.Attribute)
        and isinstance(receiver.value, cst.Name)
        and isinstance(function, cst.FunctionDef)
        and receiver.value.value == model.self_name(function)
    ):
        return False
    klass = model.enclosing_class(function)
    attr = receiver.attr.value
    methods = [m for m in klass.body.body if isinstance(m, cst.FunctionDef)] if klass else []
    for method in methods:
        self_name = model.self_name(method)
        if self_name is not None and _sets_nonblocking(model, method, f"{self_name}.{attr}"):
            return True
        if any(
            stored == attr and isinstance(value, cst.Name)
            and _sets_nonblocking(model, method, value.value)
            for stored, value in model.instance_attributes(method)
        ):
            return True
    return False


def _sets_nonblocking(model: ModuleModel, function: FunctionNode, key: str) -> bool:
    for call in model.calls_in(function):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _NONBLOCKING_SETTERS:
            first = call.args[0].value if call.args else None
            if (
                first is not None
                and model.code(func.value) == key
                and model.code(first).strip() in _NONBLOCKING_SETTERS[func.attr.value]
            ):
                return True
        elif _NONBLOCKING_TYPE in model.code(call) and _assigned_to(model, call) == key:
            return True
    return False


def _assigned_to(model: ModuleModel, value: cst.BaseExpression) -> str | None:
    parent = model.parent(value)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return model.code(parent.targets[0].target)
    return None


def known_done(model: ModuleModel, call: cst.Call, receiver: cst.BaseExpression) -> bool:
    """``fut.result()`` where ``fut`` is known to be done: under ``if fut.done():`` or
    ``... if fut.done() else ...``, after ``fut.done() and``, after ``if not fut.done():``
    that leaves the block, in a loop over ``as_completed(...)``, or after ``await
    asyncio.wrap_future(fut)`` or ``await event.wait()`` of an event that the future's
    done-callback sets, earlier in the same function."""
    key = model.code(receiver)
    child: cst.CSTNode = call
    for ancestor in model.ancestors(call):
        if isinstance(ancestor, cst.If | cst.IfExp) and child is ancestor.body and _asks_done(
            model, ancestor.test, key
        ):
            return True
        if (
            isinstance(ancestor, cst.BooleanOperation)
            and isinstance(ancestor.operator, cst.And)
            and child is ancestor.right
            and _asks_done(model, ancestor.left, key)
        ):
            return True
        if (
            isinstance(ancestor, cst.For)
            and child is ancestor.body
            and model.code(ancestor.target) == key
            and isinstance(ancestor.iter, cst.Call)
            and _AS_COMPLETED in model.call_names(ancestor.iter)
        ):
            return True
        if isinstance(ancestor, cst.IndentedBlock | cst.Module) and _left_unless_done(
            model, ancestor, child, key
        ):
            return True
        child = ancestor
    function = model.enclosing_function(call)
    if function is None:
        return False
    signalled: set[str] = set()  # events the future's done-callback sets
    for node in descendants(function.body, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
        if node is call:
            return False
        if isinstance(node, cst.Call) and _is_method(model, node, key, "add_done_callback"):
            signalled |= _events_set_by(model, node.args[0].value) if node.args else set()
        if not isinstance(node, cst.Await) or not isinstance(node.expression, cst.Call):
            continue
        awaited = node.expression
        if _WRAP_FUTURE in model.call_names(awaited) and any(
            model.code(arg.value) == key for arg in awaited.args
        ):
            return True
        if isinstance(awaited.func, cst.Attribute) and awaited.func.attr.value == "wait" and (
            model.code(awaited.func.value) in signalled
        ):
            return True
    return False


def _is_method(model: ModuleModel, call: cst.Call, key: str, method: str) -> bool:
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == method
        and model.code(func.value) == key
    )


def _events_set_by(model: ModuleModel, callback: cst.BaseExpression) -> set[str]:
    """The receivers of ``.set`` that a done-callback calls or hands on
    (``lambda _: loop.call_soon_threadsafe(done.set)``, a local ``def``)."""
    if isinstance(callback, cst.Name):
        bound = model.definition_bound_to(callback.value, callback)
        body: cst.CSTNode | None = bound if isinstance(bound, cst.FunctionDef) else None
    else:
        body = callback if isinstance(callback, cst.Lambda) else None
    if body is None:
        return set()
    return {
        model.code(node.value)
        for node in descendants(body)
        if isinstance(node, cst.Attribute) and node.attr.value == "set"
    }


def _asks_done(model: ModuleModel, test: cst.BaseExpression, key: str) -> bool:
    """``fut.done()``, alone or as one operand of an ``and``."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _asks_done(model, test.left, key) or _asks_done(model, test.right, key)
    return (
        isinstance(test, cst.Call)
        and isinstance(test.func, cst.Attribute)
        and test.func.attr.value == "done"
        and model.code(test.func.value) == key
    )


def _left_unless_done(
    model: ModuleModel, block: cst.IndentedBlock | cst.Module, child: cst.CSTNode, key: str
) -> bool:
    """An earlier statement of ``block`` is ``if not fut.done():`` whose body leaves the
    block (``return``, ``raise``, ``continue``, ``break``): past it, the future is done."""
    for statement in block.body:
        if statement is child:
            return False
        if (
            isinstance(statement, cst.If)
            and statement.orelse is None
            and isinstance(statement.test, cst.UnaryOperation)
            and isinstance(statement.test.operator, cst.Not)
            and _asks_done(model, statement.test.expression, key)
            and _leaves(statement.body)
        ):
            return True
    return False


def _leaves(body: cst.BaseSuite) -> bool:
    """The last statement of ``body`` returns, raises, or ends the loop's turn."""
    last = body.body[-1] if body.body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    return isinstance(last, _EXITS)
