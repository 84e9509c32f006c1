"""The write phase: one job per (stage, input shard) writes that shard's chosen documents, then commits.

A job reads only the row groups holding its rows, puts the rows in the plan's (seeded, shuffled) order —
a document used twice appears twice — adds ``mix_stage``, ``mix_source`` and ``repetition``, and writes
the file under ``.staging`` before committing it with the output layout's journal and marker
(``curation.io.layout``), so a kill at any moment leaves either a complete, marked file or nothing the next
run keeps. Parquet input to Parquet output stays in Arrow and keeps the input's column types exactly;
JSONL input or output goes through the project's shard writers.

Everything a job writes depends only on the job, so the local and Dask executors write the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datatrove.data import Document
from datatrove.io import DataFolder, get_datafolder

from curation.io.layout import OutputLayout
from curation.io.writers import WRITERS_BY_FORMAT
from curation.mix.inputs import InputShard, read_jsonl_rows, read_parquet_rows

MIX_STAGE = "mix_stage"
MIX_SOURCE = "mix_source"
REPETITION = "repetition"
MIX_COLUMNS = (MIX_STAGE, MIX_SOURCE, REPETITION)


ROW_GROUP_BYTES = 64 * 2**20
"""Text bytes per row group at most (as the pipeline's Parquet writer), so long documents make short groups."""


def row_groups(table: pa.Table, text_field: str, max_rows: int) -> list[tuple[int, int]]:
    """Row ranges of the row groups: at most ``max_rows`` rows and about ``ROW_GROUP_BYTES`` of text each."""
    if table.num_rows == 0:
        return [(0, 0)]
    if text_field in table.column_names:
        sizes = np.asarray(pc.fill_null(pc.binary_length(table.column(text_field)), 0), dtype=np.int64)
    else:
        sizes = np.zeros(table.num_rows, dtype=np.int64)
    bounds, start, used = [], 0, 0
    for row, size in enumerate(sizes.tolist()):
        if row > start and (row - start >= max_rows or used + size > ROW_GROUP_BYTES):
            bounds.append((start, row))
            start, used = row, 0
        used += size
    bounds.append((start, table.num_rows))
    return bounds


@dataclass(frozen=True)
class WriteSettings:
    """What every write job of a run shares."""

    output_path: str
    format: str
    codec: str
    row_group_rows: int
    plan: str
    """The plan's fingerprint, recorded in every marker."""
    token_column: str
    replace_tokens: bool
    """Write the planned counts into ``token_column`` (when they came from a tokenizer)."""
    storage_options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, eq=False)
class WriteJob:
    settings: WriteSettings
    stage: str
    shard: InputShard
    shard_fingerprint: str
    rows: np.ndarray
    """Rows of the input shard in output order (repeated rows repeat)."""
    sources: np.ndarray
    source_names: tuple[str, ...]
    repetitions: np.ndarray
    tokens: np.ndarray

    @property
    def stem(self) -> str:
        """The output's name without suffix, and the key of its completion marker."""
        return f"{self.stage}/{self.shard.input_name}/{self.shard.stem}"

    @property
    def key(self) -> str:
        return self.stem

    @property
    def documents(self) -> int:
        return len(self.rows)

    def run(self) -> dict[str, Any]:
        """Write and commit; return the marker."""
        folder = get_datafolder((self.settings.output_path, self.settings.storage_options))
        layout = OutputLayout(folder)
        staging = layout.new_staging()
        try:
            staging_folder = layout.staging_folder(staging)
            filename = self._write(staging_folder)
            marker = {
                "stage": self.stage,
                "source_file": self.shard.label,
                "source_fingerprint": self.shard_fingerprint,
                "documents": len(self.rows),
                "tokens": int(self.tokens.sum(dtype=np.int64)),
                "plan": self.settings.plan,
            }
            layout.commit(self.stem, staging, [filename], marker)
        except BaseException:
            layout.discard_staging(staging)
            raise
        return marker | {"files": [filename]}

    def _write(self, staging: DataFolder) -> str:
        unique, inverse = np.unique(self.rows, return_inverse=True)
        if self.shard.format == "parquet" and self.settings.format == "parquet":
            table = read_parquet_rows(self.shard, unique).take(pa.array(inverse))
            table = self._with_mix_columns(table)
            filename = f"{self.stem}.parquet"
            staging.makedirs(filename.rpartition("/")[0], exist_ok=True)
            codec = None if self.settings.codec == "none" else self.settings.codec
            with staging.open(filename, "wb") as handle:
                writer = pq.ParquetWriter(handle, table.schema, compression=codec)
                for start, stop in row_groups(table, self.shard.text_field, self.settings.row_group_rows):
                    writer.write_table(table.slice(start, stop - start), row_group_size=stop - start)
                writer.close()
            return filename
        documents = self._documents(unique, inverse)
        writer = WRITERS_BY_FORMAT[self.settings.format](
            staging, self.stem, compression=self.settings.codec, atomic_files=False
        )
        for _ in writer.run(iter(documents)):
            pass
        (filename,) = writer.rows_by_file
        return filename

    def _with_mix_columns(self, table: pa.Table) -> pa.Table:
        for name in MIX_COLUMNS:
            if name in table.column_names:
                table = table.drop_columns([name])
        if self.settings.replace_tokens:
            values = pa.array(self.tokens.astype(np.int64))
            column = self.settings.token_column
            if column in table.column_names:
                table = table.set_column(table.column_names.index(column), column, values)
            else:
                table = table.append_column(column, values)
        names = pa.array(list(self.source_names), type=pa.string())
        table = table.append_column(MIX_STAGE, pa.array([self.stage] * len(self.rows), type=pa.string()))
        table = table.append_column(MIX_SOURCE, names.take(pa.array(self.sources.astype(np.int32))))
        return table.append_column(REPETITION, pa.array(self.repetitions.astype(np.int32)))

    def _documents(self, unique: np.ndarray, inverse: np.ndarray) -> list[Document]:
        """The chosen documents in output order, each copy with its own mix metadata."""
        if self.shard.format == "parquet":
            rows = read_parquet_rows(self.shard, unique).to_pylist()
            text_field, id_field = self.shard.text_field, self.shard.id_field
            originals = [
                Document(text=row.pop(text_field), id=str(row.pop(id_field, "")), metadata=row) for row in rows
            ]
        else:
            originals = read_jsonl_rows(self.shard, unique)
        documents = []
        for position, index in enumerate(inverse.tolist()):
            original = originals[index]
            metadata = {k: v for k, v in original.metadata.items() if k not in MIX_COLUMNS}
            if self.settings.replace_tokens:
                metadata[self.settings.token_column] = int(self.tokens[position])
            metadata[MIX_STAGE] = self.stage
            metadata[MIX_SOURCE] = self.source_names[int(self.sources[position])]
            metadata[REPETITION] = int(self.repetitions[position])
            documents.append(Document(text=original.text, id=original.id, metadata=metadata))
        return documents
