"""Split a recipe into segments at its global stages, and name the work area the phases use.

Stages ``[A, B, G1, C, G2, D]`` (G = global stage) become three segments, each run per shard:

    segment 0:  read input      -> A -> B -> G1.collect -> intermediate shard
    (G1's global waves)
    segment 1:  read segment 0  -> G1.apply -> C -> G2.collect -> intermediate shard
    (G2's global waves)
    segment 2:  read segment 1  -> G2.apply -> D -> output writer

A recipe without global stages is one segment: read -> stages -> writer.
"""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.io import DataFolder

from curation.global_stage import GlobalStage
from curation.io.layout import WORK_DIR

__all__ = [
    "WORK_DIR",
    "Segment",
    "global_workdir",
    "segment_folder",
    "split_into_segments",
    "stage_slug",
    "task_marker",
]


@dataclass(frozen=True)
class Segment:
    """The part of a recipe one per-shard pass runs; stage positions index ``recipe.stages``."""

    index: int
    apply_global: int | None
    plain: tuple[int, ...]
    collect_global: int | None
    last: bool


def split_into_segments(is_global: list[bool]) -> list[Segment]:
    """Cut the stage list at each global stage (see the module docstring)."""
    segments: list[Segment] = []
    apply_global: int | None = None
    plain: list[int] = []
    for position, global_stage in enumerate(is_global):
        if global_stage:
            segments.append(Segment(len(segments), apply_global, tuple(plain), position, last=False))
            apply_global, plain = position, []
        else:
            plain.append(position)
    segments.append(Segment(len(segments), apply_global, tuple(plain), None, last=True))
    return segments


def segment_folder(output: DataFolder, segment: int) -> DataFolder:
    """Where a segment's intermediate shards and their markers live."""
    return DataFolder(output._join(f"{WORK_DIR}/segments/{segment}"), fs=output.fs)


def task_marker(stage_slug: str, key: str) -> str:
    """A finished global task's marker, relative to the output folder (one run's progress, not the index)."""
    return f"{WORK_DIR}/tasks/{stage_slug}/{key}.done"


def stage_slug(position: int, stage: GlobalStage) -> str:
    return f"{position:02d}-{stage.workdir_name()}"


def global_workdir(output: DataFolder, position: int, stage: GlobalStage) -> DataFolder:
    """The global stage's state folder: its persistent index if it names one, else inside ``_work``."""
    from datatrove.io import get_datafolder

    external = stage.external_workdir()
    if external:
        folder = get_datafolder(external)
    else:
        folder = DataFolder(output._join(f"{WORK_DIR}/stages/{stage_slug(position, stage)}"), fs=output.fs)
    folder.makedirs("", exist_ok=True)
    return folder
