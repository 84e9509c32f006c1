"""Pipeline steps used only by tests: a slow stage (to kill a run midway) and a stage that kills its worker."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep


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
