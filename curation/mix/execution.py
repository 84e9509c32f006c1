"""Running the mixture's jobs locally or on Dask.

A mixture has two phases of independent jobs: scans (one per input shard) and writes (one per stage and
input shard). Each job is a plain object whose ``run()`` depends on nothing but itself, unlike a recipe's
shard jobs, which run inside a worker's pre-built ``ShardPipeline``; so the mixture keeps its own small
runner instead of the recipe executors, with the same guarantees where they matter:

- ``local``: a ``spawn`` process pool (in-process with one worker). Workers die with the parent
  (``PR_SET_PDEATHSIG``), so a killed run leaves no orphan still writing.
- ``dask``: one task per job on an embedded ``LocalCluster`` or an existing scheduler; a task on a killed
  worker is retried by the scheduler, which the commit protocol makes safe. On an existing cluster every worker
  is checked first, as for ``curate run`` (``curation.executors.cluster_check``): the mixture's files, the
  client's package versions, the output folder; a worker that joins later checks itself before its first job.

Outcomes come back in job order whatever order jobs finish in, so results never depend on the executor.
"""

from __future__ import annotations

import os
import sys
import traceback
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from curation.executors.cluster_check import ClusterCheck, WorkerEnvironmentError, WorkerRequirements, describe_problems
from curation.executors.local import _die_with_parent, default_workers
from curation.executors.probe import check_worker
from curation.report.progress import ProgressReporter, SilentProgress


class MixJob(Protocol):
    @property
    def key(self) -> str: ...

    def run(self) -> Any: ...


@dataclass
class Outcome:
    """A job's value, or the error that ended it (``expected``: an error meant for the user, no traceback)."""

    key: str
    value: Any = None
    error: str | None = None
    expected: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


class ExecutorError(RuntimeError):
    """The executor itself failed (a scheduler that cannot be reached, a pool that broke)."""


def run_job(job: MixJob, expected: tuple[type[BaseException], ...] = ()) -> tuple[str, Any, bool]:
    """Run one job where it lands: ("ok", value, False) or ("error", message, is_expected)."""
    try:
        return "ok", job.run(), False
    except expected as error:
        return "error", str(error), True
    except Exception:
        return "error", traceback.format_exc(), False


def run_checked_job(
    job: MixJob, expected: tuple[type[BaseException], ...], check: dict[str, Any] | None
) -> tuple[str, Any, bool]:
    """``run_job`` on a Dask worker that first runs the run's worker check if it joined after the start."""
    if check is not None:
        from distributed import get_worker

        worker = get_worker()
        checked = worker.__dict__.setdefault("_curation_mix_checked", set())
        if worker.address not in check["checked"] and check["token"] not in checked:
            answer = check_worker(check)
            if answer["problems"]:
                return "environment_error", answer, True
            checked.add(check["token"])
    return run_job(job, expected)


class MixRunner:
    """Runs batches of mixture jobs on one executor for the whole run."""

    def __init__(
        self,
        kind: str = "local",
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        progress: ProgressReporter | None = None,
        stream: Any = None,
        requirements: WorkerRequirements | None = None,
    ):
        """``requirements``: what every worker of a cluster joined with ``scheduler`` must see and have; checked
        before the first job (``WorkerEnvironmentError``)."""
        if kind not in ("local", "dask"):
            raise ExecutorError(f"executor {kind!r} is not one of: local, dask")
        if scheduler and kind != "dask":
            raise ExecutorError("a scheduler address only applies to the dask executor (--executor dask)")
        self.kind = kind
        self.workers = workers or default_workers()
        self.progress = progress or SilentProgress()
        self._pool: ProcessPoolExecutor | None = None
        self._client = None
        self._cluster = None
        self._check: ClusterCheck | None = None
        self._late_check: dict[str, Any] | None = None
        if kind == "dask":
            self._start_dask(scheduler, stream)
            if scheduler is not None and requirements is not None:
                self._check = ClusterCheck(self._client, requirements, stream)
                try:
                    self._check.run()
                except BaseException:
                    self.close()
                    raise
                self._late_check = self._check.late_request()

    def _start_dask(self, scheduler: str | None, stream: Any) -> None:
        from distributed import Client

        from curation.executors.local_cluster import start_local_cluster

        try:
            if scheduler is None:
                self._cluster, self._client = start_local_cluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
                )
            elif scheduler.endswith(".json"):
                self._client = Client(scheduler_file=scheduler)
            else:
                self._client = Client(scheduler)
        except (OSError, TimeoutError) as error:
            raise ExecutorError(f"cannot reach the Dask scheduler {scheduler!r}: {error}") from error
        print(f"[curate] dask dashboard: {self._client.dashboard_link}", file=stream or sys.stderr, flush=True)

    def map(
        self,
        label: str,
        jobs: list[MixJob],
        *,
        already_done: int = 0,
        documents=None,
        expected: tuple[type[BaseException], ...] = (),
    ) -> list[Outcome]:
        """Run ``jobs``; one outcome per job, in job order. ``documents(value)`` feeds the progress rate."""
        self.progress.phase(label, len(jobs) + already_done, already_done)
        if not jobs:
            return []
        if self.kind == "dask":
            results = self._dask(jobs, documents, expected)
        elif self.workers <= 1 or len(jobs) == 1:
            results = {}
            for index, job in enumerate(jobs):
                results[index] = run_job(job, expected)
                self._report(results[index], documents)
        else:
            results = self._local(jobs, documents, expected)
        return [
            Outcome(job.key, *((value, None, False) if status == "ok" else (None, value, flag)))
            for job, (status, value, flag) in ((job, results[index]) for index, job in enumerate(jobs))
        ]

    def _report(self, result: tuple[str, Any, bool], documents) -> None:
        status, value, _ = result
        if status == "ok" and documents is not None:
            self.progress.documents(documents(value))
        self.progress.finished(status == "ok")

    def _local(self, jobs: list[MixJob], documents, expected) -> dict[int, tuple[str, Any, bool]]:
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
        results: dict[int, tuple[str, Any, bool]] = {}
        pending = list(range(len(jobs)))
        in_flight: dict[Future, int] = {}
        try:
            while pending or in_flight:
                while pending and len(in_flight) < self.workers * 2:
                    index = pending.pop(0)
                    in_flight[self._pool.submit(run_job, jobs[index], expected)] = index
                done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for future in done:
                    index = in_flight.pop(future)
                    results[index] = future.result()
                    self._report(results[index], documents)
        except BrokenProcessPool as error:
            self._pool = None
            raise ExecutorError(
                "a worker process died (killed, or out of memory); committed files are kept, run the same "
                "command again to continue"
            ) from error
        return results

    def _dask(self, jobs: list[MixJob], documents, expected) -> dict[int, tuple[str, Any, bool]]:
        from distributed import as_completed

        batch = uuid.uuid4().hex[:12]
        futures = {
            self._client.submit(
                run_checked_job, job, expected, self._late_check, key=f"curate-mix-{batch}-{job.key}", pure=False
            ): index
            for index, job in enumerate(jobs)
        }
        results: dict[int, tuple[str, Any, bool]] = {}
        for future in as_completed(list(futures)):
            index = futures[future]
            try:
                results[index] = future.result()
            except Exception as error:  # KilledWorker after the allowed retries, or a lost scheduler
                results[index] = ("error", f"{type(error).__name__}: {error}", False)
            if results[index][0] == "environment_error":
                raise WorkerEnvironmentError(describe_problems([results[index][1]], 1))
            self._report(results[index], documents)
        return results

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        try:
            if self._check is not None:
                self._check.close()
                self._check = None
            if self._client is not None:
                self._client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
        self.progress.close()
