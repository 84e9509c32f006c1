"""Pipeline steps used only by tests: slow or waiting stages (to catch a run midway), stages that kill their
process at a chosen point, small global stages."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from curation.dedup.minhash_stage import MinHashDedup
from curation.global_stage import GlobalStage, GlobalTask


class SleepPerDocument(PipelineStep):
    """Pass documents through, sleeping a little for each, so a run lasts long enough to be killed."""

    name = "sleep per document"
    type = "🧪 - TEST"

    def __init__(self, seconds: float = 0.01):
        super().__init__()
        self.seconds = seconds

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for document in data:
            time.sleep(self.seconds)
            yield document


class WaitForFile(PipelineStep):
    """Hold the first document until ``path`` exists (at most ``timeout`` seconds): keeps a run mid-way
    for exactly as long as a test needs, whatever the machine's speed."""

    name = "wait for a file"
    type = "🧪 - TEST"

    def __init__(self, path: str, timeout: float = 120.0):
        super().__init__()
        self.path = path
        self.timeout = timeout

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        deadline = time.monotonic() + self.timeout
        while not Path(self.path).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield from data


class KillWorkerOnce(PipelineStep):
    """SIGKILL the worker process the first time a document with ``doc_id`` passes (a flag file remembers)."""

    name = "kill worker once"
    type = "🧪 - TEST"

    def __init__(self, doc_id: str, flag_file: str):
        super().__init__()
        self.doc_id = doc_id
        self.flag_file = flag_file

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for document in data:
            if document.id == self.doc_id and not Path(self.flag_file).exists():
                Path(self.flag_file).write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)
            yield document


class MinHashDedupKilledAt(MinHashDedup):
    """``minhash_dedup`` with an index that SIGKILLs its own process when global task ``kill_task`` starts.

    Once (a flag file remembers). Run with one worker, global tasks run in the run's own process, so the whole
    run dies at that precise point: between the output commit and the index publish, say.
    """

    def __init__(self, kill_task: str, flag_file: str, index_path: str):
        super().__init__(index_path=index_path)
        self.kill_task = kill_task
        self.flag_file = flag_file

    def run_global_task(self, task, workdir):
        if task.key == self.kill_task and not Path(self.flag_file).exists():
            Path(self.flag_file).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        super().run_global_task(task, workdir)


class CountConstructions(PipelineStep):
    """Append this process id to a file each time the stage is built: shows a model loads once per worker."""

    name = "count constructions"
    type = "🧪 - TEST"

    def __init__(self, log_file: str):
        super().__init__()
        with open(log_file, "a") as handle:
            handle.write(f"{os.getpid()}\n")

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        yield from data


class FailOnDocument(PipelineStep):
    """Raise when a document with ``doc_id`` passes: a stage bug that must fail only its own shard."""

    name = "fail on document"
    type = "🧪 - TEST"

    def __init__(self, doc_id: str):
        super().__init__()
        self.doc_id = doc_id

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for document in data:
            if document.id == self.doc_id:
                raise ValueError(f"cannot handle document {document.id}")
            yield document


class TextHashDedup(GlobalStage):
    """A small but real global stage for executor tests: drop documents whose exact text appeared before.

    collect writes ``<stem>.tsv`` lines of ``hash<TAB>stem<TAB>position<TAB>id``; wave 1 has one task per
    hash partition, each writing the ids to drop for its partition; wave 2 merges them into one drop list;
    apply drops listed ids with reason ``duplicate_text``. The kept copy is the first by (stem, position).
    """

    name = "text hash dedup"

    def __init__(self, partitions: int = 3, fail_task: str = "", flag_file: str = ""):
        super().__init__()
        self.partitions = partitions
        self.fail_task = fail_task
        self.flag_file = flag_file

    def collect(self, data, context):
        lines = []
        for position, document in enumerate(data):
            digest = hashlib.sha1(document.text.encode()).hexdigest()
            lines.append(f"{digest}\t{context.stem}\t{position:08d}\t{document.id}\n")
            yield document
        with context.workdir.open(f"hashes/{context.stem}.tsv", "w") as handle:
            handle.writelines(lines)

    def global_waves(self, workdir, shard_stems):
        partition_tasks = [GlobalTask(f"partition-{p}", {"partition": p}) for p in range(self.partitions)]
        return [partition_tasks, [GlobalTask("merge")]]

    def run_global_task(self, task, workdir):
        if task.key == self.fail_task and not Path(self.flag_file).exists():
            Path(self.flag_file).write_text("failed once")
            raise RuntimeError(f"injected failure in {task.key}")
        if task.key == "merge":
            ids = []
            for p in range(self.partitions):
                with workdir.open(f"drops/{p}.txt", "r") as handle:
                    ids += handle.read().split()
            with workdir.open("drops/all.txt.tmp", "w") as handle:
                handle.write("\n".join(sorted(ids)))
            workdir.mv("drops/all.txt.tmp", "drops/all.txt")
            return
        partition = task.params["partition"]
        first: dict[str, tuple] = {}
        drops = []
        rows = []
        for path in sorted(workdir.glob("hashes/*.tsv")):
            with workdir.open(path, "r") as handle:
                rows += [line.rstrip("\n").split("\t") for line in handle if line.strip()]
        for digest, stem, position, doc_id in sorted(rows, key=lambda r: (r[1], r[2])):
            if int(digest, 16) % self.partitions != partition:
                continue
            if digest in first:
                drops.append(doc_id)
            else:
                first[digest] = (stem, position)
        with workdir.open(f"drops/{partition}.txt", "w") as handle:
            handle.write("\n".join(drops))

    def apply(self, data, context):
        with context.workdir.open("drops/all.txt", "r") as handle:
            drops = set(handle.read().split())
        for document in data:
            if document.id in drops:
                self.stat_update("dropped_duplicate_text")
                continue
            yield document


class NeedsGpu(PipelineStep):
    """A pass-through stage that declares a GPU resource, as model stages do for the Dask executor."""

    name = "needs a GPU"
    type = "🧪 - TEST"
    resources = {"GPU": 1}  # noqa: RUF012 - a class-level declaration read by the executor

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        yield from data
