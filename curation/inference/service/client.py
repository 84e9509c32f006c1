"""The worker's side of a model process: the engine's batch runner, with the forward passes done elsewhere.

``RemoteBatchRunner`` offers what the engine uses of ``curation.inference.forward.BatchRunner``: model
descriptions, host buffers, ``run`` and ``report``. Its host buffers are shared-memory blocks the model
process opened once (``BUFFERS``); a batch travels as a message naming its block and shape (``RUN``), and its
outputs come back in the same block. Replies arrive in the order the batches were sent, so several batches
can be in flight while the feeder stages the next.
"""

from __future__ import annotations

import contextlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Client, Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np
import torch

from curation.inference.batching import HostBuffer, HostBufferRing
from curation.inference.devices import worker_index
from curation.inference.forward import InferenceOutOfMemory, ModelInfo
from curation.inference.options import EngineOptions, ModelSpec
from curation.inference.service.hosts import ModelProcessLost, announced_addresses
from curation.inference.service.protocol import (
    ATTACH,
    ATTACHED,
    BUFFERS,
    DONE,
    OUT_OF_MEMORY,
    REPORT,
    RUN,
    BufferLayout,
    device_layout,
)


class RemoteBatchRunner:
    """Runs batches in a model process (see the module docstring); one per engine, so one per worker."""

    def __init__(self, specs: list[ModelSpec], options: EngineOptions, counters: Counter | None = None):
        self._blocks: list[SharedMemory] = []
        self._connection: Connection | None = None
        addresses = announced_addresses()
        if not addresses:
            raise ModelProcessLost(
                "model_process is on but no model process was started (the executor starts them; set "
                "model_process: false to run the models in each worker)"
            )
        self.address, authkey = addresses[worker_index() % len(addresses)]
        self.counters = counters if counters is not None else Counter()
        try:
            self._connection = Client(self.address, family="AF_UNIX", authkey=authkey)
        except OSError as error:
            raise ModelProcessLost(f"the model process at {self.address} does not answer: {error}") from error
        reply = self._call((ATTACH, specs, options))
        if reply[0] != ATTACHED:
            raise RuntimeError(f"the model process could not load the models: {reply[1]}")
        _, self.key, self.infos, self.pad_token_id, self.placement = reply
        self.infos: list[ModelInfo]
        self.columns = device_layout(self.infos)
        self.width = sum(width for *_, width in self.columns)
        self.budget = 0
        self.runners: list = []
        self.use_reference = False
        self._layout: BufferLayout | None = None
        self._in_flight: deque[_Arrival] = deque()
        self._report: dict[str, Any] = {}
        self._precision_text = ""

    # ----------------------------------------------------------------------------------------- views

    def model_infos(self) -> list[ModelInfo]:
        return self.infos

    @property
    def precision(self):
        """The model process's precision check (a dict), once it has settled."""
        return self._report.get("precision_check")

    def describe_precision(self) -> str:
        return self._precision_text or "as the model process decides"

    def report(self) -> dict[str, Any]:
        """The model process's report for these models (device, precision and its check, shapes)."""
        self._drain()
        reply = self._call((REPORT, self.key))
        _, self._report, self._precision_text, _ = reply
        return dict(self._report)

    # ----------------------------------------------------------------------------------------- running

    def host_buffers(self, count: int, token_capacity: int, row_capacity: int) -> HostBufferRing:
        """``count`` shared-memory blocks (ids, row lengths, outputs) that the model process opens once."""
        layout = BufferLayout(token_capacity, row_capacity, self.width)
        self._blocks = [SharedMemory(create=True, size=layout.nbytes) for _ in range(count)]
        self._layout = layout
        self._send(
            (BUFFERS, self.key, [b.name for b in self._blocks], token_capacity, row_capacity, self.width, self.budget)
        )
        memory = [layout.staging(block.buf) for block in self._blocks]
        return HostBufferRing(count, token_capacity, row_capacity, pinned=False, memory=memory)

    def run(
        self,
        ids: torch.Tensor,
        lengths: torch.Tensor,
        row_lengths: np.ndarray,
        release: Callable[[Any], None],
        pad_to_multiple: int,
        buffer: HostBuffer | None = None,
    ) -> Iterator[tuple[slice, None, _Arrival]]:
        """Send one staged batch; its outputs are read once its reply has arrived (``_Arrival``)."""
        rows, length = ids.shape
        self.counters["batches"] += 1
        self.counters["padded_tokens"] += rows * length
        arrival = _Arrival(self, buffer, rows, release)
        self._send((RUN, self.key, buffer.index, rows, length, pad_to_multiple))
        self._in_flight.append(arrival)
        yield slice(0, rows), None, arrival

    def _receive_one(self) -> None:
        """Take the next reply, which belongs to the oldest batch in flight."""
        try:
            reply = self._connection.recv()
        except (EOFError, OSError) as error:
            raise ModelProcessLost(
                f"the model process at {self.address} stopped while {len(self._in_flight)} batch(es) were in "
                "flight; this shard fails and a rerun resumes it"
            ) from error
        arrival = self._in_flight.popleft()
        arrival.reply = reply

    def _drain(self) -> None:
        while self._in_flight:
            self._receive_one()

    def _send(self, message: tuple) -> None:
        if self._connection is None:
            raise ModelProcessLost("this engine's model-process connection is closed")
        try:
            self._connection.send(message)
        except OSError as error:
            raise ModelProcessLost(
                f"the model process at {self.address} stopped ({error}); this shard fails and a rerun resumes it"
            ) from error

    def _call(self, message: tuple) -> tuple:
        self._send(message)
        try:
            return self._connection.recv()
        except (EOFError, OSError) as error:
            raise ModelProcessLost(f"the model process at {self.address} stopped: {error}") from error

    def read_outputs(self, block: int, rows: int) -> dict[str, dict[str, np.ndarray]]:
        """A batch's outputs, copied out of its shared block (shaped as the in-process runner gives them)."""
        out = self._layout.outputs(self._blocks[block].buf)
        widths = {info.name: info.widths for info in self.infos}
        result: dict[str, dict[str, np.ndarray]] = {}
        for model, kind, column, width in self.columns:
            shape = widths[model].get(kind, ())
            result.setdefault(model, {})[kind] = out[:rows, column : column + width].reshape(rows, *shape).copy()
        return result

    def close(self) -> None:
        """Hang up and free the shared blocks (the model process keeps its models for other workers)."""
        with contextlib.suppress(Exception):
            self._drain()
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        for block in self._blocks:
            with contextlib.suppress(Exception):
                block.close()
            with contextlib.suppress(FileNotFoundError):
                block.unlink()
        self._blocks = []

    def __del__(self) -> None:
        if self._blocks:
            self.close()


class _Arrival:
    """One batch sent to the model process: ``query``/``synchronize`` like a CUDA event, then ``outputs``."""

    def __init__(self, runner: RemoteBatchRunner, buffer: HostBuffer, rows: int, release: Callable[[Any], None]):
        self.runner = runner
        self.buffer = buffer
        self.rows = rows
        self.release = release
        self.reply: tuple | None = None
        self._outputs: dict | None = None

    def query(self) -> bool:
        """Whether the reply is here (takes every reply already waiting on the connection)."""
        runner = self.runner
        while self.reply is None and runner._connection.poll(0):
            runner._receive_one()
        return self.reply is not None

    def synchronize(self) -> None:
        while self.reply is None:
            self.runner._receive_one()
        if self.reply[0] != DONE:
            _, message, kind = self.reply
            if kind == OUT_OF_MEMORY:
                raise InferenceOutOfMemory(message)
            raise RuntimeError(f"the model process failed a batch: {message}")

    @property
    def outputs(self) -> dict[str, dict[str, np.ndarray]]:
        if self._outputs is None:
            self.synchronize()
            self._outputs = self.runner.read_outputs(self.buffer.index, self.rows)
        return self._outputs

    def finish(self) -> None:
        """The outputs are copied out: the block may take the next batch."""
        if self.buffer is not None:
            self.release(None)
            self.buffer = None
