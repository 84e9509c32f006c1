"""The model process: holds the models on one device and runs the batches CPU workers stage in shared memory.

One process per GPU (or one on a CPU-only machine when asked for). It listens on a Unix socket; each worker
connection is served by its own thread, and forward passes are serialised by one lock, so the device runs
one batch at a time while other workers' threads read their requests and write their outputs. Models are
loaded once per set of specs and options (``ATTACH``); the executor may ask for them at start-up
(``preload``) so loading overlaps the workers' start and their first reads.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection, Listener
from multiprocessing.shared_memory import SharedMemory

import torch

from curation.inference.devices import configure_cpu_threads, place
from curation.inference.forward import BatchRunner, InferenceOutOfMemory
from curation.inference.options import EngineOptions, ModelSpec
from curation.inference.service.protocol import (
    ATTACH,
    ATTACHED,
    BUFFERS,
    DONE,
    FAILED,
    OUT_OF_MEMORY,
    REPORT,
    REPORTED,
    RUN,
    BufferLayout,
    device_layout,
)

logger = logging.getLogger(__name__)


def model_key(specs: list[ModelSpec], options: EngineOptions) -> str:
    """One loaded set of models per distinct specs and options (workers of one stage share it; whether the
    options asked for a model process does not matter here)."""
    return repr((list(specs), replace(options, model_process=None)))


class ModelServer:
    """The models of one device and the shared buffers of every connected worker."""

    def __init__(self, device: str):
        self.device = device
        self.runners: dict[str, BatchRunner] = {}
        self._loading = threading.Lock()
        self._device_lock = threading.Lock()

    def runner_for(self, specs: list[ModelSpec], options: EngineOptions) -> tuple[str, BatchRunner]:
        key = model_key(specs, options)
        with self._loading:
            if key not in self.runners:
                placement = place(self.device, options.precision, options.autocast)
                if not placement.is_cuda:
                    configure_cpu_threads(options.torch_threads)
                self.runners[key] = BatchRunner(specs, options, placement)
                logger.info("model process on %s loaded %s", placement.device, [s.name for s in specs])
        return key, self.runners[key]

    def serve_connection(self, connection: Connection) -> None:
        """Answer one worker until it hangs up (its buffers are closed, not unlinked: the worker owns them)."""
        blocks: list[SharedMemory] = []
        layout: BufferLayout | None = None
        try:
            while True:
                try:
                    message = connection.recv()
                except (EOFError, OSError):
                    return
                kind = message[0]
                if kind == ATTACH:
                    _, specs, options = message
                    try:
                        key, runner = self.runner_for(specs, options)
                    except Exception as error:
                        connection.send((FAILED, f"{type(error).__name__}: {error}", "load"))
                        continue
                    connection.send((ATTACHED, key, runner.infos, runner.pad_token_id, runner.placement))
                elif kind == BUFFERS:
                    _, key, names, tokens, rows, width, budget = message
                    layout = BufferLayout(tokens, rows, width)
                    blocks = [_attach(name) for name in names]
                    runner = self.runners[key]
                    runner.budget = budget if not runner.budget else min(runner.budget, budget)
                elif kind == RUN:
                    _, key, index, rows, length, pad_to_multiple = message
                    connection.send(self._run(self.runners[key], blocks[index], layout, rows, length, pad_to_multiple))
                elif kind == REPORT:
                    runner = self.runners[message[1]]
                    connection.send((REPORTED, runner.report(), runner.describe_precision(), runner.budget))
        finally:
            for block in blocks:
                block.close()
            connection.close()

    def _run(
        self, runner: BatchRunner, block: SharedMemory, layout: BufferLayout, rows: int, length: int, multiple: int
    ) -> tuple:
        staging = layout.staging(block.buf)
        ids = torch.from_numpy(staging[: rows * length]).view(rows, length)
        lengths = torch.from_numpy(staging[layout.tokens : layout.tokens + rows])
        row_lengths = lengths.numpy().copy()
        out = layout.outputs(block.buf)
        columns = device_layout(runner.infos)
        try:
            with self._device_lock:
                for part, outputs, arrived in runner.run(ids, lengths, row_lengths, _wait, multiple):
                    if arrived is not None:
                        arrived.synchronize()
                    for model, kind, column, width in columns:
                        values = outputs[model][kind]
                        out[part, column : column + width] = values.float().numpy().reshape(-1, width)
        except InferenceOutOfMemory as error:
            return (FAILED, str(error), OUT_OF_MEMORY)
        except Exception as error:
            logger.error("model process: a batch failed:\n%s", traceback.format_exc())
            return (FAILED, f"{type(error).__name__}: {error}", "error")
        finally:
            del staging, ids, lengths, out  # no view may outlive the block (it is closed on hang-up)
        return (DONE, rows)


def _wait(event) -> None:
    """The host buffer is shared memory the worker reuses only after the reply: wait for the device copy."""
    if event is not None:
        event.synchronize()


def _attach(name: str) -> SharedMemory:
    """Open a worker's block. Model processes and workers are children of one process and so share its
    resource tracker: the block stays registered once, and the worker's unlink unregisters it."""
    return SharedMemory(name=name)


def serve(address: str, authkey: bytes, device: str, gpu: int | None, preload, ready) -> None:
    """Entry point of a model process: load ``preload`` (a list of (specs, options)), then serve forever."""
    logging.basicConfig(level=os.environ.get("CURATION_LOG_LEVEL", "WARNING"))
    if gpu is not None:
        torch.cuda.set_device(gpu)
    server = ModelServer(device)
    listener = Listener(address, family="AF_UNIX", authkey=authkey)
    ready.send("listening")
    loader = threading.Thread(target=_preload, args=(server, preload), name="preload", daemon=True)
    loader.start()
    while True:
        connection = listener.accept()
        threading.Thread(target=server.serve_connection, args=(connection,), daemon=True).start()


def _preload(server: ModelServer, preload) -> None:
    for specs, options in preload or []:
        try:
            server.runner_for(specs, options)
        except Exception:
            logger.warning("model process: preloading failed:\n%s", traceback.format_exc())


__all__ = ["ModelServer", "model_key", "serve"]
