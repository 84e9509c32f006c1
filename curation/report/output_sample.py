"""A seeded, bounded sample of a run's output rows: the report's view of per-document numbers.

Rows are drawn uniformly without replacement over every output file (by global row position, with NumPy's
``default_rng(seed)``), so the same output and seed give the same sample. Parquet files are read only in the
row groups holding chosen rows and only in the columns asked for; JSON Lines files are read up to their last
chosen line. Text is never kept, only its length in characters.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson
from datatrove.io import DataFolder

DEFAULT_SAMPLE_SIZE = 10_000
DEFAULT_SEED = 0
TEXT_LENGTH = "text_chars"
"""The sample's column holding each document's text length in characters."""
SAMPLED_COLUMNS = ("language", "domain", "topic_id", "quality_score", "token_count")
OUTPUT_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz")


def sample_output(
    folder: DataFolder,
    files: dict[str, int],
    size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = DEFAULT_SEED,
    columns: Iterable[str] = SAMPLED_COLUMNS,
    score_columns: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Up to ``size`` rows of the files ``files`` (relative path -> row count; -1 when unknown is skipped).

    Each row holds ``columns`` and ``score_columns`` where the file has them, plus ``text_chars``.
    """
    wanted = list(dict.fromkeys([*columns, *score_columns]))
    counted = [(path, rows) for path, rows in sorted(files.items()) if rows > 0 and path.endswith(OUTPUT_SUFFIXES)]
    total = sum(rows for _, rows in counted)
    if total == 0:
        return []
    chosen = np.sort(np.random.default_rng(seed).choice(total, size=min(size, total), replace=False))
    sample: list[dict[str, Any]] = []
    start = 0
    for path, rows in counted:
        low, high = np.searchsorted(chosen, [start, start + rows])
        if high > low:
            positions = (chosen[low:high] - start).tolist()
            sample += _read_rows(folder, path, positions, wanted)
        start += rows
    return sample


def output_files(folder: DataFolder) -> dict[str, int]:
    """Output files of a folder with no summary (row counts -1 are resolved by counting): path -> rows."""
    files: dict[str, int] = {}
    for path in sorted(folder.find("")):
        if any(part.startswith(("_", ".")) for part in path.split("/")) or not path.endswith(OUTPUT_SUFFIXES):
            continue
        if path.endswith(".parquet"):
            import pyarrow.parquet as pq

            with folder.open(path, "rb") as handle:
                files[path] = pq.ParquetFile(handle).metadata.num_rows
        else:
            files[path] = sum(1 for line in _lines(folder, path) if line.strip())
    return files


def _read_rows(folder: DataFolder, path: str, positions: list[int], columns: list[str]) -> list[dict[str, Any]]:
    if path.endswith(".parquet"):
        return _parquet_rows(folder, path, positions, columns)
    wanted = set(positions)
    last = positions[-1]
    rows = []
    index = 0
    for line in _lines(folder, path):
        if not line.strip():
            continue
        if index in wanted:
            record = orjson.loads(line)
            metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
            row = {name: record.get(name, metadata.get(name)) for name in columns}
            text = record.get("text")
            row[TEXT_LENGTH] = len(text) if isinstance(text, str) else 0
            rows.append(row)
        if index >= last:
            break
        index += 1
    return rows


def _lines(folder: DataFolder, path: str):
    with folder.open(path, "rb") as handle:
        data = handle.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return io.BytesIO(data)


def _parquet_rows(folder: DataFolder, path: str, positions: list[int], columns: list[str]) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    with folder.open(path, "rb") as handle:
        parquet = pq.ParquetFile(handle)
        names = set(parquet.schema_arrow.names)
        present = [name for name in columns if name in names]
        read = present + (["text"] if "text" in names else [])
        rows: list[dict[str, Any]] = []
        group_start = 0
        chosen = np.asarray(positions)
        for group in range(parquet.metadata.num_row_groups):
            group_rows = parquet.metadata.row_group(group).num_rows
            low, high = np.searchsorted(chosen, [group_start, group_start + group_rows])
            if high > low:
                table = parquet.read_row_group(group, columns=read)
                table = table.take(pa.array(chosen[low:high] - group_start))
                lengths = pc.utf8_length(table.column("text")).to_pylist() if "text" in read else [0] * table.num_rows
                for row, length in zip(table.select(present).to_pylist(), lengths, strict=True):
                    row[TEXT_LENGTH] = length or 0
                    rows.append(row)
            group_start += group_rows
    return rows
