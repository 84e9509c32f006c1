"""Before the first task on a Dask cluster: check that every worker can see and run what the run needs.

A worker started elsewhere (another directory, another machine, a Slurm job, a Kubernetes pod) may not see the
client's files, or may run other versions of the code. Found by the tasks themselves, this ends in a model
loader's traceback or in half the output written where nobody looks. So one check task runs on each worker
first (``probe.check_worker``: packages, the stages' modules, every path the run reads or writes, and a token
handshake through the output folder), and any difference stops the run before anything is done, with one
message that names the worker, the path or package, and what to do. Workers that join later are checked the
same way by their first task.

The check's files live in ``_work/probe/<token>/`` inside the output folder and are removed when the run ends;
nothing is written anywhere else.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import sys
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import cloudpickle

from curation.executors import probe
from curation.executors.runner import RunConfigurationError
from curation.recipe.paths import PathRole, recipe_paths

CHECK_SECONDS = 300.0
"""How long a worker may take to answer the check (it imports the stages' modules, torch among them)."""
MAX_WORKERS_NAMED = 3


class WorkerEnvironmentError(RunConfigurationError):
    """A Dask worker lacks a path, a package or the output folder this run needs; nothing was run."""


@dataclass(frozen=True)
class RequiredPath:
    """A path every worker must see as the client does: ``what`` names it in messages."""

    what: str
    path: str
    role: PathRole
    options: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class WorkerRequirements:
    """What every worker of a run must have: paths (with their roles), the stages' modules, the output folder.

    ``ship_hint``: whether a model missing on a worker can be sent with ``--ship-models`` (``curate run``).
    """

    paths: list[RequiredPath]
    modules: list[tuple[str, str]]
    output: str | None
    output_options: dict[str, Any] = field(default_factory=dict)
    ship_hint: bool = False

    @classmethod
    def for_recipe(
        cls,
        recipe,
        *,
        input_path: str,
        input_options: dict[str, Any],
        shard_path: str | None,
        output_path: str,
        output_options: dict[str, Any],
    ) -> WorkerRequirements:
        """For a recipe whose paths are already absolute (``resolve_recipe_paths``): its input folder and one of
        the shards to be read, the stages' model, read and write paths, and the output folder."""
        paths = [RequiredPath("input", input_path, "read", dict(input_options))]
        if shard_path:
            paths.append(RequiredPath("input shard", shard_path, "read", dict(input_options)))
        for found in recipe_paths(recipe):
            if found.role == "model" and not is_local_model(found.path):
                continue  # a hub id or URL: each worker loads it itself
            paths.append(RequiredPath(f"{found.field} ({found.stage})", found.path, found.role))
        return cls(paths, stage_modules(recipe), output_path, dict(output_options), ship_hint=True)


def is_local_model(path: str) -> bool:
    """A model path on a filesystem (not a hub id, a bundled model's name or a URL), as
    ``absolute_model_location`` leaves it: what a worker must find at the same path."""
    return path.startswith("file://") or os.path.isabs(path)


def stage_modules(recipe) -> list[tuple[str, str]]:
    """(module, stage name) for every stage of the recipe, and its reader and writer when it names them."""
    from curation.recipe.registry import resolve_stage_class

    modules: dict[str, str] = {}
    for spec in recipe.stages:
        cls = type(spec.step) if spec.step is not None else resolve_stage_class(spec.stage)
        modules.setdefault(cls.__module__, spec.display_name)
    for name in (recipe.input.reader, recipe.output.writer):
        if name:
            modules.setdefault(resolve_stage_class(name).__module__, name)
    return list(modules.items())


@contextlib.contextmanager
def _by_value(module: ModuleType):
    """Pickle ``module``'s functions by value (their code travels) rather than by reference (a name to import)."""
    already = module.__name__ in cloudpickle.list_registry_pickle_by_value()
    if not already:
        cloudpickle.register_pickle_by_value(module)
    try:
        yield
    finally:
        if not already:
            cloudpickle.unregister_pickle_by_value(module)


class ClusterCheck:
    """The check of one run on one cluster: ``run`` before the first task, ``late_request`` for the tasks (so
    workers that join later check themselves), ``close`` when the run ends."""

    def __init__(self, client: Any, requirements: WorkerRequirements, stream: Any = None):
        self.client = client
        self.requirements = requirements
        self.stream = stream or sys.stderr
        self.token = uuid.uuid4().hex
        self.folder = f"{probe.PROBE_FOLDER}/{self.token}"
        self.checked: list[str] = []
        self.shipped = None
        self._output = None
        self._request: dict[str, Any] | None = None

    def run(self, *, ship_models: bool = False, ship_limit: int | None = None) -> None:
        """Check every worker; with ``ship_models``, send model folders they lack and check again.

        Raises ``WorkerEnvironmentError`` (and ``ModelShippingError``) before any task of the run.
        """
        workers = self._workers()
        self._request = self._build_request()
        answers = self._check(workers)
        missing_models = sorted(
            {
                problem["subject"]
                for answer in answers
                for problem in answer["problems"]
                if problem["kind"] == "path" and problem.get("role") == "model" and problem.get("missing")
            }
        )
        if ship_models and missing_models:
            from curation.executors.shipping import SHIP_LIMIT_BYTES, ship

            print(
                f"[curate] sending {len(missing_models)} model folder(s) the workers lack: {', '.join(missing_models)}",
                file=self.stream,
                flush=True,
            )
            self.shipped = ship(self.client, missing_models, ship_limit or SHIP_LIMIT_BYTES)
            answers = self._check(workers)
        problems = [answer for answer in answers if answer["problems"]]
        if problems:
            raise WorkerEnvironmentError(
                describe_problems(problems, len(workers), ship_hint=self.requirements.ship_hint and not ship_models)
            )
        self.checked = [answer["address"] for answer in answers]

    def late_request(self) -> dict[str, Any] | None:
        """What a task checks on a worker that was not there for ``run`` (read-only: no answer is written)."""
        if self._request is None:
            return None
        return {**self._request, "reply": None, "checked": list(self.checked), "token": self.token}

    def close(self) -> None:
        """Remove the check's files, and the shipped models from the workers."""
        if self.shipped is not None:
            from curation.executors.shipping import unship

            with contextlib.suppress(Exception):
                unship(self.client, self.shipped)
            self.shipped = None
        if self._output is not None:
            with contextlib.suppress(Exception):
                remove_probe_folder(self._output)

    # ---- steps -------------------------------------------------------------------------------------------

    def _workers(self) -> list[str]:
        workers = list(self.client.scheduler_info()["workers"])
        if not workers:
            print("[curate] waiting for a Dask worker to join the cluster", file=self.stream, flush=True)
            self.client.wait_for_workers(1)
            workers = list(self.client.scheduler_info()["workers"])
        print(f"[curate] checking {len(workers)} Dask worker(s): paths, packages, output folder", file=self.stream)
        return workers

    def _build_request(self) -> dict[str, Any]:
        requirements = self.requirements
        request: dict[str, Any] = {
            "packages": {name: probe.package_state(name) for name in probe.REQUIRED_PACKAGES},
            "modules": [list(pair) for pair in requirements.modules],
            "paths": [
                {
                    "field": required.what,
                    "path": required.path,
                    "role": required.role,
                    "options": required.options,
                    "expected": probe.path_signature(required.path, required.options, listing=required.role == "model"),
                }
                for required in requirements.paths
            ],
            "output": None,
        }
        if requirements.output is not None:
            from datatrove.io import get_datafolder

            self._output = get_datafolder((requirements.output, requirements.output_options))
            remove_probe_folder(self._output)  # a killed run's leftovers
            self._output.makedirs(self.folder, exist_ok=True)
            with self._output.open(f"{self.folder}/{probe.CLIENT_FILE}", "wb") as handle:
                handle.write(json.dumps({"token": self.token}).encode())
            request["output"] = {
                "path": requirements.output,
                "options": requirements.output_options,
                "folder": self.folder,
                "token": self.token,
            }
        return request

    def _check(self, workers: list[str]) -> list[dict[str, Any]]:
        """One check task per worker, pinned to it; the answers (a failed or silent check is a problem too)."""
        from distributed import wait

        futures = {}
        with _by_value(probe):
            for index, address in enumerate(workers):
                request = {**self._request, "reply": f"worker-{index}.json"}
                blob = cloudpickle.dumps(probe.Call(probe.check_worker, request))
                futures[address] = self.client.submit(
                    pickle.loads,
                    blob,
                    key=f"curate-check-{self.token}-{uuid.uuid4().hex[:8]}-{index}",
                    workers=[address],
                    allow_other_workers=False,
                    pure=False,
                )
        with contextlib.suppress(TimeoutError):
            wait(list(futures.values()), timeout=CHECK_SECONDS)
        return [self._answer(index, address, future) for index, (address, future) in enumerate(futures.items())]

    def _answer(self, index: int, address: str, future: Any) -> dict[str, Any]:
        if future.status == "finished":
            answer = future.result()
            answer["address"] = address
            if self._output is not None and not any(p["kind"] == "output" for p in answer["problems"]):
                answer["problems"] += self._read_reply(index)
            return answer
        if future.status == "error":
            error = future.exception()
            detail, reason = "could not run the check", f"{type(error).__name__}: {error}"
        else:
            future.cancel()
            detail, reason = f"did not answer the check within {CHECK_SECONDS:.0f} s", ""
        problem = {"kind": "worker", "subject": "", "detail": detail, "reason": reason}
        return {"address": address, "problems": [problem]}

    def _read_reply(self, index: int) -> list[dict[str, Any]]:
        """The worker's answer file, as the client sees it: missing means the worker wrote somewhere else."""
        path = f"{self.folder}/worker-{index}.json"
        try:
            with self._output.open(path, "rb") as handle:
                seen = handle.read()
        except FileNotFoundError:
            seen = b""
        if self.token.encode() in seen:
            return []
        reason = f"the worker wrote its answer into it ({path}) but the client does not see that file"
        problem = {"kind": "output", "subject": self.requirements.output, "detail": "is not the client's folder"}
        return [{**problem, "reason": reason}]


def remove_probe_folder(output: Any) -> None:
    """Remove ``_work/probe`` from an output ``DataFolder``, and ``_work`` when nothing else is in it."""
    if output.exists(probe.PROBE_FOLDER):
        output.rm(probe.PROBE_FOLDER, recursive=True)
    work = probe.PROBE_FOLDER.split("/")[0]
    with contextlib.suppress(Exception):
        if output.isdir(work) and not output.ls(work):
            output.rm(work, recursive=True)


ADVICE = {
    "package": "Run the workers in the client's environment (the same container image, virtualenv or conda "
    "environment), or install the client's versions there",
    "module": "Install on the workers what the stage needs (the client's environment has it), or run them in the "
    "client's environment",
    "path": "Put it where every worker reads it at the same path (a shared filesystem mounted alike on every "
    "machine), or give an object store URL (s3://, gs://, az://)",
    "output": "Give an output folder every worker sees at the same path: a shared filesystem mounted alike on every "
    "machine, or an object store URL such as s3://bucket/curated",
    "worker": "See that worker's log, or restart it",
}


def describe_problems(answers: list[dict[str, Any]], workers: int, *, ship_hint: bool = False) -> str:
    """One message for every problem the workers reported, identical problems of several workers merged:
    what is wrong, on which workers (address, host, working directory), why, and what to do."""
    grouped: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    problems: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for answer in answers:
        for problem in answer["problems"]:
            key = (problem["kind"], problem["subject"], problem["detail"], problem.get("reason", ""))
            grouped.setdefault(key, []).append(answer)
            problems.setdefault(key, problem)
    lines = [f"the Dask workers cannot run this as they are; nothing was run ({_count(workers, 'worker')} checked):"]
    for key, where in grouped.items():
        problem = problems[key]
        reason = f" ({problem['reason']})" if problem.get("reason") else ""
        subject = _subject(problem)
        lines.append(
            f"  {subject}{' ' if subject else ''}{problem['detail']} on {_workers(where, workers)}{reason}. "
            f"{_advice(problem, ship_hint)}."
        )
    return "\n".join(lines)


def _subject(problem: dict[str, Any]) -> str:
    kind = problem["kind"]
    if kind == "path":
        return f"{problem.get('field') or problem.get('role')} {problem['subject']}"
    if kind == "worker":
        return "the worker"
    names = {"output": "output", "package": "package", "module": "stage"}
    return f"{names.get(kind, kind)} {problem['subject']}"


def _advice(problem: dict[str, Any], ship_hint: bool) -> str:
    advice = ADVICE.get(problem["kind"], ADVICE["worker"])
    if problem["kind"] == "package" and problem.get("client_version"):
        advice += f" (pip install '{problem['subject']}=={problem['client_version']}')"
    if problem["kind"] == "path" and problem.get("role") == "model" and ship_hint and not problem.get("shipped"):
        advice += "; or pass --ship-models to send the model to the workers for this run"
    return advice


def _workers(answers: list[dict[str, Any]], total: int) -> str:
    described = []
    for answer in answers[:MAX_WORKERS_NAMED]:
        where = [f"host {answer['host']}"] if answer.get("host") else []
        if answer.get("cwd"):
            where.append(f"working directory {answer['cwd']}")
        described.append(f"{answer['address']}" + (f" [{', '.join(where)}]" if where else ""))
    more = len(answers) - len(described)
    text = ("worker " if len(answers) == 1 else "workers ") + ", ".join(described)
    if more:
        text += f" and {more} more"
    if len(answers) > 1 and len(answers) == total:
        text += " (all)"
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
