"""Which documents a check reads: every document, or a seeded uniform sample of N that reads no more than it needs.

Shards are found and read by the pipeline's own discovery and readers (``curation.io``), so a check takes any
folder a run takes, and a bad record or an unreadable shard becomes a quarantine record, never a crash.

Sampling chooses ``N`` of the data's documents uniformly without replacement with a seeded NumPy generator,
so the same data and seed always give the same sample:

- Parquet shards: the row count of each shard is in its footer, so rows are chosen before anything else is
  read, and the reader then reads only the row groups holding chosen rows and builds only the chosen rows;
- other formats (JSONL, WARC): the number of documents is not written anywhere, so each shard is counted with
  its reader first, then read again keeping the chosen documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from datatrove.data import Document
from datatrove.io import DataFolder, get_datafolder

from curation.checks.config import DataSpec
from curation.io.readers import READERS_BY_FORMAT, Record, ShardReader
from curation.io.shards import Shard, discover_shards

FULL_PASS = "every document"
BY_PARQUET_ROWS = "rows chosen from Parquet row counts; only row groups holding them read"
BY_COUNTED_DOCUMENTS = "documents counted per shard, then chosen"


@dataclass(frozen=True)
class ReadTask:
    """One shard to read: all of it (``selection`` None) or the chosen positions in it.

    ``by_row``: ``selection`` holds Parquet row numbers (read through the reader's row selection); otherwise it
    holds document ordinals (0 = the shard's first document).
    """

    index: int
    shard: Shard
    selection: np.ndarray | None = None
    by_row: bool = False


@dataclass(frozen=True)
class SamplePlan:
    """What was read: stated in every report so a reader of the figures knows what they describe."""

    requested: int | None
    seed: int
    population: int | None
    selected: int | None
    method: str

    @property
    def is_sample(self) -> bool:
        return self.requested is not None

    def describe(self) -> str:
        if not self.is_sample:
            return f"{FULL_PASS} ({self.population:,} read)" if self.population is not None else FULL_PASS
        return (
            f"seeded sample of {self.selected:,} of {self.population:,} documents "
            f"(--sample {self.requested:,}, seed {self.seed}; {self.method})"
        )

    def to_dict(self) -> dict:
        return {
            "sampled": self.is_sample,
            "requested": self.requested,
            "seed": self.seed,
            "population": self.population,
            "selected": self.selected,
            "method": self.method,
            "statement": self.describe(),
        }


def open_data(path: str, spec: DataSpec) -> tuple[DataFolder, list[Shard]]:
    """The data folder and its shards, found as a run finds its input (``ShardDiscoveryError`` if none)."""
    folder = get_datafolder(path)
    shards = discover_shards(folder, glob=spec.glob, fmt=spec.format, recursive=spec.recursive)
    return folder, shards


def make_reader(folder: DataFolder, shard: Shard, spec: DataSpec) -> ShardReader:
    return READERS_BY_FORMAT[shard.format](folder, text_field=spec.text_field, id_field=spec.id_field)


def parquet_row_count(folder: DataFolder, path: str) -> int | None:
    """Rows in a Parquet shard from its footer alone; None when the footer cannot be read (the reader will
    then quarantine the shard with the reason when it is read)."""
    import pyarrow.parquet as pq

    try:
        with folder.open(path, "rb") as handle:
            return pq.ParquetFile(handle).metadata.num_rows
    except Exception:  # pyarrow raises several types for a bad footer; the reader reports which
        return None


def full_pass_tasks(shards: list[Shard]) -> list[ReadTask]:
    return [ReadTask(index, shard) for index, shard in enumerate(shards)]


def choose(counts: list[int], size: int, seed: int) -> list[np.ndarray]:
    """Positions chosen in each shard: ``min(size, total)`` of all positions, uniformly, without replacement."""
    total = int(sum(counts))
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(total, size=min(size, total), replace=False)) if total else np.empty(0, np.int64)
    bounds = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
    cuts = np.searchsorted(chosen, bounds)
    return [chosen[cuts[i] : cuts[i + 1]] - bounds[i] for i in range(len(counts))]


def sample_tasks(
    shards: list[Shard], counts: list[int | None], size: int, seed: int
) -> tuple[list[ReadTask], SamplePlan]:
    """Read tasks for a sample of ``size`` given each shard's count.

    Counts are Parquet row counts or counted documents. A count of None (a Parquet footer that cannot be read)
    makes a task reading the whole shard, which yields the reader's quarantine record for it.
    """
    known = [count or 0 for count in counts]
    selections = choose(known, size, seed)
    tasks = []
    all_parquet = all(shard.format == "parquet" for shard in shards)
    for index, (shard, count, selection) in enumerate(zip(shards, counts, selections, strict=True)):
        if count is None:
            tasks.append(ReadTask(index, shard))
        elif len(selection):
            tasks.append(ReadTask(index, shard, selection, by_row=shard.format == "parquet"))
    method = BY_PARQUET_ROWS if all_parquet else BY_COUNTED_DOCUMENTS
    plan = SamplePlan(size, seed, sum(known), int(sum(len(s) for s in selections)), method)
    return tasks, plan


def read_task(folder: DataFolder, task: ReadTask, spec: DataSpec) -> Iterator[Record]:
    """The records of one task: the chosen documents (or all), with the quarantined and skipped records seen.

    With a selection of document ordinals, only the chosen documents are yielded: the shard's bad records
    were already reported by the count pass (``count_documents``), which read all of it.
    """
    reader = make_reader(folder, task.shard, spec)
    if task.selection is None:
        yield from reader.iter_records(task.shard.path)
        return
    if task.by_row:
        yield from reader.iter_records(task.shard.path, rows=task.selection)
        return
    wanted = set(task.selection.tolist())
    ordinal = 0
    for record in reader.iter_records(task.shard.path):
        if type(record) is Document:
            if ordinal in wanted:
                yield record
            ordinal += 1


def count_documents(folder: DataFolder, shard: Shard, spec: DataSpec) -> tuple[int, list[Record]]:
    """Documents a shard yields through its reader, and its other records (quarantined, skipped), for formats
    whose metadata holds no row count."""
    reader = make_reader(folder, shard, spec)
    count = 0
    others: list[Record] = []
    for record in reader.iter_records(shard.path):
        if type(record) is Document:
            count += 1
        else:
            others.append(record)
    return count, others
