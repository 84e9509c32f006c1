"""Documents to Arrow columns: ``id``, ``text``, then one column per metadata key.

Metadata comes from users' raw shards and from stages, so it is messy: keys appear midway through a shard
and a key may hold an int in one record and a string in the next. Rather than fail a shard over it, a
column whose values Arrow cannot type together, or that nests deeper than Parquet readers cope with
(``curation.io.jsontext.MAX_NESTING_DEPTH``), is stored as JSON text, and the writer counts it.

Column names are an injective function of metadata keys, so two keys never become two columns of one name
(a file Parquet readers refuse). A key that would take the ``id`` or ``text`` column gets the ``metadata.``
prefix, and so, to keep the mapping one-to-one, does any key that is such a prefixed name already
(``metadata.id``, ``metadata.metadata.text`` ...); every other key is its own column name (``metadata.url``
from a flattened export stays ``metadata.url``). A nested ``{"metadata": {"id": ...}}`` flattened to the key
``id`` and a literal ``"metadata.id"`` key thus land in ``metadata.id`` and ``metadata.metadata.id``;
``metadata_key`` inverts the mapping when the run reads its own files back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from datatrove.data import Document

from curation.io.jsontext import MAX_NESTING_DEPTH, arrow_type_depth, to_json_text

RESERVED_COLUMNS = ("id", "text")
METADATA_COLLISION_PREFIX = "metadata."


def column_name(key: str) -> str:
    """The column of a metadata key: the key itself, or prefixed when it would collide (see module docstring)."""
    return METADATA_COLLISION_PREFIX + key if _reserved_or_prefixed_reserved(key) else key


def metadata_key(column: str) -> str:
    """The metadata key a column of our output holds (the inverse of ``column_name``)."""
    if column.startswith(METADATA_COLLISION_PREFIX) and _reserved_or_prefixed_reserved(column):
        return column[len(METADATA_COLLISION_PREFIX) :]
    return column


def _reserved_or_prefixed_reserved(name: str) -> bool:
    """``id``, ``text``, or either behind any number of ``metadata.`` prefixes."""
    while name.startswith(METADATA_COLLISION_PREFIX):
        name = name[len(METADATA_COLLISION_PREFIX) :]
    return name in RESERVED_COLUMNS


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
            if arrow_type_depth(array.type) > MAX_NESTING_DEPTH:
                raise pa.ArrowNotImplementedError("nested deeper than Parquet readers accept")
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, RecursionError):
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
    return to_json_text(value)


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
