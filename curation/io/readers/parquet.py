"""Parquet shards, read one row group at a time so a damaged row group costs only its own rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from curation.io.quarantine import Quarantined, QuarantineReason
from curation.io.readers.base import Record, ShardReader, quarantine_unreadable


class ParquetShardReader(ShardReader):
    """Read rows as documents; an unreadable file or row group is quarantined with the rows it held.

    Row numbers (``row``) are 0-based positions in the file. A file without the text column quarantines
    all its rows in one record whose ``count`` is the row count, so the run's counts still reconcile.
    """

    name = "📒 Parquet (quarantining)"

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
                for fields in batch.to_pylist():
                    row = next(numbers)
                    yield self.document_from_fields(fields, filepath, str(row), row=row)
            first += group_rows


def _size(handle) -> int:
    try:
        handle.seek(0, 2)
        return handle.tell()
    except OSError:
        return 1
