"""Run a checks file over a data folder: read (all or a sample), measure, judge, and say what was done.

Measuring is spread over worker processes, one read task (a shard, or the chosen rows of one) at a time;
each worker builds its measuring tools once. Results are merged in task order, so the metrics do not depend
on the number of workers. MinHash band keys and signatures live in a temporary folder that is removed at
the end.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any

from datatrove.io import DataFolder

from curation.checks.baseline import Baseline, BaselineError, read_baseline, write_baseline
from curation.checks.config import ChecksFile
from curation.checks.evaluate import CheckResult, evaluate, exit_code
from curation.checks.metrics import Metrics, MetricsBuilder
from curation.checks.profile import DocumentProfiler, ShardProfile, UnreadableRecords
from curation.checks.sampling import (
    FULL_PASS,
    ReadTask,
    SamplePlan,
    count_documents,
    full_pass_tasks,
    open_data,
    parquet_row_count,
    read_task,
    sample_tasks,
)
from curation.io.quarantine import Quarantined
from curation.io.shards import Shard, ShardDiscoveryError

SUMMARY_FILE = "summary.json"


class CheckUsageError(ValueError):
    """The command cannot run as asked: no shards, a missing baseline, a tool that cannot be built."""


@dataclass
class CheckRun:
    """Everything one ``curate check`` produced: metrics, verdicts, and how they were obtained."""

    checks: ChecksFile
    checks_source: str
    data: str
    metrics: Metrics
    results: list[CheckResult]
    started_at: str
    seconds: float
    workers: int
    baseline: Baseline | None = None
    baseline_written: str | None = None
    notes: list[str] = field(default_factory=list)
    warn_exit: bool = False

    @property
    def exit_code(self) -> int:
        return exit_code(self.results, self.warn_exit)

    @property
    def sample_statement(self) -> str:
        return self.metrics.details.get("sample", {}).get("statement", FULL_PASS)

    def counts(self) -> dict[str, int]:
        counts = {"checks": len(self.results), "passed": 0, "failed": 0, "warned": 0, "errors": 0, "skipped": 0}
        for result in self.results:
            if result.status == "passed":
                counts["passed"] += 1
            elif result.status == "skipped":
                counts["skipped"] += 1
            elif result.status == "error":
                counts["errors"] += 1
            elif result.check.severity == "warn":
                counts["warned"] += 1
            else:
                counts["failed"] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "checks_file": self.checks_source,
            "name": self.checks.name,
            "data": self.data,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "workers": self.workers,
            "sample": self.metrics.details.get("sample"),
            "baseline": self.baseline.path if self.baseline else None,
            "baseline_written": self.baseline_written,
            "notes": self.notes,
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "results": [result.to_dict() for result in self.results],
            "metrics": self.metrics.to_dict(),
        }


def run_checks(
    checks: ChecksFile,
    data: str,
    *,
    checks_source: str = "<checks>",
    sample: int | None = None,
    seed: int | None = None,
    baseline: str | None = None,
    write_baseline_to: str | None = None,
    workers: int | None = None,
    warn_exit: bool = False,
) -> CheckRun:
    """Measure ``data`` and judge every check; ``CheckUsageError`` for anything that stops it from running.

    ``sample``: documents to check (None: the checks file's ``sample.size``; 0: every document).
    """
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    size = checks.sample.size if sample is None else (sample or None)
    seed = checks.sample.seed if seed is None else seed
    relative = [check.name for check in checks.checks if check.uses_baseline]
    if relative and baseline is None and write_baseline_to is None:
        raise CheckUsageError(
            f"check(s) {', '.join(map(repr, relative))} compare with a baseline: pass --baseline FILE "
            "(write one with --write-baseline FILE)"
        )
    pinned = None
    if baseline is not None:
        try:
            pinned = read_baseline(baseline)
        except BaselineError as error:
            raise CheckUsageError(str(error)) from error
    metrics, used_workers = measure(checks, data, sample=size, seed=seed, workers=workers)
    results = evaluate(checks.checks, metrics, pinned)
    run = CheckRun(
        checks, checks_source, data, metrics, results, started_at, 0.0, used_workers, pinned, warn_exit=warn_exit
    )
    if pinned is not None:
        run.notes += [f"baseline measured differently: {note}" for note in pinned.differences(metrics, checks)]
    if write_baseline_to is not None:
        write_baseline(write_baseline_to, metrics, checks, data)
        run.baseline_written = write_baseline_to
    run.seconds = time.perf_counter() - started
    return run


def measure(
    checks: ChecksFile, data: str, *, sample: int | None = None, seed: int = 0, workers: int | None = None
) -> tuple[Metrics, int]:
    """The metrics of ``data`` (every document, or a seeded sample of ``sample``) and the workers used."""
    try:
        folder, shards = open_data(data, checks.data)
    except ShardDiscoveryError as error:
        raise CheckUsageError(f"{data}: {error}") from error
    with tempfile.TemporaryDirectory(prefix="curate-check-") as work_dir:
        try:
            local = DocumentProfiler(checks.metrics, checks.data, work_dir)
        except (OSError, ValueError, ImportError) as error:
            raise CheckUsageError(f"metrics: {error}") from error
        wanted = workers or os.cpu_count() or 1
        builder = MetricsBuilder(checks.metrics)
        with _Workers(wanted, len(shards), local, data, checks, work_dir) as pool:
            if sample is None:
                tasks = full_pass_tasks(shards)
                plan = None
                expected = _parquet_rows(folder, shards)
            else:
                tasks, plan = _plan_sample(folder, shards, sample, seed, pool, builder)
                expected = plan.selected
            cap = checks.metrics.pii.max_documents
            fraction = min(1.0, cap / expected) if cap and expected else 1.0
            for profile in pool.map(_measure_task, [(task, fraction, seed) for task in tasks]):
                builder.add(profile)
            used = pool.workers
        if plan is None:
            plan = SamplePlan(None, seed, builder.checked, builder.checked, FULL_PASS)
        notes: dict[str, Any] = {}
        metrics = builder.finish(plan, _run_summary(folder, notes))
        metrics.details.update(notes)
    return metrics, used


def _plan_sample(
    folder: DataFolder,
    shards: list[Shard],
    size: int,
    seed: int,
    pool: _Workers,
    builder: MetricsBuilder,
) -> tuple[list[ReadTask], SamplePlan]:
    """Row counts from Parquet footers, documents counted by the readers for other formats, then the choice."""
    counts: list[int | None] = [None] * len(shards)
    to_count = []
    for index, shard in enumerate(shards):
        if shard.format == "parquet":
            counts[index] = parquet_row_count(folder, shard.path)
            if counts[index] == 0:
                builder.empty_shards.append(shard.path)
        else:
            to_count.append(index)
    for index, (count, unreadable) in zip(to_count, pool.map(_count_task, [shards[i] for i in to_count]), strict=True):
        counts[index] = count
        builder.add_unreadable(unreadable)
    return sample_tasks(shards, counts, size, seed)


def _parquet_rows(folder: DataFolder, shards: list[Shard]) -> int | None:
    """Rows of an all-Parquet data folder from the footers (None if any shard is another format)."""
    if not all(shard.format == "parquet" for shard in shards):
        return None
    return sum(parquet_row_count(folder, shard.path) or 0 for shard in shards)


def _run_summary(folder: DataFolder, notes: dict[str, Any]) -> dict[str, Any] | None:
    try:
        if not folder.exists(SUMMARY_FILE):
            return None
        with folder.open(SUMMARY_FILE, "rb") as handle:
            summary = json.load(handle)
    except (OSError, ValueError) as error:
        notes["summary_error"] = f"{SUMMARY_FILE} could not be read: {error}"
        return None
    return summary if isinstance(summary, dict) else None


# ---- workers ---------------------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _start_worker(data: str, checks: ChecksFile, work_dir: str) -> None:
    from datatrove.io import get_datafolder

    _STATE["folder"] = get_datafolder(data)
    _STATE["data"] = checks.data
    _STATE["profiler"] = DocumentProfiler(checks.metrics, checks.data, work_dir)


def _measure_task(item: tuple[ReadTask, float, int]) -> ShardProfile:
    task, pii_fraction, seed = item
    profiler: DocumentProfiler = _STATE["profiler"]
    try:
        records = read_task(_STATE["folder"], task, _STATE["data"])
        return profiler.profile(task.index, task.shard.path, records, pii_fraction=pii_fraction, seed=seed)
    except Exception as error:  # a shard that breaks a measuring tool is reported, never ends the check
        return ShardProfile(task.index, task.shard.path, failure=f"{type(error).__name__}: {error}")


def _count_task(shard: Shard) -> tuple[int, UnreadableRecords]:
    unreadable = UnreadableRecords(shard.path)
    try:
        count, others = count_documents(_STATE["folder"], shard, _STATE["data"])
    except Exception as error:
        unreadable.by_reason["check_error"] += 1
        unreadable.first["check_error"] = f"{type(error).__name__}: {error}"
        return 0, unreadable
    for record in others:
        if isinstance(record, Quarantined):
            unreadable.add(record)
    return count, unreadable


class _Workers:
    """A spawn process pool of measuring workers, or the calling process when one worker is enough."""

    def __init__(self, wanted: int, tasks: int, local: DocumentProfiler, data: str, checks: ChecksFile, work_dir: str):
        self.workers = max(1, min(wanted, tasks))
        self._arguments = (data, checks, work_dir)
        self._local = local
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Workers:
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=self._arguments
            )
        else:
            from datatrove.io import get_datafolder

            data, checks, _ = self._arguments
            _STATE.update(folder=get_datafolder(data), data=checks.data, profiler=self._local)
        return self

    def map(self, function: Callable, items: Iterable) -> Iterator:
        if self._pool is None:
            return map(function, items)
        return self._pool.map(function, items)

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        _STATE.clear()
