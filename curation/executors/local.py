"""The local executor: N worker processes, each building the pipeline once, running jobs.

Workers are started with ``spawn`` (safe with threads and torch) and build their ``ShardPipeline`` in the
pool initializer, so a model stage loads its model once per process, not once per shard; the same pool
serves every phase of a run. At most one job per worker is in flight, so when a worker dies (SIGKILL, out
of memory) the jobs that were on the broken pool are known; they are retried on a fresh pool, up to
``max_attempts``. Workers die with the parent (``PR_SET_PDEATHSIG``), so a killed run leaves no orphan
still writing. With one worker, jobs run in this process.

Workers ignore Ctrl-C (SIGINT reaches the whole process group on a terminal): the parent alone decides, stops
them and reports what is done. Each worker says when it is ready; a pool whose workers all exit before that
(a script without ``if __name__ == "__main__":`` re-runs itself in every spawned worker) is a start-up error
with that fix, not a shard to retry.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from queue import Empty
from typing import Any

import cloudpickle

from curation.executors.jobs import Job, JobOutcome, WorkerStartupError, execute_job
from curation.executors.shard_pipeline import RunSettings, ShardPipeline
from curation.report.progress import ProgressReporter

DEFAULT_MAX_ATTEMPTS = 3
SPAWN_BOOTSTRAP_EXIT = 86
"""Exit code of a worker that found itself re-running the user's script while starting (no ``__main__`` guard)."""
READY = "ready"
WORKERS_ENV = "CURATION_WORKERS"
"""Tells stages how many worker processes share this machine (the inference engine sizes its threads by it)."""


def default_workers() -> int:
    """The cores this process may use (respects CPU affinity and cgroup-limited containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class InlineRunner:
    """Runs jobs one after another in this process (``workers == 1``): simplest to debug and profile."""

    def __init__(self, settings: RunSettings, progress: ProgressReporter):
        os.environ[WORKERS_ENV] = "1"
        try:
            self.pipeline = ShardPipeline(settings)
        except Exception as error:
            raise WorkerStartupError(f"building the pipeline failed: {error}", traceback.format_exc()) from error
        self.progress = progress

    def run(self, jobs: list[Job]) -> list[JobOutcome]:
        outcomes = []
        for job in jobs:
            status, value, seconds = execute_job(self.pipeline, job, self.progress.documents)
            ok = status == "ok"
            outcomes.append(JobOutcome(job, value if ok else None, None if ok else value, 1, seconds))
            self.progress.finished(ok)
        return outcomes

    def close(self) -> None:
        pass


class PoolRunner:
    """A process pool kept for a whole run, with bounded in-flight jobs and retry on worker death."""

    def __init__(
        self, settings: RunSettings, workers: int, progress: ProgressReporter, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ):
        self.payload = cloudpickle.dumps(settings)
        self.workers = workers
        self.progress = progress
        self.max_attempts = max_attempts
        os.environ[WORKERS_ENV] = str(workers)  # inherited by the spawned workers
        self.context = multiprocessing.get_context("spawn")
        self.queue = self.context.Queue()
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        self.ready_workers = 0
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self.context,
            initializer=_init_worker,
            initargs=(self.payload, self.queue, os.getpid()),
        )

    def _submit(self, job: Job) -> Future:
        """Submit with SIGINT blocked: a worker spawned now inherits the blocked signal mask, so a Ctrl-C during
        its start-up is held back until its initializer ignores SIGINT, and never prints a traceback from it.
        Blocked, not ignored: a Ctrl-C that reaches the parent meanwhile stays pending and is handled the moment
        the submit returns (an ignored one would be lost, and the run would go on)."""
        if threading.current_thread() is not threading.main_thread():
            return self.pool.submit(_run_in_worker, job)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return self.pool.submit(_run_in_worker, job)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def run(self, jobs: list[Job]) -> list[JobOutcome]:
        pending: deque[int] = deque(range(len(jobs)))  # indices: jobs need not be hashable
        attempts = [0] * len(jobs)
        outcomes: list[JobOutcome] = []
        in_flight: dict[Future, int] = {}
        while pending or in_flight:
            while pending and len(in_flight) < self.workers:
                index = pending.popleft()
                attempts[index] += 1
                in_flight[self._submit(jobs[index])] = index
            done, _ = wait(list(in_flight), timeout=0.2, return_when=FIRST_COMPLETED)
            self._drain_progress()
            broken = False
            for future in done:
                index = in_flight.pop(future)
                try:
                    status, value, seconds = future.result()
                except BrokenProcessPool:
                    broken = True
                    self._retry_or_fail(jobs, index, attempts, pending, outcomes)
                    continue
                if status == "startup_error":
                    raise WorkerStartupError.from_worker_traceback(value)
                ok = status == "ok"
                outcomes.append(
                    JobOutcome(jobs[index], value if ok else None, None if ok else value, attempts[index], seconds)
                )
                self.progress.finished(ok)
            if broken:
                self._drain_progress()
                if self.ready_workers == 0:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    raise WorkerStartupError(_startup_failure_message())
                for index in list(in_flight.values()):
                    self._retry_or_fail(jobs, index, attempts, pending, outcomes)
                in_flight.clear()
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new_pool()
        self._drain_progress()
        return outcomes

    def _retry_or_fail(
        self, jobs: list[Job], index: int, attempts: list[int], pending: deque[int], outcomes: list[JobOutcome]
    ) -> None:
        if attempts[index] < self.max_attempts:
            pending.appendleft(index)
            return
        error = f"the worker process died (killed, or out of memory) on each of {self.max_attempts} attempts"
        outcomes.append(JobOutcome(jobs[index], error=error, attempts=attempts[index]))
        self.progress.finished(False)

    def _drain_progress(self) -> None:
        while True:
            try:
                message = self.queue.get_nowait()
            except (Empty, OSError, ValueError):
                return
            if message == READY:
                self.ready_workers += 1
            else:
                self.progress.documents(message)

    def terminate(self) -> None:
        """Stop the workers now (Ctrl-C): jobs in flight are abandoned; their staging is discarded by the next
        run and a half-done commit is undone from its journal."""
        processes = list(getattr(self.pool, "_processes", {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(timeout=5)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self._drain_progress()


def _startup_failure_message(in_process: str = "run with workers=1") -> str:
    """Why every worker of a fresh pool exited before it was ready, and what to do (``in_process``: how to run
    without worker processes)."""
    message = "the worker processes exited while starting, before they could build the pipeline"
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    package = Path(__file__).resolve().parents[1]
    if script and package not in Path(script).resolve().parents:
        message += (
            f". Workers are started with the 'spawn' method and import {script} again: put the code that runs "
            'the recipe under `if __name__ == "__main__":` (see the README\'s Python API example), '
            f"or {in_process}"
        )
    else:
        message += "; run with --workers 1 to see the error in this process"
    return message


def local_runner(settings: RunSettings, workers: int, progress: ProgressReporter) -> InlineRunner | PoolRunner:
    """The local executor for ``workers`` processes (in-process when 1)."""
    if workers <= 1:
        return InlineRunner(settings, progress)
    return PoolRunner(settings, workers, progress)


_PIPELINE: ShardPipeline | None = None
_STARTUP_ERROR: str | None = None
_QUEUE: Any = None


def _init_worker(payload: bytes, queue: Any, parent_pid: int) -> None:
    """Build the pipeline once for this worker; remember (not raise) a failure so the run can report it."""
    global _PIPELINE, _STARTUP_ERROR, _QUEUE
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since the spawn; a pending one is dropped
    _QUEUE = queue
    queue.put(READY)
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


def _run_in_worker(job: Job) -> tuple[str, Any, float]:
    if _PIPELINE is None:
        return "startup_error", _STARTUP_ERROR or "the worker has no pipeline", 0.0
    return execute_job(_PIPELINE, job, _report_documents)
