"""Plain data <-> JSON values, checked against the declared types on the way back.

The cache lives in the linted tree, so whoever controls the tree controls its entries. A
format that can name constructors (pickle) would let an entry run code; JSON can only hold
strings, numbers, booleans, lists and objects, and this module turns them back into the
frozen dataclasses the cache stores only where every value has the declared type. Anything
else raises ``Malformed``, which the cache treats as a miss.

Fields whose name starts with ``_`` are indexes a dataclass derives from its other fields
(``FileFacts._blocking``); they are neither written nor read.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable, Collection
from functools import cache
from typing import Any

Decoder = Callable[[Any], Any]


class Malformed(ValueError):
    """A JSON value that is not of the expected shape."""


def to_json(value: object) -> bytes:
    """The canonical encoding of ``value``: equal values give equal bytes."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":")).encode()


def from_json(
    data: bytes, kind: object, names: dict[str, type], keys: Collection[str] | None = None
) -> Any:
    """Decode ``data`` as ``kind``; ``names`` resolves the dataclasses' annotations that
    name types imported only for type checking. ``keys``, for a ``dict`` kind, keeps only
    those entries, and only they are checked and converted: a run that needs one file's
    facts does not pay for decoding every file's."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise Malformed(str(error)) from error
    if keys is not None and type(value) is dict:
        value = {key: value[key] for key in keys if key in value}
    return _decoder(kind, tuple(sorted(names.items())))(value)


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if not field.name.startswith("_")
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


@cache
def _decoder(kind: Any, names: tuple[tuple[str, type], ...]) -> Decoder:
    """A function checking and converting one JSON value of type ``kind``; built once per
    type, so decoding an entry costs no type introspection."""
    origin = typing.get_origin(kind)
    arguments = typing.get_args(kind)
    if kind in (str, int, bool):
        return _scalar(kind)
    if kind is type(None):
        return _none
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _member(kind)
    if dataclasses.is_dataclass(kind):
        return _record(kind, names)
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        return _sequence(_decoder(arguments[0], names))
    if origin is tuple:
        return _fixed(tuple(_decoder(argument, names) for argument in arguments))
    if origin is dict and arguments[0] is str:
        return _mapping(_decoder(arguments[1], names))
    if origin in (typing.Union, types.UnionType):
        return _either(tuple(_decoder(argument, names) for argument in arguments))
    raise TypeError(f"no decoder for {kind!r}")


def _scalar(kind: type) -> Decoder:
    def decode(value: Any) -> Any:
        # bool is an int in Python, never in a field declared int (and the reverse)
        if type(value) is not kind:
            raise Malformed(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return decode


def _none(value: Any) -> None:
    if value is not None:
        raise Malformed(f"expected null, got {type(value).__name__}")


def _member(kind: type[enum.Enum]) -> Decoder:
    def decode(value: Any) -> Any:
        try:
            return kind(value)
        except (ValueError, TypeError) as error:
            raise Malformed(str(error)) from error

    return decode


def _sequence(item: Decoder) -> Decoder:
    def decode(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise Malformed(f"expected a list, got {type(value).__name__}")
        return tuple(item(element) for element in value)

    return decode


def _fixed(items: tuple[Decoder, ...]) -> Decoder:
    def decode(value: Any) -> tuple[Any, ...]:
        if type(value) is not list or len(value) != len(items):
            raise Malformed(f"expected a list of {len(items)}")
        return tuple(item(element) for item, element in zip(items, value, strict=True))

    return decode


def _mapping(item: Decoder) -> Decoder:
    def decode(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise Malformed(f"expected an object, got {type(value).__name__}")
        return {key: item(element) for key, element in value.items()}

    return decode


def _either(options: tuple[Decoder, ...]) -> Decoder:
    def decode(value: Any) -> Any:
        for option in options:
            try:
                return option(value)
            except Malformed:
                continue
        raise Malformed("no alternative of a union matches")

    return decode


def _record(kind: Any, names: tuple[tuple[str, type], ...]) -> Decoder:
    hints = typing.get_type_hints(kind, localns=dict(names))
    fields = {
        field.name: _decoder(hints[field.name], names)
        for field in dataclasses.fields(kind)
        if field.init and not field.name.startswith("_")
    }

    def decode(value: Any) -> Any:
        if type(value) is not dict or value.keys() != fields.keys():
            raise Malformed(f"expected the fields of {kind.__name__}")
        return kind(**{name: field(value[name]) for name, field in fields.items()})

    return decode
