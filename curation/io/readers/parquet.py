"""Parquet shards, read one row group at a time so a damaged row group costs only its own rows.

Exporters disagree on how text is stored. Besides STRING (UTF-8 annotated) columns:

- BINARY columns without the UTF-8 annotation (ClickHouse, some Spark and Hive exports): a text column of
  this type is decoded as UTF-8, and a row whose bytes are not UTF-8 is quarantined (``invalid_utf8``);
  another BINARY column becomes text when every value of the batch is UTF-8, and stays bytes otherwise;
- STRING columns holding bytes that are not UTF-8 (Arrow does not check them on read, and converting them to
  Python fails): the row is quarantined with its row number and the column named, the rest is kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from datatrove.data import Document

from curation.io.jsontext import MAX_NESTING_DEPTH, arrow_type_depth
from curation.io.quarantine import Quarantined, QuarantineReason, snippet_of
from curation.io.readers.base import Record, ShardReader, quarantine_unreadable
from curation.io.writers.columns import metadata_key


class ParquetShardReader(ShardReader):
    """Read rows as documents; an unreadable file or row group is quarantined with the rows it held.

    Row numbers (``row``) are 0-based positions in the file. A file without the text column quarantines
    all its rows in one record whose ``count`` is the row count, so the run's counts still reconcile.
    """

    name = "📒 Parquet (quarantining)"
    empty_file_is_bad_input = True

    def __init__(self, *args, batch_rows: int = 2048, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch_rows = batch_rows

    def iter_records(self, filepath: str, rows: Sequence[int] | None = None) -> Iterator[Record]:
        """Every row of the file; with ``rows`` (0-based row numbers), only those rows, reading only the row
        groups that hold them (a seeded sample of a large file costs what it keeps)."""
        import pyarrow.parquet as pq

        try:
            handle = self.data_folder.open(filepath, "rb")
        except OSError as error:
            yield quarantine_unreadable(filepath, error)
            return
        with handle:
            try:
                parquet_file = pq.ParquetFile(handle)
            except Exception as error:  # pyarrow raises several types for a bad footer or magic
                yield Quarantined(
                    filepath,
                    QuarantineReason.UNREADABLE_PARQUET if _size(handle) else QuarantineReason.EMPTY_FILE,
                    f"{type(error).__name__}: {error}",
                )
                return
            yield from self._iter_rows(parquet_file, filepath, rows)

    def _iter_rows(self, parquet_file, filepath: str, rows: Sequence[int] | None = None) -> Iterator[Record]:
        metadata = parquet_file.metadata
        wanted = None if rows is None else np.unique(np.asarray(rows, dtype=np.int64))
        if metadata.num_rows == 0:
            if self.empty_file_is_bad_input:
                yield Quarantined(filepath, QuarantineReason.EMPTY_FILE, "the Parquet file holds no rows")
            return
        columns = parquet_file.schema_arrow.names
        if self.text_field not in columns:
            yield Quarantined(
                filepath,
                QuarantineReason.MISSING_TEXT,
                f"no column {self.text_field!r}; columns: {columns[:20]}",
                row=0,
                count=metadata.num_rows if wanted is None else len(wanted),
            )
            return
        first = 0
        for group in range(parquet_file.num_row_groups):
            group_rows = metadata.row_group(group).num_rows
            selected = None if wanted is None else wanted[(wanted >= first) & (wanted < first + group_rows)] - first
            if selected is not None and not len(selected):
                first += group_rows
                continue
            try:
                table = parquet_file.read_row_group(group)
            except Exception as error:
                yield Quarantined(
                    filepath,
                    QuarantineReason.UNREADABLE_PARQUET,
                    f"row group {group} ({group_rows} rows): {type(error).__name__}: {error}",
                    row=first,
                    count=group_rows if selected is None else len(selected),
                )
                first += group_rows
                continue
            if selected is not None:
                table = table.take(selected)
            numbers = iter(range(first, first + group_rows) if selected is None else (selected + first).tolist())
            for batch in table.to_batches(max_chunksize=self.batch_rows):
                batch_numbers = [next(numbers) for _ in range(batch.num_rows)]
                yield from self._iter_batch(batch, filepath, batch_numbers)
            first += group_rows

    def _iter_batch(self, batch: pa.RecordBatch, filepath: str, row_numbers: list[int]) -> Iterator[Record]:
        """The batch's documents, or quarantine records for rows that are not valid UTF-8; ``row_numbers`` are
        the rows' positions in the file."""
        batch, bad = self._decode_binary(batch)
        deep = any(arrow_type_depth(field.type) > MAX_NESTING_DEPTH for field in batch.schema)
        rows: list[dict[str, Any]] | None = None
        if not bad:
            try:
                rows = batch.to_pylist()
            except UnicodeDecodeError:  # Arrow does not check UTF-8 on read; Python does, for the whole batch
                bad = self._invalid_utf8_rows(batch)
        if rows is not None:
            for offset, fields in enumerate(rows):
                row = row_numbers[offset]
                yield self.document_from_fields(fields, filepath, str(row), check_depth=deep, row=row)
            return
        keep = pa.array([offset not in bad for offset in range(batch.num_rows)])
        good = iter(batch.filter(keep).to_pylist())
        for offset in range(batch.num_rows):
            row = row_numbers[offset]
            if offset in bad:
                column, detail, raw = bad[offset]
                yield Quarantined(
                    filepath,
                    QuarantineReason.INVALID_UTF8,
                    f"column {column!r}: {detail}",
                    row=row,
                    snippet=snippet_of(raw),
                )
            else:
                yield self.document_from_fields(next(good), filepath, str(row), check_depth=deep, row=row)

    def _decode_binary(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, dict[int, tuple[str, str, Any]]]:
        """Decode BINARY columns that hold UTF-8 text; return the batch and the rows whose text column is not
        UTF-8 (offset in the batch -> column, what is wrong, the raw value)."""
        bad: dict[int, tuple[str, str, Any]] = {}
        arrays = list(batch.columns)
        decoded = False
        for position, field in enumerate(batch.schema):
            if not _is_binary(field.type):
                continue
            column = arrays[position]
            try:
                arrays[position] = column.cast(pa.large_string())
                decoded = True
            except pa.ArrowInvalid:
                if field.name != self.text_field:
                    continue  # opaque bytes, not text: kept as bytes
                values = column.to_pylist()
                for offset, value in enumerate(values):
                    reason = _utf8_error(value)
                    if reason:
                        bad[offset] = (field.name, reason, value)
                arrays[position] = pa.array(
                    [None if offset in bad else value for offset, value in enumerate(values)], type=pa.large_binary()
                ).cast(pa.large_string())
                decoded = True
        if bad:
            bad = self._invalid_utf8_rows(pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)) | bad
        if decoded:
            batch = pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
        return batch, bad

    @staticmethod
    def _invalid_utf8_rows(batch: pa.RecordBatch) -> dict[int, tuple[str, str, Any]]:
        """Rows of ``batch`` whose string columns (nested ones included) hold bytes that are not UTF-8."""
        bad: dict[int, tuple[str, str, Any]] = {}
        for field, column in zip(batch.schema, batch.columns, strict=True):
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                for offset in range(len(column)):
                    if offset in bad:
                        continue
                    try:
                        column.take([offset]).validate(full=True)  # a slice would check the whole child array
                    except pa.ArrowInvalid as error:
                        raw = _raw(column, offset)
                        detail = _utf8_error(raw) if isinstance(raw, bytes) else None
                        bad[offset] = (field.name, detail or f"not valid UTF-8 ({error})", raw)
        return bad


class IntermediateShardReader(ParquetShardReader):
    """Reads the run's own intermediate shards back between the segments of a recipe with global stages.

    They are written by our Parquet writer, so column names are mapped back to the metadata keys they came
    from (``metadata.id`` -> ``id``), and a shard with no rows is a shard whose documents were all dropped
    before the global stage: zero documents, not bad input.
    """

    name = "📒 Parquet (intermediate)"
    empty_file_is_bad_input = False

    def document_from_fields(
        self, fields: dict[str, Any], source_file: str, position: str, check_depth: bool = True, **where: int | None
    ) -> Document | Quarantined:
        text = fields.pop("text")
        doc_id = fields.pop("id")
        return Document(text=text, id=doc_id, metadata={metadata_key(key): value for key, value in fields.items()})


def _is_binary(data_type: pa.DataType) -> bool:
    return pa.types.is_binary(data_type) or pa.types.is_large_binary(data_type) or pa.types.is_binary_view(data_type)


def _utf8_error(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        value.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not valid UTF-8 at byte {error.start}"
    return None


def _raw(column: pa.Array, offset: int) -> Any:
    """The value at ``offset`` with its strings as bytes, for the quarantine snippet."""
    cell = column.slice(offset, 1)
    if pa.types.is_string(cell.type) or pa.types.is_large_string(cell.type):
        return cell.cast(pa.large_binary())[0].as_py()
    return f"<{cell.type} value>"


def _size(handle) -> int:
    try:
        handle.seek(0, 2)
        return handle.tell()
    except OSError:
        return 1
