"""Stages that must see the whole corpus before deciding about any document (deduplication, for one).

A plain stage decides about a document from the document alone, so shards are independent. A global stage
cannot: whether a document is a duplicate depends on every other shard. The executors run a recipe that
holds global stages in phases:

1. **collect** — per shard: documents flow through the stages before the global stage, then through
   ``collect``, which records what the stage needs (signatures, hashes) under the stage's work folder and
   passes the documents on. The executor saves them as an intermediate shard.
2. **global waves** — ``global_waves`` lists waves of ``GlobalTask``; the tasks of a wave are independent
   (one per band partition, say) and run in parallel, on local worker processes or on a Dask cluster; the
   waves run in order. Each task is idempotent and has a key, so a resumed run skips finished tasks.
3. **apply** — per shard: the intermediate documents flow through ``apply`` (which drops or marks them,
   e.g. duplicates, with a reason) and then through the rest of the recipe to the writer.
4. **finalize** — once every output shard of the run is committed: ``finalize_waves`` lists waves of tasks,
   run like the global waves, for what must not happen before the output exists (publishing this run's
   state to a persistent index that later runs trust, say). A rerun that finds every shard committed still
   runs the finalize tasks a crash left undone.

A global stage only ever sees documents, its ``ShardContext`` and its work folder; it never reaches into
the executor. Its parameters and state must be picklable, like any stage's.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any

from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolder
from datatrove.pipeline.base import PipelineStep


class GlobalStageError(RuntimeError):
    """A global stage refuses to run as asked: its state is incompatible, or held by another run.

    Raised while the run is planned (``global_waves``) or by a task; the message says what to do.
    """


@dataclass(frozen=True)
class ShardContext:
    """Where a shard is in the run, and the work folder of the global stage processing it."""

    stem: str
    index: int
    world_size: int
    workdir: DataFolder


@dataclass(frozen=True)
class GlobalTask:
    """One independent unit of corpus-wide work; ``key`` is unique within its stage and names its marker."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


class GlobalStage(PipelineStep):
    """Base class of stages whose decisions need every shard (see the module docstring)."""

    type = "🌐 - GLOBAL"

    def workdir_name(self) -> str:
        """Folder (relative to the run's work area) holding this stage's state; override to share an index."""
        return type(self).__name__.lower()

    def external_workdir(self) -> str | None:
        """An absolute path or URL for the state instead of the run's work area (a persistent index)."""
        return None

    @abstractmethod
    def collect(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        """Record what the global steps need from this shard; yield every document unchanged."""

    @abstractmethod
    def global_waves(self, workdir: DataFolder, shard_stems: list[str]) -> list[list[GlobalTask]]:
        """The corpus-wide work, as waves of independent tasks; waves run in order."""

    @abstractmethod
    def run_global_task(self, task: GlobalTask, workdir: DataFolder) -> None:
        """Do one task; it must be safe to run again after a crash (write to temporary names, then rename)."""

    def finalize_waves(self, workdir: DataFolder, shard_stems: list[str]) -> list[list[GlobalTask]]:
        """Work that may run only once every output shard of the run is committed, as waves of tasks for
        ``run_global_task``; none by default.

        Called in the process that plans the run, also by a rerun that finds every shard committed, to see
        whether anything is left: keep it cheap and free of side effects, and list only what is still to do.
        Each task, like any global task, must be safe to run again after a crash; a finished task leaves a
        marker, so a rerun skips it.
        """
        return []

    @abstractmethod
    def apply(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        """Use the global result for this shard: drop or annotate documents.

        To drop a document, do not yield it and call ``self.stat_update(f"dropped_{reason}")``: the executor
        reads drop reasons from the stage's stats, as for any datatrove filter.
        """

    def published_files(self) -> dict[str, str]:
        """Files of the work folder copied into the output folder once the global waves have all finished:
        ``{path in the output: path in the work folder}`` (a report, a model a later run can reuse). A file
        the stage did not write is skipped."""
        return {}

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        raise TypeError(
            f"{type(self).__name__} needs the whole corpus; run it with `curate run` (or run_recipe), whose "
            "executors split the recipe into collect, global and apply phases"
        )
