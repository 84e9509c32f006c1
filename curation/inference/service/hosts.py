"""Start and stop model processes, and tell worker processes where they are.

``ModelHost`` starts one model process per GPU (one on a CPU-only machine), each listening on a Unix socket
in a private temporary folder, and announces them in ``CURATION_MODEL_PROCESSES`` (socket paths) and
``CURATION_MODEL_PROCESS_KEY`` (the connection's auth key, hex), which worker processes started afterwards
inherit. Worker ``i`` uses model process ``i mod n``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import secrets
import shutil
import tempfile
from pathlib import Path

ADDRESSES_ENV = "CURATION_MODEL_PROCESSES"
KEY_ENV = "CURATION_MODEL_PROCESS_KEY"
START_TIMEOUT_S = 60


class ModelProcessLost(RuntimeError):
    """A model process is gone or does not answer: the shards waiting for it fail, and a rerun resumes."""


def announced_addresses() -> list[tuple[str, bytes]]:
    """(socket path, auth key) of each model process this process was told about (none: run in-process)."""
    paths = [p for p in os.environ.get(ADDRESSES_ENV, "").split(os.pathsep) if p]
    key = os.environ.get(KEY_ENV, "")
    if not paths or not key:
        return []
    return [(path, bytes.fromhex(key)) for path in paths]


class ModelHost:
    """Model processes for one run (see the module docstring); a context manager.

    ``devices``: one device string per process (default: ``cuda:i`` for every GPU, else one ``cpu``);
    ``preload``: (specs, options) pairs each process loads at once, so loading overlaps the workers' start.
    """

    def __init__(self, devices: list[str] | None = None, preload: list | None = None):
        self.devices = devices or default_devices()
        self.preload = preload or []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.addresses: list[str] = []
        self._folder: str | None = None
        self._previous: dict[str, str | None] = {}

    def start(self) -> ModelHost:
        context = multiprocessing.get_context("spawn")
        key = secrets.token_bytes(16)
        self._folder = tempfile.mkdtemp(prefix="curation-models-")
        from curation.inference.service.server import serve

        for index, device in enumerate(self.devices):
            address = str(Path(self._folder) / f"model-{index}.sock")
            gpu = int(device.split(":")[1]) if device.startswith("cuda:") else None
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=serve,
                args=(address, key, device, gpu, self.preload, send),
                name=f"curation-model-{index}",
                daemon=True,
            )
            process.start()
            send.close()
            if not receive.poll(START_TIMEOUT_S):
                process.kill()
                raise ModelProcessLost(f"model process {index} on {device} did not start within {START_TIMEOUT_S}s")
            try:
                receive.recv()
            except EOFError as error:
                raise ModelProcessLost(f"model process {index} on {device} exited while starting") from error
            self.processes.append(process)
            self.addresses.append(address)
        self._announce({ADDRESSES_ENV: os.pathsep.join(self.addresses), KEY_ENV: key.hex()})
        return self

    def _announce(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._previous[name] = os.environ.get(name)
            os.environ[name] = value

    def stop(self) -> None:
        for name, value in self._previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._previous = {}
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        self.processes = []
        if self._folder is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._folder)
            self._folder = None

    def __enter__(self) -> ModelHost:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def default_devices() -> list[str]:
    """One model process per GPU, or one on the CPU."""
    import torch

    if torch.cuda.is_available():
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu"]


def model_processes_wanted(configurations: list) -> list:
    """The (specs, options) of model stages that should run in model processes: those asking for it
    (``model_process: true``), and on a machine with GPUs every one not refusing it or pinned to the CPU."""
    wanted = []
    for specs, options in configurations:
        if options.model_process is False:
            continue
        if options.model_process is None and (options.device == "cpu" or not _has_gpu()):
            continue
        wanted.append((specs, options))
    return wanted


def _has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


@contextlib.contextmanager
def model_processes_for(configurations: list):
    """Model processes for a run's model stages (``(specs, options)`` each; see ``model_processes_wanted``),
    started before the workers so loading the models overlaps their start; nothing when none wants them."""
    wanted = model_processes_wanted(configurations)
    if not wanted:
        yield None
        return
    on_cpu = all(options.device == "cpu" for _, options in wanted)
    with ModelHost(["cpu"] if on_cpu else None, preload=wanted) as host:
        yield host
