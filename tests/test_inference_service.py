"""Model processes on CPU: workers feed one model process through shared memory; a killed one fails cleanly."""

from __future__ import annotations

import multiprocessing
import os
import signal

import numpy as np
import pytest

from curation.inference import InferenceEngine
from curation.inference.service.hosts import ADDRESSES_ENV, ModelHost, ModelProcessLost
from curation.inference.service.server import model_key
from tests.test_inference_engine import (
    SMALL_BATCHES,
    bpe_tokenizer,  # noqa: F401  (fixture)
    classifier_dir,  # noqa: F401  (fixture)
    encoder_dir,  # noqa: F401  (fixture)
    mixed_texts,
    one_torch_thread_per_engine,  # noqa: F401  (fixture)
)

REMOTE = {**SMALL_BATCHES, "model_process": True, "torch_threads": 1, "tokenizer_threads": 1}
"""Small batches in windows of many batches, more than the two shared buffers: the feeder must get
buffers back while a window is still being staged."""
REMOTE.update(window=64, host_buffers=2)


def _remote_worker(folder: str, texts: list[str], results) -> None:
    """A worker process: its own engine, fed through the model process announced in its environment."""
    engine = InferenceEngine(folder, **REMOTE)
    arrays = engine.predict(texts).arrays["model"]
    results.put((os.getpid(), arrays["probabilities"], engine.report()["model_process"]))
    engine.close()


def test_workers_feeding_one_model_process_get_the_in_process_outputs_in_order(classifier_dir):  # noqa: F811
    texts = mixed_texts() * 2
    local = InferenceEngine(str(classifier_dir), **SMALL_BATCHES).predict(texts).arrays["model"]["probabilities"]
    halves = [texts[: len(texts) // 2], texts[len(texts) // 2 :]]
    with ModelHost(["cpu"]) as host:
        # this process is one worker, a spawned process another, both at once
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        other = context.Process(target=_remote_worker, args=(str(classifier_dir), halves[1], results))
        other.start()
        engine = InferenceEngine(str(classifier_dir), **REMOTE)
        mine = engine.predict(halves[0]).arrays["model"]["probabilities"]
        pid, theirs, address = results.get(timeout=120)
        other.join(timeout=30)
        report = engine.report()
        engine.close()
    assert pid != os.getpid() and address == host.addresses[0] == report["model_process"]
    assert report["device"] == "cpu" and report["batches"] > 1
    np.testing.assert_allclose(np.concatenate([mine, theirs]), local, atol=2e-5)
    assert ADDRESSES_ENV not in os.environ  # the host's announcement ends with it


def test_a_killed_model_process_fails_the_stream_and_a_new_one_serves_the_rerun(classifier_dir):  # noqa: F811
    texts = mixed_texts() * 3  # three windows: the process is killed after the first
    local = InferenceEngine(str(classifier_dir), **SMALL_BATCHES).predict(texts).arrays["model"]["probabilities"]
    with ModelHost(["cpu"]) as host:
        engine = InferenceEngine(str(classifier_dir), **REMOTE)
        stream = engine.predict_stream(texts)
        next(stream)
        os.kill(host.processes[0].pid, signal.SIGKILL)
        host.processes[0].join(timeout=10)
        with pytest.raises(ModelProcessLost, match=r"model process .* stopped"):
            list(stream)
        engine.close()
    with ModelHost(["cpu"]):
        rerun = InferenceEngine(str(classifier_dir), **REMOTE).predict(texts).arrays["model"]["probabilities"]
    np.testing.assert_allclose(rerun, local, atol=2e-5)


def test_model_process_without_a_host_is_a_clear_error(classifier_dir, monkeypatch):  # noqa: F811
    monkeypatch.delenv(ADDRESSES_ENV, raising=False)
    with pytest.raises(ModelProcessLost, match="no model process was started"):
        InferenceEngine(str(classifier_dir), **REMOTE)


def test_preloaded_models_are_shared_by_every_worker(classifier_dir):  # noqa: F811
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES)
    with ModelHost(["cpu"], preload=[(engine.specs, engine.options)]):
        first = InferenceEngine(str(classifier_dir), **SMALL_BATCHES, model_process=True)
        second = InferenceEngine(str(classifier_dir), **SMALL_BATCHES, model_process=True)
        assert first.batches.key == second.batches.key == model_key(engine.specs, engine.options)
        assert len(first.predict(["river"])) == 1 and len(second.predict(["mountain"])) == 1
