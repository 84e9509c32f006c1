"""Drive a ``GlobalStage`` through its phases in this process: collect, the global waves, apply, finalize.

This is what an executor does, minus the worker processes and the shard I/O; benchmarks, tests and
notebooks use it to dedup documents they already hold. ``curate run`` uses the real executors instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from datatrove.data import Document
from datatrove.io import DataFolder, get_datafolder

from curation.global_stage import GlobalStage, ShardContext


def run_phases(
    stage: GlobalStage,
    shards: Mapping[str, Iterable[Document]],
    workdir: str | DataFolder,
) -> dict[str, list[Document]]:
    """Run ``stage`` over ``shards`` (stem -> documents); returns the documents each shard keeps.

    Collect materialises each shard's documents (an executor would write them to an intermediate shard); the
    finalize waves (publishing to an index) run once every shard's documents are out of apply.
    """
    folder = workdir if isinstance(workdir, DataFolder) else get_datafolder(str(workdir))
    stems = sorted(shards)
    contexts = {stem: ShardContext(stem, index, len(stems), folder) for index, stem in enumerate(stems)}
    collected = {stem: list(stage.collect(iter(shards[stem]), contexts[stem])) for stem in stems}
    for wave in stage.global_waves(folder, stems):
        for task in wave:
            stage.run_global_task(task, folder)
    kept = {stem: list(stage.apply(iter(collected[stem]), contexts[stem])) for stem in stems}
    for wave in stage.finalize_waves(folder, stems):
        for task in wave:
            stage.run_global_task(task, folder)
    return kept
