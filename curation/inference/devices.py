"""Where the models run and with how many threads: device choice, precision, CPU thread sharing.

Several worker processes may share one machine (the local executor runs N of them, each with its own
model). Left alone, every process's torch would start one thread per core and they would fight over the
cores; on a GPU box every process would pile onto GPU 0. So: a worker takes GPU ``index % count`` (one
model per GPU when there are as many workers as GPUs), and on CPU the cores are divided among workers
(``CURATION_WORKERS`` says how many share the machine).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import os
from dataclasses import dataclass

import torch

logger = logging.getLogger(__name__)

WORKERS_ENV = "CURATION_WORKERS"
"""How many worker processes share this machine; set by the executor, read to divide cores and GPUs."""


@dataclass(frozen=True)
class Placement:
    """The device a worker's models live on and the numeric precision they run in."""

    device: torch.device
    compute_dtype: torch.dtype
    autocast: bool

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def autocast_context(self) -> contextlib.AbstractContextManager:
        """Mixed precision for the forward pass (a no-op in fp32 or when the weights themselves are cast)."""
        if self.compute_dtype == torch.float32 or not self.autocast:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.compute_dtype)

    @property
    def weight_dtype(self) -> torch.dtype:
        return torch.float32 if self.autocast else self.compute_dtype


def available_cores() -> int:
    """Cores this process may run on (CPU affinity and cgroup-limited containers respected)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def sharing_workers() -> int:
    """Worker processes sharing the machine: ``CURATION_WORKERS`` when the executor sets it.

    Unset, a process started by ``multiprocessing`` (a pool worker) assumes a full pool, one worker per core:
    too few threads each costs in proportion, but every worker starting one thread per core makes their
    threads wait on each other at every operation (measured: 3.5x slower with 2 workers on 2 cores). The
    main process alone counts as 1.
    """
    value = os.environ.get(WORKERS_ENV)
    if value is not None:
        try:
            return max(1, int(value))
        except ValueError:
            logger.warning("%s=%r is not a number of workers; ignored", WORKERS_ENV, value)
    if multiprocessing.parent_process() is not None:
        return available_cores()
    return 1


def worker_index() -> int:
    """This process's 0-based index in a ``multiprocessing`` pool (0 in the main process)."""
    identity = getattr(multiprocessing.current_process(), "_identity", ())
    return (identity[0] - 1) if identity else 0


def choose_device(requested: str) -> torch.device:
    """``auto``: this worker's GPU when CUDA is there, else CPU; any explicit torch device string is kept."""
    if requested != "auto":
        try:
            device = torch.device(requested)
        except RuntimeError as error:
            raise ValueError(f"device {requested!r} is not a torch device ('cpu', 'cuda', 'cuda:1', ...)") from error
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {requested!r} was asked for but CUDA is not available here")
        return device
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        index = worker_index() % count
        workers = sharing_workers()
        if workers > count:
            logger.warning(
                "%d worker processes share %d GPU(s): several model copies per GPU; use --workers %d for one "
                "model per GPU",
                workers,
                count,
                count,
            )
        return torch.device("cuda", index)
    return torch.device("cpu")


NATIVE_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 in hardware (AVX512-BF16 or AMX; Linux ``/proc/cpuinfo`` flags).

    Elsewhere bf16 is emulated and slower than fp32, so ``auto`` stays in fp32 there.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return any(flag in flags for flag in NATIVE_BF16_CPU_FLAGS)
    except OSError:
        pass
    return False


def choose_precision(precision: str, device: torch.device) -> torch.dtype:
    """``auto``: bf16 where the hardware computes it natively (recent GPUs and CPUs), fp16 on an older GPU,
    fp32 on other CPUs."""
    if precision == "fp32":
        return torch.float32
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32


def place(device: str, precision: str, autocast: bool | None) -> Placement:
    """Device and precision. ``autocast`` None: mixed precision on a GPU (weights stay fp32 and are cast per
    forward pass, which costs a GPU almost nothing), bf16 weights on CPU (where that cast would cost a third
    of the time)."""
    chosen = choose_device(device)
    return Placement(
        chosen, choose_precision(precision, chosen), chosen.type == "cuda" if autocast is None else autocast
    )


def cores_per_worker() -> int:
    """This worker's share of the cores (at least one)."""
    return max(1, available_cores() // sharing_workers())


def default_tokenizer_threads(is_cuda: bool) -> int:
    """Encoding threads: 1 on CPU (the model needs the cores and tokenising is a small part of the work);
    on a GPU, enough of this worker's cores to outrun the GPU (a BERT-base model on an H100 consumes a few
    million tokens/s; one thread encodes 0.2-0.6 million), keeping one core for the thread that drives it."""
    if not is_cuda:
        return 1
    return max(1, min(8, cores_per_worker() - 1))


TOKENIZERS_PARALLELISM_ENV = "TOKENIZERS_PARALLELISM"


def use_own_tokenizer_threads() -> None:
    """Turn off the Rust tokenizer's own thread pool (rayon) unless the user has set it.

    rayon starts one thread per core in every process, whatever the number of worker processes; the engine
    encodes in ``tokenizer_threads`` threads of its own instead, so its thread use is bounded and stated.
    """
    os.environ.setdefault(TOKENIZERS_PARALLELISM_ENV, "false")


def configure_cpu_threads(requested: int | None) -> int:
    """Set torch's intra-op threads: the cores divided among the workers sharing the machine, unless given.

    torch's thread count is per process, so this is called once when a worker builds its engine.
    """
    threads = requested or cores_per_worker()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
