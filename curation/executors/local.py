"""The local executor: N worker processes over shards, each worker building the pipeline once.

Workers are started with ``spawn`` (safe with threads and torch) and build their ``ShardPipeline`` in the
pool initializer, so a model stage loads its model once per process, not once per shard. At most one
shard per worker is in flight, so when a worker dies (SIGKILL, out of memory) the shards that were on the
broken pool are known; they are retried on a fresh pool, up to ``max_attempts``. Workers die with the
parent (``PR_SET_PDEATHSIG``), so a killed run leaves no orphan still writing.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from queue import Empty
from typing import Any

import cloudpickle

from curation.executors.shard_pipeline import RunSettings, ShardPipeline
from curation.io.shards import Shard
from curation.report.progress import ProgressReporter

DEFAULT_MAX_ATTEMPTS = 3


@dataclass
class ShardOutcome:
    """A shard's fate in this run: its marker body when it succeeded, the error when it did not."""

    shard: Shard
    marker: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 1


class WorkerStartupError(RuntimeError):
    """A worker could not build the pipeline (a stage failed to construct): no shard can succeed."""


def default_workers() -> int:
    """The cores this process may use (respects CPU affinity and cgroup-limited containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def run_local(
    settings: RunSettings,
    shards: list[Shard],
    workers: int,
    progress: ProgressReporter,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[ShardOutcome]:
    """Process ``shards`` with ``workers`` processes (in this process when ``workers == 1``)."""
    if not shards:
        return []
    if workers <= 1:
        return _run_inline(settings, shards, progress)
    return _PoolRun(settings, shards, min(workers, len(shards)), progress, max_attempts).run()


def _run_inline(settings: RunSettings, shards: list[Shard], progress: ProgressReporter) -> list[ShardOutcome]:
    try:
        pipeline = ShardPipeline(settings)
    except Exception as error:
        raise WorkerStartupError(f"building the pipeline failed: {error}") from error
    outcomes = []
    for shard in shards:
        try:
            marker = pipeline.process(shard, progress.documents)
            outcomes.append(ShardOutcome(shard, marker=marker))
            progress.shard_finished(shard.stem, True)
        except Exception:
            outcomes.append(ShardOutcome(shard, error=traceback.format_exc()))
            progress.shard_finished(shard.stem, False)
    return outcomes


class _PoolRun:
    """One run over a process pool, with bounded in-flight shards and retry on worker death."""

    def __init__(
        self,
        settings: RunSettings,
        shards: list[Shard],
        workers: int,
        progress: ProgressReporter,
        max_attempts: int,
    ):
        self.payload = cloudpickle.dumps(settings)
        self.workers = workers
        self.progress = progress
        self.max_attempts = max_attempts
        self.pending: deque[Shard] = deque(shards)
        self.attempts: dict[int, int] = {}
        self.outcomes: list[ShardOutcome] = []
        self.context = multiprocessing.get_context("spawn")
        self.queue = self.context.Queue()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self.context,
            initializer=_init_worker,
            initargs=(self.payload, self.queue, os.getpid()),
        )

    def run(self) -> list[ShardOutcome]:
        pool = self._new_pool()
        in_flight: dict[Future, Shard] = {}
        try:
            while self.pending or in_flight:
                while self.pending and len(in_flight) < self.workers:
                    shard = self.pending.popleft()
                    self.attempts[shard.index] = self.attempts.get(shard.index, 0) + 1
                    in_flight[pool.submit(_process_in_worker, shard)] = shard
                done, _ = wait(list(in_flight), timeout=0.2, return_when=FIRST_COMPLETED)
                self._drain_progress()
                broken = False
                for future in done:
                    shard = in_flight.pop(future)
                    broken |= self._settle(future, shard)
                if broken:
                    for shard in list(in_flight.values()):
                        self._retry_or_fail(shard, "the worker process died")
                    in_flight.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._new_pool()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self._drain_progress()
        return self.outcomes

    def _settle(self, future: Future, shard: Shard) -> bool:
        """Record a finished future; return True if it reveals a broken pool."""
        try:
            status, value = future.result()
        except BrokenProcessPool:
            self._retry_or_fail(shard, "the worker process died (killed, or out of memory)")
            return True
        if status == "startup_error":
            raise WorkerStartupError(value)
        ok = status == "ok"
        self.outcomes.append(
            ShardOutcome(
                shard, marker=value if ok else None, error=None if ok else value, attempts=self.attempts[shard.index]
            )
        )
        self.progress.shard_finished(shard.stem, ok)
        return False

    def _retry_or_fail(self, shard: Shard, why: str) -> None:
        if self.attempts[shard.index] < self.max_attempts:
            self.pending.appendleft(shard)
            return
        self.outcomes.append(
            ShardOutcome(
                shard, error=f"{why} on each of {self.max_attempts} attempts", attempts=self.attempts[shard.index]
            )
        )
        self.progress.shard_finished(shard.stem, False)

    def _drain_progress(self) -> None:
        while True:
            try:
                count = self.queue.get_nowait()
            except (Empty, OSError, ValueError):
                return
            self.progress.documents(count)


_PIPELINE: ShardPipeline | None = None
_STARTUP_ERROR: str | None = None
_QUEUE: Any = None


def _init_worker(payload: bytes, queue: Any, parent_pid: int) -> None:
    """Build the pipeline once for this worker; remember (not raise) a failure so the run can report it."""
    global _PIPELINE, _STARTUP_ERROR, _QUEUE
    _die_with_parent(parent_pid)
    _QUEUE = queue
    try:
        _PIPELINE = ShardPipeline(cloudpickle.loads(payload))
    except Exception:
        _STARTUP_ERROR = traceback.format_exc()


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this worker when the parent dies, so no orphan keeps writing after a kill."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:
        os._exit(1)


def _report_documents(count: int) -> None:
    if _QUEUE is not None:
        _QUEUE.put(count)


def _process_in_worker(shard: Shard) -> tuple[str, Any]:
    if _PIPELINE is None:
        return "startup_error", _STARTUP_ERROR or "the worker has no pipeline"
    try:
        return "ok", _PIPELINE.process(shard, _report_documents)
    except Exception:
        return "error", traceback.format_exc()
