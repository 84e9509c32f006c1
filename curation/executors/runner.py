"""Run a recipe over a shard directory: plan, skip what is complete, execute, summarise.

This is what ``curate run`` and the Python API call; it is the same whichever executor runs the shards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from datatrove.io import get_datafolder

from curation.executors.local import ShardOutcome, default_workers, run_local
from curation.executors.shard_pipeline import RunSettings
from curation.io.layout import SUMMARY_FILE, OutputLayout
from curation.io.shards import discover_shards
from curation.recipe.loader import check_recipe
from curation.recipe.model import Recipe
from curation.report.progress import ProgressReporter, progress_for
from curation.report.stats import ShardResult
from curation.report.summary import build_summary

EXIT_OK = 0
EXIT_FAILED_SHARDS = 1
EXIT_USAGE = 2
EXIT_QUARANTINE_STRICT = 3


class RunConfigurationError(ValueError):
    """The run cannot start: missing input/output, or an executor that cannot be used."""


@dataclass
class RunReport:
    """What a run did: the summary written to disk, the per-shard outcomes, and the exit code."""

    summary: dict[str, Any]
    outcomes: list[ShardOutcome] = field(default_factory=list)
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
    if kind != "local":
        raise RunConfigurationError(f"executor {kind!r} is not available in this version; use 'local'")
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
    layout.recover()
    completed = layout.completed_stems()
    fingerprint = recipe.fingerprint()
    todo = [shard for shard in shards if force or shard.stem not in completed]
    skipped = [shard for shard in shards if not force and shard.stem in completed]

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
    reporter.start(len(shards), len(skipped))
    try:
        outcomes = run_local(settings, todo, worker_count, reporter)
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
    processed_now = [ShardResult.from_dict(o.marker["result"]) for o in outcomes if o.marker is not None]
    results += processed_now
    failures = [
        {"source": o.shard.path, "stem": o.shard.stem, "attempts": o.attempts, "error": o.error}
        for o in outcomes
        if o.marker is None
    ]
    summary = build_summary(
        recipe_name=recipe.name,
        fingerprint=fingerprint,
        input_path=input_path,
        output_path=output_path,
        executor={"kind": kind, "workers": worker_count},
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
    layout.write_json_atomically(SUMMARY_FILE, summary)
    layout.remove_empty_staging()
    exit_code = EXIT_OK
    if failures:
        exit_code = EXIT_FAILED_SHARDS
    elif strict and summary["totals"]["quarantined"]:
        exit_code = EXIT_QUARANTINE_STRICT
    return RunReport(summary, outcomes, exit_code)


def _relative_inside(child: str, parent: str) -> str:
    """``child`` relative to ``parent`` when it lies inside it (an output dir inside the input dir), else ''."""
    parent = parent.rstrip("/") + "/"
    return child[len(parent) :] if child.startswith(parent) else ""
