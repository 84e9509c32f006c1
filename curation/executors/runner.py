"""Run a recipe over a shard directory: plan, skip what is complete, execute the phases, summarise.

This is what ``curate run`` and the Python API call. The order of work is decided here once, whichever
executor runs the jobs: per-shard passes over the recipe's segments, with each global stage's waves of
corpus-wide tasks between them (see ``plan``).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from datatrove.io import DataFolder, get_datafolder

from curation.executors.jobs import GlobalJob, JobOutcome, ShardJob, WorkerStartupError
from curation.executors.local import default_workers, local_runner
from curation.executors.plan import (
    WORK_DIR,
    Segment,
    global_workdir,
    segment_folder,
    split_into_segments,
    stage_slug,
    task_marker,
)
from curation.executors.shard_pipeline import RunSettings
from curation.global_stage import GlobalStage
from curation.io.layout import SUMMARY_FILE, OutputLayout
from curation.io.shards import Shard, discover_shards
from curation.recipe.loader import check_recipe
from curation.recipe.model import Recipe
from curation.recipe.registry import build_stage, resolve_stage_class
from curation.report.progress import ProgressReporter, progress_for
from curation.report.stats import ShardResult
from curation.report.summary import build_summary

EXIT_OK = 0
EXIT_FAILED_SHARDS = 1
EXIT_USAGE = 2
EXIT_QUARANTINE_STRICT = 3
STATE_DISCARDED = "_state_discarded.json"
REPORT_SUFFIXES = (".json", ".jsonl")

__all__ = ["RunConfigurationError", "RunReport", "WorkerStartupError", "run_recipe"]


class RunConfigurationError(ValueError):
    """The run cannot start: missing input/output, or an executor that cannot be used."""


@dataclass
class RunReport:
    """What a run did: the summary written to disk, the per-job outcomes, and the exit code."""

    summary: dict[str, Any]
    outcomes: list[JobOutcome] = field(default_factory=list)
    exit_code: int = EXIT_OK

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK


def run_recipe(
    recipe: Recipe,
    *,
    input_path: str | None = None,
    output_path: str | None = None,
    glob: str | None = None,
    workers: int | None = None,
    executor: str | None = None,
    scheduler: str | None = None,
    force: bool = False,
    strict: bool = False,
    progress: str | ProgressReporter = "auto",
) -> RunReport:
    """Run ``recipe``; arguments given here override the recipe's own input/output/executor settings."""
    check_recipe(recipe)
    input_path = input_path or recipe.input.path
    output_path = output_path or recipe.output.path
    if not input_path:
        raise RunConfigurationError("no input directory: pass --input (or input_path=) or set input.path in the recipe")
    if not output_path:
        raise RunConfigurationError(
            "no output directory: pass --output (or output_path=) or set output.path in the recipe"
        )
    if glob is not None:
        recipe = recipe.model_copy(update={"input": recipe.input.model_copy(update={"glob": glob})})
    kind = executor or recipe.executor.kind
    if kind not in ("local", "dask"):
        raise RunConfigurationError(f"executor {kind!r} is not one of: local, dask")
    scheduler = scheduler or recipe.executor.scheduler
    if scheduler and kind != "dask":
        raise RunConfigurationError("a scheduler address only applies to the dask executor (--executor dask)")
    worker_count = workers or recipe.executor.workers or default_workers()

    started_wall = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    input_folder = get_datafolder((input_path, recipe.input.storage_options))
    output_folder = get_datafolder((output_path, recipe.output.storage_options))
    shards = discover_shards(
        input_folder,
        glob=recipe.input.glob,
        fmt=recipe.input.format,
        recursive=recipe.input.recursive,
        exclude=[_relative_inside(output_folder.path, input_folder.path)],
    )
    layout = OutputLayout(output_folder)
    if force and output_folder.exists(WORK_DIR):
        output_folder.rm(WORK_DIR, recursive=True)
    layout.recover()
    completed = set() if force else layout.completed_stems()
    fingerprint = recipe.fingerprint()
    skipped = [shard for shard in shards if shard.stem in completed]
    todo = [shard for shard in shards if shard.stem not in completed]

    settings = RunSettings(
        recipe=recipe,
        input_path=input_path,
        output_path=output_path,
        world_size=len(shards),
        fingerprint=fingerprint,
        input_storage_options=recipe.input.storage_options,
        output_storage_options=recipe.output.storage_options,
    )
    reporter = progress_for(progress) if isinstance(progress, str) else progress
    phases = _Phases(recipe, settings, output_folder, shards, todo)
    outcomes: list[JobOutcome] = []
    try:
        if todo:
            runner = _make_runner(kind, settings, worker_count, reporter, scheduler)
            try:
                outcomes = phases.run(runner, reporter)
            finally:
                _close_quietly(runner)
    finally:
        reporter.close()

    results: list[ShardResult] = []
    stale = 0
    for shard in skipped:
        marker = layout.read_marker(shard.stem)
        if marker is None:
            continue
        stale += marker.get("recipe_fingerprint") != fingerprint
        results.append(ShardResult.from_dict(marker["result"]))
    final_outcomes = [o for o in outcomes if isinstance(o.job, ShardJob) and o.job.segment == phases.last_segment]
    processed_now = [ShardResult.from_dict(o.marker["result"]) for o in final_outcomes if o.ok]
    results += processed_now
    failures = [_failure(o) for o in outcomes if not o.ok]
    if phases.stopped_before_output and not failures:
        failures.append({"source": "", "stem": "", "attempts": 0, "error": phases.stopped_before_output})
    summary = build_summary(
        recipe_name=recipe.name,
        fingerprint=fingerprint,
        input_path=input_path,
        output_path=output_path,
        executor={"kind": kind, "workers": worker_count, "scheduler": scheduler},
        started_at=started_at,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        wall_seconds=time.perf_counter() - started_wall,
        total_shards=len(shards),
        skipped=len(skipped),
        stale=stale,
        results=sorted(results, key=lambda r: r.source),
        processed_now=processed_now,
        failures=failures,
    )
    summary["global_stages"] = phases.global_report
    layout.write_json_atomically(SUMMARY_FILE, summary)
    if not failures and len(results) == len(shards):
        phases.discard_intermediates()
        layout.discard_all_staging()  # every job has ended: leftovers are dead attempts (killed workers)
    layout.remove_empty_staging()
    exit_code = EXIT_OK
    if failures:
        exit_code = EXIT_FAILED_SHARDS
    elif strict and summary["totals"]["quarantined"]:
        exit_code = EXIT_QUARANTINE_STRICT
    return RunReport(summary, outcomes, exit_code)


class _Phases:
    """The run's phases in order: one shard pass per segment, global waves after each collecting segment."""

    def __init__(
        self, recipe: Recipe, settings: RunSettings, output: DataFolder, shards: list[Shard], todo: list[Shard]
    ):
        self.recipe = recipe
        self.settings = settings
        self.output = output
        self.shards = shards
        self.todo = todo
        global_positions = [position for position, spec in enumerate(recipe.stages) if _is_global(spec)]
        self.segments = split_into_segments([p in global_positions for p in range(len(recipe.stages))])
        self.last_segment = self.segments[-1].index
        self.stopped_before_output: str | None = None
        self.global_report: dict[str, dict[str, Any]] = {}

    def run(self, runner, reporter: ProgressReporter) -> list[JobOutcome]:
        outcomes: list[JobOutcome] = []
        for segment in self.segments:
            shard_outcomes = self._shard_pass(segment, runner, reporter)
            outcomes += shard_outcomes
            if segment.last:
                break
            if any(not o.ok for o in shard_outcomes):
                self.stopped_before_output = "shards failed before a global stage; fix them and run again"
                break
            task_outcomes = self._global_waves(segment.collect_global, runner, reporter)
            outcomes += task_outcomes
            if any(not o.ok for o in task_outcomes):
                self.stopped_before_output = "a global task failed; run again to resume from it"
                break
        return outcomes

    def _shard_pass(self, segment: Segment, runner, reporter: ProgressReporter) -> list[JobOutcome]:
        if segment.last:
            pending = self.todo
        else:
            done = OutputLayout(segment_folder(self.output, segment.index))
            done.recover()
            finished = done.completed_stems()
            pending = [shard for shard in self.todo if shard.stem not in finished]
        label = "shards" if len(self.segments) == 1 else f"pass {segment.index + 1}/{len(self.segments)}"
        reporter.phase(label, len(self.todo), len(self.todo) - len(pending))
        return runner.run([ShardJob(shard, segment.index) for shard in pending])

    def _global_waves(self, position: int, runner, reporter: ProgressReporter) -> list[JobOutcome]:
        stage = self._instance(position)
        slug = stage_slug(position, stage)
        workdir = global_workdir(self.output, position, stage)
        stems = [shard.stem for shard in self.shards]
        self._check_same_corpus(slug, stems)
        self._check_state_kept(slug)
        started = time.perf_counter()
        outcomes: list[JobOutcome] = []
        waves = stage.global_waves(workdir, stems)
        for number, wave in enumerate(waves, start=1):
            pending = [task for task in wave if not self.output.exists(task_marker(slug, task.key))]
            reporter.phase(
                f"{self.recipe.stages[position].display_name} wave {number}/{len(waves)}",
                len(wave),
                len(wave) - len(pending),
            )
            wave_outcomes = runner.run([GlobalJob(position, task) for task in pending])
            outcomes += wave_outcomes
            if any(not o.ok for o in wave_outcomes):
                break
        self.global_report[self.recipe.stages[position].display_name] = {
            "waves": len(waves),
            "tasks": sum(len(wave) for wave in waves),
            "tasks_run_now": len(outcomes),
            "seconds": round(time.perf_counter() - started, 3),
            "task_seconds": round(sum(o.seconds for o in outcomes), 3),
            "workdir": workdir.path,
        }
        return outcomes

    def _check_same_corpus(self, slug: str, stems: list[str]) -> None:
        """Global results computed over one set of shards must not be reused for another."""
        path = f"{WORK_DIR}/tasks/{slug}/_corpus.json"
        if self.output.exists(path):
            with self.output.open(path, "rb") as handle:
                previous = orjson.loads(handle.read())
            if previous != stems:
                raise RunConfigurationError(
                    "the input shards differ from those this output directory's global stages were computed over; "
                    "use --force, a new output directory, or a persistent index for incremental runs"
                )
            return
        OutputLayout(self.output).write_json_atomically(path, stems)

    def _instance(self, position: int) -> GlobalStage:
        spec = self.recipe.stages[position]
        stage = spec.step if spec.step is not None else build_stage(spec.stage, spec.params)
        assert isinstance(stage, GlobalStage)
        return stage

    def discard_intermediates(self) -> None:
        """Once every shard is complete, intermediate shards and the global stages' working state (signatures,
        buckets, decisions) have no further use: they double the disk use, and readers of the output folder
        (``OUT/**/*.parquet`` in DuckDB or Polars) must find the curated shards only. Reports the stages leave
        (``*.json``, ``*.jsonl``, e.g. the lists of removed duplicates) stay; a persistent index is not touched.
        A later run that would need the discarded state (a shard redone after its marker was deleted) is
        refused with a message instead (``_check_state_kept``).
        """
        folder = f"{WORK_DIR}/segments"
        if self.output.exists(folder):
            self.output.rm(folder, recursive=True)
        for position, spec in enumerate(self.recipe.stages):
            if not _is_global(spec):
                continue
            stage = self._instance(position)
            if stage.external_workdir():
                continue
            slug = stage_slug(position, stage)
            state = f"{WORK_DIR}/stages/{slug}"
            if self.output.exists(state):
                _remove_all_but_reports(self.output, state)
            tasks = f"{WORK_DIR}/tasks/{slug}"
            if self.output.exists(tasks):
                for path in self.output.find(tasks):
                    if path.endswith(".done"):
                        self.output.rm(path)
            OutputLayout(self.output).write_json_atomically(f"{tasks}/{STATE_DISCARDED}", {"state": state})

    def _check_state_kept(self, slug: str) -> None:
        if self.output.exists(f"{WORK_DIR}/tasks/{slug}/{STATE_DISCARDED}"):
            raise RunConfigurationError(
                "this output folder's run completed and its global stages' working state was removed; shards "
                "missing from it now can only be redone with the whole corpus: use --force (or a new output "
                "folder, or a persistent index for incremental runs)"
            )


def _make_runner(kind: str, settings: RunSettings, workers: int, reporter: ProgressReporter, scheduler: str | None):
    if kind == "dask":
        from curation.executors.dask import DaskRunner

        return DaskRunner(settings, reporter, scheduler=scheduler, workers=workers)
    return local_runner(settings, workers, reporter)


def _close_quietly(runner) -> None:
    """Closing a runner whose cluster is already gone must not hide the error that ended the run."""
    with contextlib.suppress(Exception):
        runner.close()


def _is_global(spec) -> bool:
    if spec.step is not None:
        return isinstance(spec.step, GlobalStage)
    return issubclass(resolve_stage_class(spec.stage), GlobalStage)


def _failure(outcome: JobOutcome) -> dict[str, Any]:
    if isinstance(outcome.job, ShardJob):
        return {
            "source": outcome.job.shard.path,
            "stem": outcome.job.shard.stem,
            "attempts": outcome.attempts,
            "error": outcome.error,
        }
    return {"source": outcome.job.label, "stem": "", "attempts": outcome.attempts, "error": outcome.error}


def _remove_all_but_reports(folder: DataFolder, path: str) -> None:
    """Delete every file under ``path`` except JSON and JSON Lines reports, then the folders left empty."""
    for file in folder.find(path):
        if not file.endswith(REPORT_SUFFIXES):
            folder.rm(file)
    directories = [d for d in folder.find(path, withdirs=True) if folder.isdir(d)]
    for directory in sorted(directories, key=lambda d: d.count("/"), reverse=True):
        if not folder.ls(directory):
            folder.rm(directory, recursive=True)


def _relative_inside(child: str, parent: str) -> str:
    """``child`` relative to ``parent`` when it lies inside it (an output dir inside the input dir), else ''."""
    parent = parent.rstrip("/") + "/"
    return child[len(parent) :] if child.startswith(parent) else ""
