"""Parquet output (zstd by default) that survives metadata whose columns appear or change type midway.

A Parquet file has one schema, but a shard's metadata may grow a column after the first row group. Batches
are written to a part file while the schema holds; a batch that needs a wider schema starts a new part,
and on close the parts are rewritten row group by row group into one file with the unified schema. The
common case (one schema) is a single part, renamed into place, at no extra cost; memory stays bounded by a
batch either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document

from curation.io.writers.base import ShardWriter
from curation.io.writers.columns import align_to_schema, documents_to_table, unify

PARQUET_CODECS = ("zstd", "snappy", "gzip", "brotli", "lz4", "none")
EMPTY_SCHEMA = pa.schema([("id", pa.string()), ("text", pa.large_string())])


@dataclass
class _OpenFile:
    """One output file being written: its buffered documents and the part files written so far."""

    buffer: list[Document] = field(default_factory=list)
    buffered_chars: int = 0
    parts: list[str] = field(default_factory=list)
    handle: object | None = None
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None


class ParquetShardWriter(ShardWriter):
    """Write documents as Parquet: columns ``id``, ``text`` and one per metadata key."""

    name = "📒 Parquet (atomic)"
    extension = ".parquet"

    def __init__(
        self,
        output_folder,
        output_filename: str = "${rank}",
        compression: str = "zstd",
        compression_level: int | None = None,
        batch_rows: int = 4096,
        batch_chars: int = 64 * 2**20,
        atomic_files: bool = True,
        label_separators: dict[str, str] | None = None,
    ):
        super().__init__(output_folder, output_filename, atomic_files, label_separators)
        if compression not in PARQUET_CODECS:
            raise ValueError(f"compression {compression!r} is not one of {', '.join(PARQUET_CODECS)}")
        self.compression = None if compression == "none" else compression
        self.compression_level = compression_level
        self.batch_rows = batch_rows
        self.batch_chars = batch_chars
        self._files: dict[str, _OpenFile] = {}

    def write_document(self, document: Document, filename: str) -> None:
        state = self._files.get(filename)
        if state is None:
            state = self._files[filename] = _OpenFile()
        state.buffer.append(document)
        state.buffered_chars += len(document.text)
        if len(state.buffer) >= self.batch_rows or state.buffered_chars >= self.batch_chars:
            self._flush(filename, state)

    def write_empty(self, filename: str) -> None:
        state = self._files[filename] = _OpenFile()
        self._open_part(filename, state, EMPTY_SCHEMA)

    def _flush(self, filename: str, state: _OpenFile) -> None:
        if not state.buffer:
            return
        table, json_columns = documents_to_table(state.buffer)
        for name in json_columns:
            self.stat_update(f"json_encoded_column_{name}")
        state.buffer = []
        state.buffered_chars = 0
        if state.schema is not None and table.schema != state.schema:
            wider = unify(state.schema, table.schema)
            if wider == state.schema:
                table = align_to_schema(table, state.schema)
            else:
                self._close_part(state)
                state.schema = wider
                table = align_to_schema(table, wider)
        if state.writer is None:
            self._open_part(filename, state, table.schema)
        state.writer.write_table(table, row_group_size=len(table))

    def _open_part(self, filename: str, state: _OpenFile, schema: pa.Schema) -> None:
        part = self.physical_name(filename) + (f".part{len(state.parts)}" if state.parts else "")
        state.parts.append(part)
        state.handle = self.output_folder.open(part, "wb")
        state.schema = schema
        state.writer = pq.ParquetWriter(
            state.handle, schema, compression=self.compression, compression_level=self.compression_level
        )

    @staticmethod
    def _close_part(state: _OpenFile) -> None:
        if state.writer is not None:
            state.writer.close()
            state.handle.close()
            state.writer = None
            state.handle = None

    def finish_files(self) -> None:
        for filename, state in self._files.items():
            self._flush(filename, state)
            self._close_part(state)
            if len(state.parts) > 1:
                self._merge_parts(filename, state)
        self._files.clear()

    def _merge_parts(self, filename: str, state: _OpenFile) -> None:
        """Rewrite the parts into one file with the final schema, one row group at a time."""
        target = self.physical_name(filename) + ".merged"
        with self.output_folder.open(target, "wb") as handle:
            writer = pq.ParquetWriter(
                handle, state.schema, compression=self.compression, compression_level=self.compression_level
            )
            for part in state.parts:
                with self.output_folder.open(part, "rb") as source:
                    part_file = pq.ParquetFile(source)
                    for group in range(part_file.num_row_groups):
                        table = part_file.read_row_group(group)
                        writer.write_table(align_to_schema(table, state.schema))
            writer.close()
        for part in state.parts:
            self.output_folder.rm(part)
        self.output_folder.mv(target, self.physical_name(filename))

    def discard_files(self) -> None:
        for state in self._files.values():
            try:
                self._close_part(state)
            finally:
                for part in state.parts:
                    if self.output_folder.exists(part):
                        self.output_folder.rm(part)
        self._files.clear()
