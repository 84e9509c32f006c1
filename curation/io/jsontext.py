"""Deeply nested values: how deep they are, and their JSON text, without recursion limits.

Metadata from users' shards can nest arbitrarily (a 300-level object is valid JSON). Past a few dozen levels
nothing downstream copes: Parquet refuses schemas about 100 levels deep, orjson stops encoding at 254 levels
and Python's own recursion limit is 1,000. Such a value is therefore carried as its JSON text, which every
tool reads back; the depth walk and the encoder here are iterative, so any depth that could be parsed can
also be measured and written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa

MAX_NESTING_DEPTH = 32
"""Deepest nesting of objects and arrays kept as structure; deeper values become JSON text."""


def nesting_depth(value: Any, limit: int = MAX_NESTING_DEPTH) -> int:
    """Levels of dicts/lists in ``value`` (a scalar is 0, ``{"a": 1}`` is 1), counted up to ``limit + 1``."""
    if not isinstance(value, dict | list | tuple):
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | tuple))
    return deepest


def to_json_text(value: Any) -> str:
    """Compact JSON of ``value`` at any depth; values JSON cannot hold are written as their ``str``."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # nested deeper than orjson's limit
        return "".join(_iter_json(value))


def bounded(value: Any, limit: int = MAX_NESTING_DEPTH) -> tuple[Any, bool]:
    """``value`` itself when it nests at most ``limit`` levels, else its JSON text; and whether it was converted."""
    if nesting_depth(value, limit) <= limit:
        return value, False
    return to_json_text(value), True


def arrow_type_depth(data_type: pa.DataType) -> int:
    """Levels of nested Arrow types (struct, list, map, ...) in ``data_type``; a primitive type is 0."""
    deepest = 0
    stack = [(data_type, 0)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((current.field(i).type, depth + 1) for i in range(current.num_fields))
    return deepest


def _iter_json(value: Any) -> Iterator[str]:
    """JSON text in pieces, walking containers with an explicit stack instead of recursion."""
    stack: list[Iterator[Any]] = [iter([("", value)])]
    closers: list[str] = [""]
    firsts: list[bool] = [True]
    while stack:
        entry = next(stack[-1], _END)
        if entry is _END:
            stack.pop()
            firsts.pop()
            yield closers.pop()
            continue
        key, item = entry
        if not firsts[-1]:
            yield ","
        firsts[-1] = False
        if key:
            yield key
        if isinstance(item, dict):
            yield "{"
            stack.append((orjson.dumps(str(k)).decode() + ":", v) for k, v in item.items())
            closers.append("}")
            firsts.append(True)
        elif isinstance(item, list | tuple):
            yield "["
            stack.append(("", v) for v in item)
            closers.append("]")
            firsts.append(True)
        else:
            yield orjson.dumps(item, default=str, option=orjson.OPT_SERIALIZE_NUMPY).decode()


_END = object()
