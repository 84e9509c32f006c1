"""Device choice and thread sharing: explicit devices are checked, cores are divided among worker processes."""

from __future__ import annotations

import pytest
import torch

from curation.inference import devices
from curation.inference.devices import (
    WORKERS_ENV,
    choose_device,
    configure_cpu_threads,
    default_tokenizer_threads,
    place,
)


def test_explicit_devices_are_checked():
    assert choose_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="is not a torch device"):
        choose_device("tpu-please")
    if not torch.cuda.is_available():
        assert choose_device("auto") == torch.device("cpu")
        with pytest.raises(ValueError, match="CUDA is not available"):
            choose_device("cuda:0")


def test_cpu_threads_are_divided_among_the_workers_sharing_the_machine(monkeypatch):
    threads = torch.get_num_threads()
    monkeypatch.setattr(devices, "available_cores", lambda: 16)
    try:
        monkeypatch.setenv(WORKERS_ENV, "4")
        assert configure_cpu_threads(None) == 4 and torch.get_num_threads() == 4
        monkeypatch.setenv(WORKERS_ENV, "32")
        assert configure_cpu_threads(None) == 1
        monkeypatch.setenv(WORKERS_ENV, "not a number")
        assert configure_cpu_threads(None) == 16  # the main process alone
        monkeypatch.delenv(WORKERS_ENV)
        assert configure_cpu_threads(None) == 16
        assert configure_cpu_threads(3) == 3  # an explicit count wins
        monkeypatch.setenv(WORKERS_ENV, "2")
        assert default_tokenizer_threads(is_cuda=False) == 1
        assert default_tokenizer_threads(is_cuda=True) == 7  # 8 cores for this worker, one drives the GPU
    finally:
        torch.set_num_threads(threads)


def test_a_pool_worker_not_told_the_pool_size_assumes_one_worker_per_core(monkeypatch):
    threads = torch.get_num_threads()
    monkeypatch.setattr(devices, "available_cores", lambda: 16)
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    monkeypatch.setattr(devices.multiprocessing, "parent_process", lambda: object())
    try:
        assert configure_cpu_threads(None) == 1
    finally:
        torch.set_num_threads(threads)


def test_each_pool_worker_takes_its_own_gpu(monkeypatch):
    """Worker k of a pool gets GPU k modulo the count: one model per GPU when workers == GPUs."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    for identity, expected in (((), 0), ((1,), 0), ((2,), 1), ((6,), 1)):
        monkeypatch.setattr(devices, "worker_index", lambda identity=identity: (identity[0] - 1) if identity else 0)
        assert choose_device("auto") == torch.device("cuda", expected)


def test_autocast_default_differs_by_device():
    placement = place("cpu", "bf16", None)
    assert not placement.autocast and placement.weight_dtype == torch.bfloat16
    assert place("cpu", "bf16", True).weight_dtype == torch.float32
    assert place("cpu", "fp32", None).weight_dtype == torch.float32
