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
from datatrove.io import DataFolder

from curation.executors.jobs import GlobalJob, JobOutcome, ShardJob, WorkerStartupError
from curation.executors.local import SPAWN_BOOTSTRAP_EXIT, default_workers, local_runner
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
from curation.global_stage import GlobalStage, GlobalTask
from curation.io.layout import SUMMARY_FILE, OutputLayout
from curation.io.locations import LocationError, absolute_location, resolve_input, resolve_output
from curation.io.shards import Shard, discover_shards, single_file_shard
from curation.recipe.loader import check_model_paths, check_recipe, recipe_source
from curation.recipe.model import Recipe
from curation.recipe.paths import resolve_recipe_paths
from curation.recipe.registry import build_stage, resolve_stage_class
from curation.report.diagnosis import run_warnings
from curation.report.progress import ProgressReporter, progress_for
from curation.report.stats import ShardResult
from curation.report.summary import build_summary

EXIT_OK = 0
EXIT_FAILED_SHARDS = 1
EXIT_USAGE = 2
EXIT_QUARANTINE_STRICT = 3
STATE_DISCARDED = "_state_discarded.json"
REPORT_SUFFIXES = (".json", ".jsonl")

__all__ = [
    "RecipeChangedError",
    "RunConfigurationError",
    "RunInterrupted",
    "RunReport",
    "WorkerStartupError",
    "run_recipe",
]


class RunConfigurationError(ValueError):
    """The run cannot start: missing input/output, or an executor that cannot be used."""


class RecipeChangedError(RunConfigurationError):
    """The output folder holds shards completed by another recipe; nothing was run."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped the run; committed shards stay committed and a rerun resumes from them."""

    def __init__(self, done: int, total: int):
        self.done = done
        self.total = total
        super().__init__(
            f"interrupted; {done} of {total} shard{'s' if total != 1 else ''} done; rerun the same command to resume"
        )


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
    ship_models: bool = False,
    ship_models_limit: int | None = None,
) -> RunReport:
    """Run ``recipe``; arguments given here override the recipe's own input/output/executor settings.

    ``input_path`` is a folder of shards or a single file. Every local path (input, output, the stages' model
    folders, indexes, evaluation files, ...) is made absolute in this process's working directory before the
    recipe reaches a worker, so workers in other directories use the same files (``curation.recipe.paths``).
    On a Dask cluster joined with ``scheduler``, each worker is checked first (``cluster_check``);
    ``ship_models`` sends the model folders they lack (at most ``ship_models_limit`` bytes, 1 GiB by default).

    Raises ``RecipeError`` (invalid recipe, missing model folder), ``RunConfigurationError`` (missing or
    unusable input/output, a bad worker count, an output folder holding shards of another recipe:
    ``RecipeChangedError``, workers that lack what the run needs: ``WorkerEnvironmentError``),
    ``ShardDiscoveryError``, ``WorkerStartupError`` (a stage cannot be built) and ``RunInterrupted`` (Ctrl-C),
    all before or instead of any partial output.
    """
    exit_if_spawn_bootstrap()
    check_recipe(recipe, recipe_source(recipe))
    check_model_paths(recipe)
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
    if workers is not None and workers < 1:
        raise RunConfigurationError(f"the number of workers must be at least 1 (got {workers})")
    worker_count = workers or recipe.executor.workers or default_workers()

    started_wall = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        source = resolve_input(input_path, recipe.input.storage_options)
        output_folder = resolve_output(output_path, recipe.output.storage_options)
    except LocationError as error:
        raise RunConfigurationError(str(error)) from None
    input_folder = source.folder
    input_location = absolute_location(input_path)
    if source.single_file is not None:
        if recipe.input.glob:
            raise RunConfigurationError(
                f"input {input_path!r} is a single file; a glob ({recipe.input.glob!r}) selects files in a folder"
            )
        shards = single_file_shard(source.single_file, recipe.input.format)
        input_path = input_folder.path
        input_location = input_location.rstrip("/").rpartition("/")[0] or "/"
    else:
        shards = discover_shards(
            input_folder,
            glob=recipe.input.glob,
            fmt=recipe.input.format,
            recursive=recipe.input.recursive,
            exclude=[_relative_inside(output_folder.path, input_folder.path)],
        )
    located = resolve_recipe_paths(recipe)
    output_location = absolute_location(output_path)
    layout = OutputLayout(output_folder)
    if force and output_folder.exists(WORK_DIR):
        output_folder.rm(WORK_DIR, recursive=True)
    layout.recover()
    fingerprint = recipe.fingerprint()
    markers = _read_markers(layout)
    selected = {shard.stem for shard in shards}
    _check_same_recipe(recipe, output_folder, output_path, markers, force)
    completed = set() if force else set(markers)
    skipped = [shard for shard in shards if shard.stem in completed]
    todo = [shard for shard in shards if shard.stem not in completed]

    settings = RunSettings(
        recipe=located,
        input_path=input_location,
        output_path=output_location,
        world_size=len(shards),
        fingerprint=fingerprint,
        recipe_identity=recipe.identity(),
        input_storage_options=recipe.input.storage_options,
        output_storage_options=recipe.output.storage_options,
    )
    reporter = progress_for(progress) if isinstance(progress, str) else progress
    phases = _Phases(located, settings, output_folder, shards, todo)
    outcomes: list[JobOutcome] = []
    try:
        if todo or phases.finalize_pending():
            requirements = None
            if kind == "dask" and scheduler:
                requirements = _worker_requirements(settings, (todo or shards or [None])[0])
            with _model_processes(kind, recipe):
                runner = _make_runner(
                    kind, settings, worker_count, reporter, scheduler, requirements, ship_models, ship_models_limit
                )
                try:
                    outcomes = phases.run(runner, reporter)
                except KeyboardInterrupt:
                    _stop_now(runner)
                    raise
                finally:
                    _close_quietly(runner)
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            layout.remove_empty_staging()  # what killed workers left is discarded by the next run
        done = len(selected & layout.completed_stems())
        raise RunInterrupted(done, len(shards)) from None
    finally:
        reporter.close()

    final_outcomes = [o for o in outcomes if isinstance(o.job, ShardJob) and o.job.segment == phases.last_segment]
    processed_now = [ShardResult.from_dict(o.marker["result"]) for o in final_outcomes if o.ok]
    counted = {stem: marker for stem, marker in markers.items() if marker.get("recipe_fingerprint") == fingerprint}
    counted.update({result.stem: {"result": result.to_dict()} for result in processed_now})
    results = [ShardResult.from_dict(marker["result"]) for marker in counted.values()]
    other_recipe = sorted(set(markers) - set(counted))
    failures = [_failure(o) for o in outcomes if not o.ok]
    if phases.stopped_before_output and not failures:
        failures.append({"source": "", "stem": "", "attempts": 0, "error": phases.stopped_before_output})
    summary = build_summary(
        recipe_name=recipe.name,
        fingerprint=fingerprint,
        input_path=input_path if source.single_file is None else f"{input_folder.path}/{source.single_file}",
        output_path=output_path,
        executor={"kind": kind, "workers": worker_count, "scheduler": scheduler},
        started_at=started_at,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        wall_seconds=time.perf_counter() - started_wall,
        total_shards=len(shards),
        skipped=len(skipped),
        stale=len(other_recipe),
        results=sorted(results, key=lambda r: r.source),
        processed_now=processed_now,
        failures=failures,
        completed_selected=len(selected & set(counted)),
    )
    summary["global_stages"] = phases.global_report
    summary["warnings"] = run_warnings(summary, output_folder, other_recipe)
    layout.write_json_atomically(SUMMARY_FILE, summary)
    if not failures and selected <= set(counted):
        phases.discard_intermediates()
        layout.discard_all_staging()  # every job has ended: leftovers are dead attempts (killed workers)
    layout.remove_empty_staging()
    exit_code = EXIT_OK
    if failures:
        exit_code = EXIT_FAILED_SHARDS
    elif strict and summary["totals"]["quarantined"]:
        exit_code = EXIT_QUARANTINE_STRICT
    return RunReport(summary, outcomes, exit_code)


def _read_markers(layout: OutputLayout) -> dict[str, dict[str, Any]]:
    """Every completion marker in an output folder, by shard stem."""
    markers = {}
    for stem in sorted(layout.completed_stems()):
        marker = layout.read_marker(stem)
        if marker is not None:
            markers[stem] = marker
    return markers


def _check_same_recipe(
    recipe: Recipe, output: DataFolder, output_path: str, markers: dict[str, dict[str, Any]], force: bool
) -> None:
    """Stop before any work when the output folder holds shards (or intermediate shards) of another recipe.

    Reusing them would mix two recipes' output in one folder and one summary. With ``force`` the selected
    shards are redone; completed shards of another recipe outside the selection are left alone and kept out
    of the summary (with a warning).
    """
    if force:
        return
    fingerprint = recipe.fingerprint()
    other = {stem: marker for stem, marker in markers.items() if marker.get("recipe_fingerprint") != fingerprint}
    intermediate = 0
    if output.exists(f"{WORK_DIR}/segments"):
        for index in range(len(split_into_segments([_is_global(spec) for spec in recipe.stages])) - 1):
            for stem, marker in _read_markers(OutputLayout(segment_folder(output, index))).items():
                if marker.get("recipe_fingerprint") != fingerprint:
                    other.setdefault(stem, marker)
                    intermediate += 1
    if not other:
        return
    example_stem, example = next(iter(sorted(other.items())))
    differences = describe_recipe_change(example.get("recipe_identity"), recipe.identity())
    what = f"{len(other)} shard{'s' if len(other) != 1 else ''}"
    if intermediate:
        what += f" ({intermediate} of them half-way through the recipe's phases)"
    raise RecipeChangedError(
        f"the output folder {output_path!r} holds {what} completed by a different recipe "
        f"(e.g. {example_stem!r}; recipe fingerprint {example.get('recipe_fingerprint')} there, "
        f"{fingerprint} now{differences}); nothing was run. Rerun with --force to redo them with this recipe, "
        "or write to a new output folder (--output)"
    )


def describe_recipe_change(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """``; changed: stages [a, b] -> [a, c], input.text_field 'text' -> 'body'`` from two ``Recipe.identity()``."""
    if not isinstance(before, dict):
        return ""
    changes = []
    old_stages, new_stages = before.get("stages", []), after.get("stages", [])
    old_names, new_names = [_stage_name(s) for s in old_stages], [_stage_name(s) for s in new_stages]
    if old_names != new_names:
        changes.append(f"stages [{', '.join(old_names)}] -> [{', '.join(new_names)}]")
    else:
        old_flat, new_flat = _flatten({"stages": old_stages}), _flatten({"stages": new_stages})
        changes += _differences(old_flat, new_flat)
    for section in ("input", "output"):
        changes += _differences(
            _flatten({section: before.get(section, {})}), _flatten({section: after.get(section, {})})
        )
    if not changes:
        return ""
    more = f" and {len(changes) - 4} more" if len(changes) > 4 else ""
    return "; changed: " + ", ".join(changes[:4]) + more


def _stage_name(stage: Any) -> str:
    if isinstance(stage, dict):
        name = stage.get("stage") or stage.get("step") or "?"
        return str(name).replace(":", ".").rsplit(".", 1)[-1]
    return "?"


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    absent = "(unset)"
    keys = sorted(old.keys() | new.keys())
    return [
        f"{key} {old.get(key, absent)!r} -> {new.get(key, absent)!r}" for key in keys if old.get(key) != new.get(key)
    ]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        items: dict[str, Any] = {}
        for key, item in value.items():
            items |= _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return items
    if isinstance(value, list) and prefix == "stages":
        items = {}
        for index, item in enumerate(value):
            items |= _flatten(item, f"{prefix}[{index}]")
        return items
    return {prefix: value}


def exit_if_spawn_bootstrap() -> None:
    """In a worker process that is importing the user's script (``spawn`` re-runs a script's top level when it
    has no ``if __name__ == "__main__":`` guard), leave quietly instead of starting a second run.

    The parent notices that its workers exit before they are ready and says what to add to the script.
    """
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        from curation.executors.local_cluster import mark_spawn_bootstrap

        mark_spawn_bootstrap()  # a Dask worker: the starting cluster says what to add to the script
        raise SystemExit(SPAWN_BOOTSTRAP_EXIT)


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
        if not self.todo:
            return self._finalize(runner, reporter)
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
        if not self.stopped_before_output and all(o.ok for o in outcomes):
            outcomes += self._finalize(runner, reporter)
        return outcomes

    def _pending_finalize_waves(self) -> list[tuple[int, list[list[GlobalTask]]]]:
        """(position, waves) of each global stage whose finalize waves have a task without a marker."""
        stems = [shard.stem for shard in self.shards]
        pending = []
        for position, spec in enumerate(self.recipe.stages):
            if not _is_global(spec):
                continue
            stage = self._instance(position)
            waves = stage.finalize_waves(global_workdir(self.output, position, stage), stems)
            slug = stage_slug(position, stage)
            if any(not self.output.exists(task_marker(slug, task.key)) for wave in waves for task in wave):
                pending.append((position, waves))
        return pending

    def finalize_pending(self) -> bool:
        """Whether a global stage has finalize work left (a crash after the last shard was committed)."""
        return bool(self._pending_finalize_waves())

    def _finalize(self, runner, reporter: ProgressReporter) -> list[JobOutcome]:
        """Every output shard is committed: run each global stage's finalize waves (publishing to an index)."""
        outcomes: list[JobOutcome] = []
        for position, waves in self._pending_finalize_waves():
            slug = stage_slug(position, self._instance(position))
            name = self.recipe.stages[position].display_name
            started = time.perf_counter()
            for number, wave in enumerate(waves, start=1):
                pending = [task for task in wave if not self.output.exists(task_marker(slug, task.key))]
                reporter.phase(f"{name} finalize {number}/{len(waves)}", len(wave), len(wave) - len(pending))
                outcomes += runner.run([GlobalJob(position, task) for task in pending])
                if any(not o.ok for o in outcomes):
                    return outcomes
            self.global_report.setdefault(name, {})["finalize_seconds"] = round(time.perf_counter() - started, 3)
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
        else:
            _publish(stage.published_files(), workdir, OutputLayout(self.output))
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


def _publish(files: dict[str, str], workdir: DataFolder, layout: OutputLayout) -> None:
    """Copy a global stage's published files from its work folder into the output (each atomically)."""
    for target, source in files.items():
        if not workdir.exists(source):
            continue
        with workdir.open(source, "rb") as handle:
            data = handle.read()
        head, _, tail = target.rpartition("/")
        temporary = f"{head}/.{tail}.tmp" if head else f".{tail}.tmp"
        if head:
            layout.folder.makedirs(head, exist_ok=True)
        with layout.folder.open(temporary, "wb") as handle:
            handle.write(data)
        layout.folder.mv(temporary, target)


def _make_runner(
    kind: str,
    settings: RunSettings,
    workers: int,
    reporter: ProgressReporter,
    scheduler: str | None,
    requirements=None,
    ship_models: bool = False,
    ship_models_limit: int | None = None,
):
    if kind == "dask":
        from curation.executors.dask import DaskRunner

        return DaskRunner(
            settings,
            reporter,
            scheduler=scheduler,
            workers=workers,
            requirements=requirements,
            ship_models=ship_models,
            ship_models_limit=ship_models_limit,
        )
    return local_runner(settings, workers, reporter)


def _worker_requirements(settings: RunSettings, shard: Shard | None):
    """What each worker of a joined cluster must see and have: the run's paths, packages and output folder."""
    from curation.executors.cluster_check import WorkerRequirements

    return WorkerRequirements.for_recipe(
        settings.recipe,
        input_path=settings.input_path,
        input_options=settings.input_storage_options,
        shard_path=f"{settings.input_path.rstrip('/')}/{shard.path}" if shard is not None else None,
        output_path=settings.output_path,
        output_options=settings.output_storage_options,
    )


def _model_processes(kind: str, recipe: Recipe):
    """The local executor runs model stages in one model process per GPU (see ``curation.inference.service``),
    started before its workers, which inherit where they are."""
    if kind == "dask":
        return contextlib.nullcontext()
    from curation.inference.service.hosts import model_processes_for
    from curation.inference.stage import ModelOutputs

    configurations = []
    for spec in recipe.stages:
        if spec.step is not None:
            if isinstance(spec.step, ModelOutputs):
                configurations.append((spec.step.specs, spec.step.options))
        elif issubclass(resolve_stage_class(spec.stage), ModelOutputs):
            configuration = resolve_stage_class(spec.stage).engine_configuration(spec.params)
            if configuration is not None:
                configurations.append(configuration)
    return model_processes_for(configurations)


def _stop_now(runner) -> None:
    """Ctrl-C: end the workers' current jobs now (their staging is discarded on the next run)."""
    with contextlib.suppress(Exception):
        stop = getattr(runner, "terminate", None)
        if callable(stop):
            stop()


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
