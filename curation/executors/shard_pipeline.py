"""Process one input shard end to end: read -> stages -> write into staging -> commit.

A ``ShardPipeline`` is built once per worker process (this is when model stages load their models) and
then processes any number of shards. It is the unit both executors share, so a shard gives the same output
whichever executor ran it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from datatrove.data import Document
from datatrove.io import DataFolder, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.stats import Stats

from curation.executors.metering import Meter
from curation.executors.plan import (
    Segment,
    global_workdir,
    segment_folder,
    split_into_segments,
    stage_slug,
    task_marker,
)
from curation.global_stage import GlobalStage, GlobalTask, ShardContext
from curation.io.layout import QUARANTINE_DIR, OutputLayout
from curation.io.quarantine import Quarantined
from curation.io.readers import READERS_BY_FORMAT, IntermediateShardReader, ShardReader
from curation.io.shards import Shard
from curation.io.writers import WRITERS_BY_FORMAT, ParquetShardWriter, ShardWriter
from curation.io.writers.base import TOKEN_COUNT_FIELD
from curation.io.writers.naming import label_separators
from curation.recipe.model import Recipe
from curation.recipe.registry import build_stage, resolve_stage_class
from curation.report.observe import OutputObserver, StageObserver
from curation.report.stats import UNSPECIFIED_REASON, ShardResult, StageCounts

ProgressCallback = Callable[[int], None]
READ_STAGE_NAME = "read"
WRITE_STAGE_NAME = "write"


@dataclass
class RunSettings:
    """Everything a worker needs to process shards; picklable so it can travel to worker processes."""

    recipe: Recipe
    input_path: str
    output_path: str
    world_size: int
    fingerprint: str
    input_storage_options: dict[str, Any] = field(default_factory=dict)
    output_storage_options: dict[str, Any] = field(default_factory=dict)
    recipe_identity: dict[str, Any] = field(default_factory=dict)
    """``Recipe.identity()``: markers keep it, so a later run with another recipe can say what changed."""


class ShardPipeline:
    """Reader, stages and writer factory for one worker; runs shard passes and global tasks."""

    def __init__(self, settings: RunSettings):
        self.settings = settings
        recipe = settings.recipe
        self.input_folder: DataFolder = get_datafolder((settings.input_path, settings.input_storage_options))
        self.output_folder: DataFolder = get_datafolder((settings.output_path, settings.output_storage_options))
        self.layout = OutputLayout(self.output_folder)
        self._readers: dict[str, Any] = {}
        self.stages: list[tuple[str, PipelineStep]] = [
            (spec.display_name, spec.step if spec.step is not None else build_stage(spec.stage, spec.params))
            for spec in recipe.stages
        ]
        self.segments = split_into_segments([isinstance(step, GlobalStage) for _, step in self.stages])
        self.summary_groups = sorted({name for _, step in self.stages for name in getattr(step, "summary_groups", ())})
        for _, step in self.stages:  # stages that keep state beside the run's folders (a request cache)
            if callable(bind := getattr(step, "bind_run", None)):
                bind(self.input_folder, self.output_folder)

    def reader_for(self, fmt: str):
        """Our quarantining reader for the shard's format, or the recipe's datatrove reader."""
        key = "custom" if self.settings.recipe.input.reader else fmt
        if key not in self._readers:
            spec = self.settings.recipe.input
            if spec.reader:
                cls = resolve_stage_class(spec.reader)
                self._readers[key] = cls(self.input_folder, **spec.reader_params)
            else:
                self._readers[key] = READERS_BY_FORMAT[fmt](
                    self.input_folder, text_field=spec.text_field, id_field=spec.id_field
                )
        return self._readers[key]

    def make_writer(self, staging: DataFolder, stem: str) -> PipelineStep:
        spec = self.settings.recipe.output
        filename = spec.filename.replace("${shard}", stem.replace("$", "$$"))
        if spec.writer:
            cls = resolve_stage_class(spec.writer)
            suffix = (cls.default_output_filename or "${rank}").replace("${rank}", "")
            return cls(staging, output_filename=filename + suffix, **spec.writer_params)
        writer_cls = WRITERS_BY_FORMAT[spec.format]
        separators = label_separators(spec.filename)
        return writer_cls(staging, filename, compression=spec.codec, atomic_files=False, label_separators=separators)

    def global_stage(self, position: int) -> GlobalStage:
        step = self.stages[position][1]
        assert isinstance(step, GlobalStage)
        return step

    def global_workdir(self, position: int) -> DataFolder:
        return global_workdir(self.output_folder, position, self.global_stage(position))

    def run_global_task(self, position: int, task: GlobalTask) -> None:
        """Run one corpus-wide task of the global stage at ``position``, then mark it done."""
        stage = self.global_stage(position)
        stage.run_global_task(task, self.global_workdir(position))
        self.layout.write_json_atomically(
            task_marker(stage_slug(position, stage), task.key), {"key": task.key, "params": task.params}
        )

    def process(self, shard: Shard, progress: ProgressCallback | None = None, segment: int | None = None) -> dict:
        """Run one shard through one segment (the last by default) and commit; return the marker content."""
        plan = self.segments[-1 if segment is None else segment]
        layout = self.layout if plan.last else OutputLayout(segment_folder(self.output_folder, plan.index))
        started = time.perf_counter()
        staging = layout.new_staging()
        try:
            marker = self._process_into(shard, plan, layout, staging, progress, started)
        except BaseException:
            layout.discard_staging(staging)
            raise
        body = _marker_body(marker, self.settings.fingerprint, self.settings.recipe_identity)
        layout.commit(shard.stem, staging, marker["files_to_commit"], body)
        return body

    def _source(self, shard: Shard, plan: Segment, layout: OutputLayout, staging_folder: DataFolder, progress):
        """The documents entering a segment: the input shard, or the previous segment's intermediate shard."""
        records = _Records()
        reader_drops: Counter[str] = Counter()
        if plan.index == 0:
            reader, path = self.reader_for(shard.format), shard.path
            source_file = self.input_folder.resolve_paths(shard.path)
        else:
            previous = segment_folder(self.output_folder, plan.index - 1)
            reader, path = IntermediateShardReader(previous), f"{shard.stem}.parquet"
            source_file = previous.resolve_paths(path)
        quarantine = _QuarantineSink(staging_folder, layout.quarantine_path(shard.stem), source_file)
        return _read(reader, path, quarantine, reader_drops, records, progress), quarantine, reader_drops, records

    def _links(self, plan: Segment, shard: Shard) -> list[tuple[str, PipelineStep, Callable]]:
        """(name, step whose stats hold drop reasons, function from documents to documents) per link."""
        world = self.settings.world_size
        links: list[tuple[str, PipelineStep, Callable]] = []
        if plan.apply_global is not None:
            name, stage = self.stages[plan.apply_global]
            context = self._context(shard, plan.apply_global)
            links.append((name, stage, lambda data, s=stage, c=context: s.apply(data, c)))
        for position in plan.plain:
            name, step = self.stages[position]
            links.append((name, step, lambda data, s=step: s.run(data, shard.index, world)))
        if plan.collect_global is not None:
            name, stage = self.stages[plan.collect_global]
            context = self._context(shard, plan.collect_global)
            links.append((f"{name} (collect)", stage, lambda data, s=stage, c=context: s.collect(data, c)))
        return links

    def _context(self, shard: Shard, position: int) -> ShardContext:
        return ShardContext(shard.stem, shard.index, self.settings.world_size, self.global_workdir(position))

    def _process_into(
        self,
        shard: Shard,
        plan: Segment,
        layout: OutputLayout,
        staging: str,
        progress: ProgressCallback | None,
        started: float,
    ) -> dict[str, Any]:
        staging_folder = layout.staging_folder(staging)
        source, quarantine, reader_drops, records = self._source(shard, plan, layout, staging_folder, progress)
        links = self._links(plan, shard)
        for _, step, _ in links:
            step.stats = Stats(str(step))
        observers = [StageObserver(name, step) for name, step, _ in links]
        meters = [_meter(source)]
        for observer, (_, _, function) in zip(observers, links, strict=True):
            meters.append(_meter(observer.leaving(function(observer.entering(meters[-1])))))
        groups = _GroupCounts(self.summary_groups if plan.last else [])
        documents = groups.counted(meters[-1])
        output_observer = OutputObserver() if plan.last else None
        if plan.last:
            writer = self.make_writer(staging_folder, shard.stem)
            documents = output_observer.counted(documents)
        else:
            writer = ParquetShardWriter(staging_folder, shard.stem, compression="zstd", atomic_files=False)
        outputs, output_tokens = _drain_into_writer(writer, documents, shard.index, self.settings.world_size)
        quarantine.close()
        total_seconds = time.perf_counter() - started

        stage_counts = [StageCounts(READ_STAGE_NAME, records.count, meters[0].count, reader_drops, meters[0].seconds)]
        for position, (name, step, _) in enumerate(links, start=1):
            upstream, own = meters[position - 1], meters[position]
            stage_counts.append(
                StageCounts(
                    name,
                    upstream.count,
                    own.count,
                    _drop_reasons(step, upstream.count - own.count),
                    max(0.0, own.seconds - upstream.seconds),
                    _own_counts(step),
                )
            )
        kept = meters[-1].count
        stage_counts.append(StageCounts(WRITE_STAGE_NAME, kept, kept, Counter(), total_seconds - meters[-1].seconds))
        result = ShardResult(
            source=shard.path,
            stem=shard.stem,
            records_in=records.count,
            kept=kept,
            quarantined=quarantine.reasons,
            stages=stage_counts,
            outputs=outputs,
            output_tokens=output_tokens,
            quarantine_file=quarantine.path if quarantine.written else None,
            seconds=total_seconds,
            groups=groups.to_dict(),
            observations={
                "stages": [observer.to_dict() for observer in observers],
                "output": output_observer.to_dict() if output_observer is not None else None,
            },
        )
        files = list(outputs) + ([quarantine.path] if quarantine.written else [])
        if plan.last and plan.index > 0:
            result = self._merge_earlier_segments(shard, result, staging_folder, files)
        return {"result": result, "files_to_commit": files}

    def _merge_earlier_segments(
        self, shard: Shard, final: ShardResult, staging_folder: DataFolder, files: list[str]
    ) -> ShardResult:
        """One result per shard, as if it ran in one pass: earlier segments' counts and quarantine join."""
        merged: ShardResult | None = None
        for index in range(final_index := self.segments[-1].index):
            marker = OutputLayout(segment_folder(self.output_folder, index)).read_marker(shard.stem)
            if marker is None:
                raise RuntimeError(f"segment {index} of shard {shard.stem!r} has no completion marker")
            earlier = ShardResult.from_dict(marker["result"])
            if merged is None:
                merged = earlier
                merged.stages = merged.stages[:-1]  # its write was an intermediate checkpoint
            else:
                merged.stages += earlier.stages[1:-1]
                merged.seconds += earlier.seconds
                merged.quarantined.update(earlier.quarantined)
                merged.observations = _joined_observations(merged.observations, earlier.observations)
            if earlier.quarantine_file:
                source = segment_folder(self.output_folder, index)
                with (
                    source.open(earlier.quarantine_file, "rb") as handle,
                    staging_folder.open(earlier.quarantine_file, "ab") as target,
                ):
                    target.write(handle.read())
                if earlier.quarantine_file not in files:
                    files.append(earlier.quarantine_file)
        assert merged is not None and final_index > 0
        merged.stages += final.stages[1:]
        merged.kept = final.kept
        merged.outputs = final.outputs
        merged.output_tokens = final.output_tokens
        merged.groups = final.groups
        merged.observations = _joined_observations(merged.observations, final.observations)
        merged.quarantined.update(final.quarantined)
        merged.quarantine_file = merged.quarantine_file or final.quarantine_file
        merged.seconds += final.seconds
        return merged


def _joined_observations(first: dict[str, Any] | None, then: dict[str, Any] | None) -> dict[str, Any] | None:
    """One shard's observations over two consecutive segments: stage rows in order, the later output."""
    if first is None or then is None:
        return first or then
    return {"stages": first.get("stages", []) + then.get("stages", []), "output": then.get("output")}


def _marker_body(marker: dict[str, Any], fingerprint: str, identity: dict[str, Any]) -> dict[str, Any]:
    return {
        "result": marker["result"].to_dict(),
        "recipe_fingerprint": fingerprint,
        "recipe_identity": identity,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


class _GroupCounts:
    """Documents and tokens (``token_count``) reaching the writer, per value of each field in ``fields``."""

    def __init__(self, fields: list[str]):
        self.fields = fields
        self.counts: dict[str, dict[str, list[int]]] = {name: {} for name in fields}

    def counted(self, documents: Iterator[Document]) -> Iterator[Document]:
        if not self.fields:
            yield from documents
            return
        for document in documents:
            tokens = document.metadata.get(TOKEN_COUNT_FIELD)
            tokens = tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else 0
            for name in self.fields:
                value = document.metadata.get(name)
                if value is None:
                    continue
                entry = self.counts[name].setdefault(str(value), [0, 0])
                entry[0] += 1
                entry[1] += tokens
            yield document

    def to_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        return {
            name: {value: {"documents": d, "tokens": t} for value, (d, t) in values.items()}
            for name, values in self.counts.items()
            if values
        }


class _Records:
    """Counts input records (documents + reader drops + quarantined) as the reader produces them."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class _QuarantineSink:
    """Collects a shard's quarantine records into one JSONL file in staging, opened only if needed."""

    def __init__(self, folder: DataFolder, path: str, source_file: str):
        self.folder = folder
        self.path = path
        self.source_file = source_file
        self.reasons: Counter[str] = Counter()
        self._handle = None
        self.written = False

    def add(self, record: Quarantined) -> None:
        """Record it under the full source path (URL for remote input), so it can be found again."""
        record.source_file = self.source_file
        self.reasons[record.reason] += record.count
        if self._handle is None:
            self._handle = self.folder.open(self.path, "wb")
            self.written = True
        self._handle.write(record.to_json_line())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _read(
    reader: Any,
    path: str,
    quarantine: _QuarantineSink,
    reader_drops: Counter[str],
    records: _Records,
    progress: ProgressCallback | None,
) -> Iterator[Document]:
    """Documents of one shard; quarantined and skipped records are routed to their sinks as they pass."""
    tick = _ProgressTick(progress)
    if isinstance(reader, ShardReader):
        for record in reader.iter_records(path):
            if type(record) is Document:
                records.count += 1
                tick()
                yield record
            elif isinstance(record, Quarantined):
                records.count += record.count
                quarantine.add(record)
            else:
                records.count += 1
                reader_drops[record.reason] += 1
    else:
        for document in reader.read_file(path):
            records.count += 1
            tick()
            yield document
    tick.flush()


class _ProgressTick:
    """Batch per-document progress into occasional callbacks (a queue put per document would cost more)."""

    __slots__ = ("callback", "last", "pending")

    INTERVAL_SECONDS = 0.25

    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback
        self.pending = 0
        self.last = time.monotonic()

    def __call__(self) -> None:
        if self.callback is None:
            return
        self.pending += 1
        if not self.pending % 32:  # the clock is read every 32 documents, so slow stages still report
            now = time.monotonic()
            if now - self.last >= self.INTERVAL_SECONDS:
                self.flush()
                self.last = now

    def flush(self) -> None:
        if self.callback is not None and self.pending:
            self.callback(self.pending)
            self.pending = 0


def _meter(source: Iterator[Document]) -> Meter[Document]:
    return Meter(iter(source))


def _drop_reasons(step: PipelineStep, dropped: int) -> Counter[str]:
    """Drop reasons from a datatrove step's stats (``dropped_<reason>``); the rest is ``unspecified``."""
    reasons: Counter[str] = Counter()
    for key, metric in step.stats.stats.items():
        if key.startswith("dropped_"):
            reasons[key.removeprefix("dropped_")] += int(metric.total)
    unattributed = dropped - sum(reasons.values())
    if unattributed > 0:
        reasons[UNSPECIFIED_REASON] += unattributed
    return reasons


GENERIC_STATS = frozenset({"total", "forwarded", "dropped", "doc_len", "doc_len_tokens"})
"""datatrove's stats that every step keeps; the summary has them already as in/out/dropped."""


def _own_counts(step: PipelineStep) -> Counter[str]:
    """A step's own counts (``stat_update`` labels other than drops and datatrove's generic ones), as integers
    where they are whole: ``redacted_email``, ``no_word_list_sw``, ``brands_hits``..."""
    counts: Counter[str] = Counter()
    for key, metric in step.stats.stats.items():
        if key in GENERIC_STATS or key.startswith("dropped_"):
            continue
        total = metric.total
        counts[key] = int(total) if float(total).is_integer() else round(float(total), 4)
    return counts


def _drain_into_writer(
    writer: PipelineStep, documents, rank: int, world_size: int
) -> tuple[dict[str, int], dict[str, int]]:
    """Run the writer over the documents; return rows and tokens written per output file (relative to staging).

    A datatrove writer may split or rename files (``max_file_size``); its files are listed from staging and
    a file whose row count cannot be told gets -1.
    """
    if isinstance(writer, ShardWriter):
        for _ in writer.run(documents, rank, world_size):
            pass
        return dict(writer.rows_by_file), dict(writer.tokens_by_file)
    assert isinstance(writer, DiskWriter)
    rows: Counter[str] = Counter()
    with writer:
        for document in documents:
            writer.write(document, rank)
            rows[writer._get_output_filename(document, rank)] += 1
    written = [path for path in writer.output_folder.find("") if not path.startswith(QUARANTINE_DIR + "/")]
    return {path: rows.get(path, -1) for path in written}, {}
