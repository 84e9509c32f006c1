"""The units of work every executor runs: a shard through one segment, or one global task.

Executors (local process pool, Dask) only need to run jobs and report outcomes; the order of phases is
decided once, in ``runner``. A job is executed by a worker's ``ShardPipeline`` (built once per worker).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any, Protocol

from curation.executors.shard_pipeline import ProgressCallback, ShardPipeline
from curation.global_stage import GlobalTask
from curation.io.shards import Shard


@dataclass(frozen=True)
class ShardJob:
    """Run ``shard`` through segment ``segment`` of the recipe and commit the result."""

    shard: Shard
    segment: int

    @property
    def label(self) -> str:
        return self.shard.stem


@dataclass(frozen=True)
class GlobalJob:
    """Run one corpus-wide task of the global stage at ``position`` in the recipe."""

    position: int
    task: GlobalTask

    @property
    def label(self) -> str:
        return f"stage {self.position}: {self.task.key}"


Job = ShardJob | GlobalJob


@dataclass
class JobOutcome:
    """What happened to a job: its marker (shard jobs) when it succeeded, the error when it did not."""

    job: Job
    marker: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def shard(self) -> Shard:
        assert isinstance(self.job, ShardJob)
        return self.job.shard


class JobRunner(Protocol):
    """An executor's pool: runs a batch of independent jobs and returns one outcome per job."""

    def run(self, jobs: list[Job]) -> list[JobOutcome]: ...


class WorkerStartupError(RuntimeError):
    """A worker could not build the pipeline (a stage failed to construct): no job can succeed.

    The message is one line; ``details`` holds the worker's traceback when there is one.
    """

    def __init__(self, message: str, details: str | None = None):
        super().__init__(message)
        self.details = details

    @classmethod
    def from_worker_traceback(cls, text: str) -> WorkerStartupError:
        """From the traceback a worker sent back: its last line (the exception) as the message."""
        lines = [line for line in text.strip().splitlines() if line.strip()]
        return cls(f"building the pipeline failed in a worker: {lines[-1] if lines else 'unknown error'}", text)


def execute_job(pipeline: ShardPipeline, job: Job, progress: ProgressCallback | None) -> tuple[str, Any, float]:
    """Run a job in a worker: ("ok", marker-or-None, seconds) or ("error", traceback, seconds)."""
    started = time.perf_counter()
    try:
        if isinstance(job, ShardJob):
            value = pipeline.process(job.shard, progress, segment=job.segment)
        else:
            pipeline.run_global_task(job.position, job.task)
            value = None
        return "ok", value, time.perf_counter() - started
    except Exception:
        return "error", traceback.format_exc(), time.perf_counter() - started
