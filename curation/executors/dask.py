"""The Dask executor: the same jobs as the local executor, on a ``dask.distributed`` cluster.

Without a scheduler address it starts an embedded ``LocalCluster`` (one single-threaded worker process per
core; ``LocalCUDACluster`` with one worker per GPU when dask-cuda and GPUs are present). With
``--scheduler tcp://host:8786`` or a scheduler file it joins an existing cluster.

- One Dask task per job: a shard through one segment, or one global task (one per band partition for
  deduplication), so the cluster parallelises global steps too.
- Each worker builds the pipeline once per run and keeps it on the worker object, so a model loads once
  per worker, not per task.
- A job whose stages declare ``resources = {"GPU": 1}`` is submitted with that resource, so each GPU
  worker runs one at a time (workers started with ``--resources GPU=1``). If no worker advertises the
  resource the request is dropped with a warning instead of waiting forever.
- A worker killed mid-task: the scheduler reruns the task elsewhere (up to
  ``distributed.scheduler.allowed-failures`` times). The commit protocol makes the retry safe: the dead
  attempt's staging is never visible and the retry's commit replaces any half-moved file.
- Losing the scheduler raises ``ClusterLostError``; committed shards and finished tasks keep their
  markers, so the same command continues from there.
- On a cluster it joins, one check task per worker runs first (``cluster_check``): the run's paths, the
  client's package versions, the output folder seen by both sides. A difference stops the run with
  ``WorkerEnvironmentError`` before any task; with ``ship_models``, model folders only the client has are sent
  to the workers instead (``shipping``).
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

import cloudpickle

from curation.executors.cluster_check import ClusterCheck, WorkerEnvironmentError, WorkerRequirements, describe_problems
from curation.executors.jobs import GlobalJob, Job, JobOutcome, ShardJob, WorkerStartupError, execute_job
from curation.executors.local_cluster import quiet_worker_logs, restore_log_levels, start_local_cluster
from curation.executors.plan import split_into_segments
from curation.executors.probe import SHIPPED_MODELS_ATTRIBUTE, check_worker
from curation.executors.runner import RunConfigurationError
from curation.executors.shard_pipeline import RunSettings, ShardPipeline
from curation.recipe.paths import replace_paths
from curation.recipe.registry import resolve_stage_class
from curation.report.progress import ProgressReporter

GPU_RESOURCE = "GPU"


class ClusterLostError(RuntimeError):
    """The connection to the Dask scheduler was lost; what was committed stays committed."""


class SchedulerUnreachableError(RunConfigurationError):
    """The Dask scheduler given with ``--scheduler`` cannot be reached; nothing was run."""


PROBE_SECONDS = 5.0
"""How long to wait for a TCP connection to the scheduler's port before saying it cannot be reached."""
CONNECT_SECONDS = 20.0
"""How long the Dask client may take to complete its handshake once the port answers."""


def connect(scheduler: str, stream: Any) -> Any:
    """A ``Client`` on the scheduler at ``scheduler`` (an address, or a scheduler file ``.json``).

    Says at once what it is connecting to, and fails in seconds with ``SchedulerUnreachableError`` when
    nothing answers (Dask's own client would retry silently for its whole connect timeout).
    """
    from distributed import Client

    print(f"[curate] connecting to the Dask scheduler at {scheduler}", file=stream, flush=True)
    if scheduler.endswith(".json"):
        if not Path(scheduler).is_file():
            raise SchedulerUnreachableError(
                f"scheduler file {scheduler!r} does not exist; start the scheduler with "
                f"`dask scheduler --scheduler-file {scheduler}`, or give its address (tcp://host:8786)"
            )
        try:
            address = json.loads(Path(scheduler).read_text(encoding="utf-8"))["address"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            message = f"scheduler file {scheduler!r} holds no scheduler address: {error}"
            raise SchedulerUnreachableError(message) from None
    else:
        address = scheduler
    _probe(address, scheduler)
    try:
        return Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as error:
        raise SchedulerUnreachableError(
            f"cannot connect to the Dask scheduler at {scheduler}: {type(error).__name__}: {error}"
        ) from None


def _probe(address: str, given: str) -> None:
    """Try the scheduler's TCP port (tcp:// addresses only): refused or silent is an error in seconds."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
    except ValueError as error:
        raise SchedulerUnreachableError(f"{given!r} is not a Dask scheduler address: {error}") from None
    if scheme != "tcp":
        return
    try:
        host, port = parse_host_port(location, 8786)
    except ValueError as error:
        raise SchedulerUnreachableError(f"{given!r} is not a Dask scheduler address: {error}") from None
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS):
            pass
    except OSError as error:
        reason = "no answer" if isinstance(error, TimeoutError) else (error.strerror or str(error))
        raise SchedulerUnreachableError(
            f"cannot reach the Dask scheduler at {given} ({reason}); start it (`dask scheduler`) or check the "
            "address, or leave out --scheduler to run on an embedded LocalCluster"
        ) from None


class DaskRunner:
    """Runs jobs on a Dask cluster (embedded ``LocalCluster`` unless a scheduler is given)."""

    def __init__(
        self,
        settings: RunSettings,
        progress: ProgressReporter,
        *,
        scheduler: str | None = None,
        workers: int | None = None,
        stream: Any = None,
        requirements: WorkerRequirements | None = None,
        ship_models: bool = False,
        ship_models_limit: int | None = None,
    ):
        """``requirements``: what the workers of a cluster joined with ``scheduler`` must see and have, checked
        before the first task (the embedded cluster's workers are this machine's, in this directory).
        ``ship_models``: send model folders the workers lack, up to ``ship_models_limit`` bytes together."""
        self.settings = settings
        self.progress = progress
        self.payload = cloudpickle.dumps(settings)
        self.payload_key = hashlib.sha1(self.payload).hexdigest()[:16] + uuid.uuid4().hex[:8]
        self.cluster = None
        self.check: ClusterCheck | None = None
        self.late_check: dict[str, Any] | None = None
        self._futures: list[Any] = []
        self._log_levels: dict[str, int] = {}
        if scheduler is None:
            self.cluster, self.client = _embedded_cluster(workers)
        else:
            self.client = connect(scheduler, stream or sys.stderr)
        print(f"[curate] dask dashboard: {self.client.dashboard_link}", file=stream or sys.stderr, flush=True)
        if requirements is not None and scheduler is not None:
            self.check = ClusterCheck(self.client, requirements, stream)
            try:
                self.check.run(ship_models=ship_models, ship_limit=ship_models_limit)
            except BaseException:
                self.close()
                raise
            self.late_check = self.check.late_request()
        stage_resources = [_declared_resources(spec) for spec in settings.recipe.stages]
        self.stage_resources = stage_resources
        self.segment_resources = [
            _merge([stage_resources[p] for p in _positions(segment)])
            for segment in split_into_segments([_is_global(spec) for spec in settings.recipe.stages])
        ]

    def _resources_for(self, job: Job, available: set[str]) -> dict[str, float] | None:
        """The resources a job needs: those its segment's (or its global stage's) stages declare."""
        if isinstance(job, GlobalJob):
            wanted = self.stage_resources[job.position]
        else:
            wanted = self.segment_resources[job.segment]
        missing = set(wanted) - available
        if missing:
            print(f"[curate] no Dask worker offers {sorted(missing)}; running without them", file=sys.stderr)
        return {name: amount for name, amount in wanted.items() if name in available} or None

    def run(self, jobs: list[Job]) -> list[JobOutcome]:
        from distributed import as_completed

        outcomes: list[JobOutcome] = []
        futures = {}
        try:
            available: set[str] = set()
            workers_per_host: dict[str, int] = {}
            for info in self.client.scheduler_info()["workers"].values():
                available |= set(info.get("resources", {}))
                host = info.get("host", "")
                workers_per_host[host] = workers_per_host.get(host, 0) + 1
            for job in jobs:
                future = self.client.submit(
                    _run_on_worker,
                    self.payload_key,
                    self.payload,
                    workers_per_host,
                    cloudpickle.dumps(job),  # opaque to the scheduler, which need not have curation installed
                    self.late_check,
                    key=f"curate-{self.payload_key}-{_job_key(job)}",
                    resources=self._resources_for(job, available),
                    pure=False,
                )
                futures[future] = job
                self._futures.append(future)
            for future in as_completed(list(futures)):
                job = futures[future]
                try:
                    status, value, seconds = future.result()
                except Exception as error:  # KilledWorker after allowed-failures, or a lost connection
                    if _is_connection_loss(error):
                        raise
                    outcomes.append(JobOutcome(job, error=f"{type(error).__name__}: {error}"))
                    self.progress.finished(False)
                    continue
                if status == "startup_error":
                    raise WorkerStartupError.from_worker_traceback(value)
                if status == "environment_error":
                    raise WorkerEnvironmentError(describe_problems([value], 1, ship_hint=True))
                ok = status == "ok"
                outcomes.append(JobOutcome(job, value if ok else None, None if ok else value, 1, seconds))
                if ok and isinstance(job, ShardJob) and value:
                    self.progress.documents(value["result"]["records_in"])
                self.progress.finished(ok)
        except Exception as error:
            if _is_connection_loss(error):
                raise ClusterLostError(
                    f"lost the Dask scheduler ({type(error).__name__}: {error}); completed shards are committed, "
                    "run the same command again to continue"
                ) from error
            raise
        return outcomes

    def terminate(self) -> None:
        """Ctrl-C: cancel the run's tasks (a shard half done leaves only staging, which the next run discards)."""
        if self.cluster is not None:
            self._log_levels = quiet_worker_logs(self.client)
        if self._futures:
            self.client.cancel(self._futures, force=True)

    def close(self) -> None:
        try:
            if self.check is not None:
                self.check.close()
                self.check = None
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
            restore_log_levels(self._log_levels)


def _embedded_cluster(workers: int | None) -> tuple[Any, Any]:
    """LocalCluster with single-threaded worker processes (or LocalCUDACluster, one worker per GPU), and a
    client on it (``local_cluster.start_local_cluster``)."""
    try:
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        gpus = 0
    if gpus:
        try:
            import dask_cuda  # noqa: F401

            return start_local_cluster(cuda=True, resources={GPU_RESOURCE: 1}, dashboard_address=":0")
        except ImportError:
            pass
    from curation.executors.local import default_workers

    count = workers or default_workers()
    return start_local_cluster(
        n_workers=count,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        resources={GPU_RESOURCE: 1} if gpus else None,
    )


def _declared_resources(spec) -> dict[str, float]:
    """What a Dask worker must offer to run a stage: a class-level ``resources`` such as ``{"GPU": 1}``, or,
    where the needs depend on the parameters (a fastText model needs no GPU), ``resources_for(params)`` on
    the class of a named stage and ``declared_resources()`` on a step instance."""
    if spec.step is not None:
        declare = getattr(spec.step, "declared_resources", None)
        resources = declare() if callable(declare) else getattr(spec.step, "resources", None)
    else:
        stage = resolve_stage_class(spec.stage)
        resources_for = getattr(stage, "resources_for", None)
        resources = resources_for(dict(spec.params)) if callable(resources_for) else getattr(stage, "resources", None)
    return dict(resources) if isinstance(resources, dict) else {}


def _positions(segment) -> list[int]:
    extra = [p for p in (segment.apply_global, segment.collect_global) if p is not None]
    return [*segment.plain, *extra]


def _merge(resource_sets: list[dict[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for resources in resource_sets:
        for name, amount in resources.items():
            merged[name] = max(merged.get(name, 0.0), amount)
    return merged


def _is_global(spec) -> bool:
    from curation.global_stage import GlobalStage

    stage = spec.step if spec.step is not None else resolve_stage_class(spec.stage)
    return isinstance(stage, GlobalStage) or (isinstance(stage, type) and issubclass(stage, GlobalStage))


def _job_key(job: Job) -> str:
    if isinstance(job, ShardJob):
        return f"s{job.segment}-{job.shard.index}"
    return f"g{job.position}-{job.task.key}"


def _is_connection_loss(error: BaseException) -> bool:
    """Errors that mean the scheduler is gone (task errors come back as values, not exceptions)."""
    from distributed.comm.core import CommClosedError

    if isinstance(error, (CommClosedError, ConnectionError, TimeoutError, OSError)):
        return True
    return "connection-lost" in str(error) or "lost the connection to the scheduler" in str(error)


def _run_on_worker(
    payload_key: str,
    payload: bytes,
    workers_per_host: dict[str, int],
    job_bytes: bytes,
    check: dict[str, Any] | None = None,
) -> tuple[str, Any, float]:
    """Runs on a Dask worker: build (once per worker and run) the pipeline, then execute the job.

    ``check``: the run's worker check, run here first by a worker that joined after the run's start.
    """
    import os

    from distributed import get_worker

    from curation.executors.local import WORKERS_ENV

    worker = get_worker()
    os.environ[WORKERS_ENV] = str(max(1, workers_per_host.get(worker.ip, 1)))
    cache: dict[str, Any] = worker.__dict__.setdefault("_curation_pipelines", {})
    if payload_key not in cache:
        if check is not None and worker.address not in check["checked"]:
            answer = check_worker(check)
            if answer["problems"]:
                return "environment_error", answer, 0.0
        try:
            cache.clear()  # one run's pipeline at a time per worker: release the previous run's models
            settings: RunSettings = cloudpickle.loads(payload)
            shipped = getattr(worker, SHIPPED_MODELS_ATTRIBUTE, None)
            if shipped:
                settings.recipe = replace_paths(settings.recipe, shipped)
            cache[payload_key] = ShardPipeline(settings)
        except Exception:
            import traceback

            return "startup_error", traceback.format_exc(), 0.0
    return execute_job(cache[payload_key], cloudpickle.loads(job_bytes), None)
