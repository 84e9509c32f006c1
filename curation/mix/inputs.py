"""The curated outputs a mixture draws from: their shards, fingerprints, metadata batches and chosen rows.

A document is addressed by its shard and its position in it (``row``: the 0-based index among the
shard's documents, as our readers yield them), which costs 8 bytes per document instead of its id. Parquet
shards are read column by column (only the metadata a mixture looks at, row group after row group); JSONL
shards go through the quarantining reader, so a damaged line is counted, never numbered as a document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document
from datatrove.io import DataFolder, get_datafolder

from curation.io.quarantine import Quarantined
from curation.io.readers import JsonlShardReader
from curation.io.shards import discover_shards
from curation.mix.model import Mixture

HASH_CHUNK = 8 << 20


class InputReadError(ValueError):
    """An input shard cannot be read as the mixture needs (unreadable file or row group)."""


@dataclass(frozen=True)
class InputShard:
    """One shard of one input: where it is, how to read it, and its place in the mixture's shard list."""

    index: int
    input_name: str
    folder: str
    path: str
    format: str
    stem: str
    text_field: str = "text"
    id_field: str = "id"
    storage_options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.input_name}/{self.path}"

    def data_folder(self) -> DataFolder:
        return get_datafolder((self.folder, self.storage_options))


def discover_input_shards(mixture: Mixture, output_path: str | None = None) -> list[InputShard]:
    """Every shard of every input, inputs in file order, shards sorted within each input.

    An output folder inside an input folder is never read back as input.
    """
    shards: list[InputShard] = []
    for name, spec in mixture.inputs.items():
        folder = get_datafolder((spec.path, spec.storage_options))
        exclude = [_relative_inside(get_datafolder(output_path).path, folder.path)] if output_path else []
        for shard in discover_shards(folder, glob=spec.glob, fmt=spec.format, exclude=exclude):
            if shard.format == "warc":
                raise InputReadError(f"inputs.{name}: {shard.path} is a WARC file; a mixture reads curated outputs")
            shards.append(
                InputShard(
                    index=len(shards),
                    input_name=name,
                    folder=spec.path,
                    path=shard.path,
                    format=shard.format,
                    stem=shard.stem,
                    text_field=spec.text_field,
                    id_field=spec.id_field,
                    storage_options=dict(spec.storage_options),
                )
            )
    return shards


def _relative_inside(child: str, parent: str) -> str:
    """``child`` relative to ``parent`` when it lies inside it, else ''."""
    parent = parent.rstrip("/") + "/"
    return child[len(parent) :] if child.startswith(parent) else ""


def fingerprint(shard: InputShard) -> str:
    """A content fingerprint: for Parquet the file size and footer (schema, row groups, byte ranges and
    column statistics), which any change of content alters; for JSONL the SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    folder = shard.data_folder()
    with folder.open(shard.path, "rb") as handle:
        if shard.format == "parquet":
            handle.seek(0, 2)
            size = handle.tell()
            if size < 12:
                raise InputReadError(f"{shard.label}: not a Parquet file ({size} bytes)")
            handle.seek(size - 8)
            tail = handle.read(8)
            footer_length = int.from_bytes(tail[:4], "little")
            if tail[4:] != b"PAR1" or footer_length + 8 > size:
                raise InputReadError(f"{shard.label}: not a Parquet file (no footer)")
            handle.seek(size - 8 - footer_length)
            digest.update(size.to_bytes(8, "little"))
            digest.update(handle.read(footer_length))
        else:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()[:32]


@dataclass
class MetadataBatches:
    """Iterate a shard's documents in batches of the named columns (missing columns are left out)."""

    shard: InputShard
    columns: set[str]
    batch_rows: int = 65536
    documents: int = 0
    quarantined: int = 0
    schema_names: set[str] = field(default_factory=set)

    def __iter__(self) -> Iterator[pa.Table]:
        if self.shard.format == "parquet":
            yield from self._parquet()
        else:
            yield from self._jsonl()

    def _parquet(self) -> Iterator[pa.Table]:
        folder = self.shard.data_folder()
        with folder.open(self.shard.path, "rb") as handle:
            try:
                parquet_file = pq.ParquetFile(handle)
            except Exception as error:
                raise InputReadError(f"{self.shard.label}: unreadable Parquet file: {error}") from error
            names = parquet_file.schema_arrow.names
            self.schema_names = set(names)
            wanted = [name for name in names if name in self.columns] or names[:1]
            try:
                for batch in parquet_file.iter_batches(batch_size=self.batch_rows, columns=wanted):
                    self.documents += batch.num_rows
                    yield pa.Table.from_batches([batch])
            except InputReadError:
                raise
            except Exception as error:
                raise InputReadError(
                    f"{self.shard.label}: unreadable after {self.documents} rows: {type(error).__name__}: {error}"
                ) from error

    def _jsonl(self) -> Iterator[pa.Table]:
        pending: list[Document] = []
        for document in iter_documents(self.shard, self._count_quarantined):
            pending.append(document)
            if len(pending) >= self.batch_rows:
                yield self._table(pending)
                pending = []
        if pending:
            yield self._table(pending)

    def _count_quarantined(self, record: Quarantined) -> None:
        self.quarantined += record.count

    def _table(self, documents: list[Document]) -> pa.Table:
        self.documents += len(documents)
        present: dict[str, None] = {}
        for document in documents:
            for key in document.metadata:
                present.setdefault(key, None)
        self.schema_names |= {self.shard.id_field, self.shard.text_field, *present}
        arrays: dict[str, pa.Array] = {}
        for name in sorted(self.columns):
            if name == self.shard.text_field:
                arrays[name] = pa.array([d.text for d in documents], type=pa.large_string())
            elif name == self.shard.id_field:
                arrays[name] = pa.array([d.id for d in documents], type=pa.string())
            elif name in present:
                arrays[name] = _typed_array([d.metadata.get(name) for d in documents])
        if not arrays:
            arrays["__row"] = pa.nulls(len(documents))
        return pa.table(arrays)


def iter_documents(shard: InputShard, on_quarantine=None) -> Iterator[Document]:
    """A JSONL shard's documents in order (quarantined records go to ``on_quarantine``, not counted as rows)."""
    reader = JsonlShardReader(shard.data_folder(), text_field=shard.text_field, id_field=shard.id_field)
    for record in reader.iter_records(shard.path):
        if type(record) is Document:
            yield record
        elif isinstance(record, Quarantined) and on_quarantine is not None:
            on_quarantine(record)


def read_parquet_rows(shard: InputShard, unique_rows: np.ndarray) -> pa.Table:
    """The rows at sorted, distinct positions ``unique_rows`` (all columns), reading only their row groups."""
    folder = shard.data_folder()
    with folder.open(shard.path, "rb") as handle:
        parquet_file = pq.ParquetFile(handle)
        metadata = parquet_file.metadata
        starts = np.cumsum([0] + [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)])
        if len(unique_rows) and unique_rows[-1] >= starts[-1]:
            raise InputReadError(f"{shard.label}: has {starts[-1]} rows, the plan needs row {unique_rows[-1]}")
        group_of = np.searchsorted(starts, unique_rows, side="right") - 1
        pieces: list[pa.Table] = []
        for group in np.unique(group_of):
            local = unique_rows[group_of == group] - starts[group]
            pieces.append(parquet_file.read_row_group(int(group)).take(pa.array(local)))
    if not pieces:
        return parquet_file.schema_arrow.empty_table()
    return pa.concat_tables(pieces)


def read_jsonl_rows(shard: InputShard, unique_rows: np.ndarray) -> list[Document]:
    """The documents at sorted, distinct positions ``unique_rows`` of a JSONL shard."""
    wanted = iter(unique_rows.tolist())
    target = next(wanted, None)
    chosen: list[Document] = []
    for row, document in enumerate(iter_documents(shard)):
        if target is None:
            break
        if row == target:
            chosen.append(document)
            target = next(wanted, None)
    if target is not None:
        raise InputReadError(f"{shard.label}: has fewer documents than the plan needs (row {target})")
    return chosen


def _typed_array(values: list[Any]) -> pa.Array:
    """An Arrow array of metadata values; values Arrow cannot type together become text."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return pa.array([None if value is None else str(value) for value in values], type=pa.string())
