"""Documents to Arrow columns: ``id``, ``text``, then one column per metadata key.

Metadata comes from users' raw shards and from stages, so it is messy: keys appear midway through a shard
and a key may hold an int in one record and a string in the next. Rather than fail a shard over it, a
column whose values Arrow cannot type together is stored as JSON text, and the writer counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import pyarrow as pa
from datatrove.data import Document

RESERVED_COLUMNS = ("id", "text")
METADATA_COLLISION_PREFIX = "metadata."


def column_name(key: str) -> str:
    """Metadata keys that collide with ``id``/``text`` get a prefix instead of overwriting them."""
    return METADATA_COLLISION_PREFIX + key if key in RESERVED_COLUMNS else key


def documents_to_table(documents: Sequence[Document]) -> tuple[pa.Table, list[str]]:
    """Build an Arrow table from documents; return it with the names of columns stored as JSON text."""
    keys: dict[str, None] = {}
    for document in documents:
        for key in document.metadata:
            keys.setdefault(key, None)
    arrays: list[pa.Array] = [
        pa.array([document.id for document in documents], type=pa.string()),
        pa.array([document.text for document in documents], type=pa.large_string()),
    ]
    names = list(RESERVED_COLUMNS)
    json_columns: list[str] = []
    for key in keys:
        values = [document.metadata.get(key) for document in documents]
        name = column_name(key)
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            array = pa.array([_to_json(value) for value in values], type=pa.string())
            json_columns.append(name)
        arrays.append(array)
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names), json_columns


def document_to_row(document: Document) -> dict[str, Any]:
    """The JSON-lines shape of a document: the same columns as the Parquet output, one object per line."""
    row: dict[str, Any] = {"id": document.id, "text": document.text}
    for key, value in document.metadata.items():
        row[column_name(key)] = value
    return row


def _to_json(value: Any) -> str | None:
    """Text form of a value in a mixed-type column: strings as they are, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def align_to_schema(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Reorder, cast and null-fill ``table``'s columns to match ``schema`` (a superset of its columns)."""
    arrays = []
    for field in schema:
        if field.name not in table.column_names:
            arrays.append(pa.nulls(table.num_rows, type=field.type))
            continue
        column = table.column(field.name)
        if column.type != field.type:
            try:
                column = column.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                column = pa.array([_to_json(value) for value in column.to_pylist()], type=field.type)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=schema)


def unify(current: pa.Schema, incoming: pa.Schema) -> pa.Schema:
    """The schema both fit in: new fields appended, types promoted; a field whose two types cannot be
    promoted to one (say int and struct) becomes a string column holding JSON."""
    fields = {field.name: field for field in current}
    for field in incoming:
        existing = fields.get(field.name)
        if existing is None:
            fields[field.name] = field
        elif existing.type != field.type:
            try:
                merged = pa.unify_schemas([pa.schema([existing]), pa.schema([field])], promote_options="permissive")
                fields[field.name] = merged.field(0)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                fields[field.name] = pa.field(field.name, pa.string())
    return pa.schema(list(fields.values()))
