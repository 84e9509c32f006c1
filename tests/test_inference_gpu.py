"""The GPU path: bf16 autocast, pinned host buffers, reused device buffers, OOM retry, device choice.

Every test here needs CUDA and is skipped cleanly without it; the CPU suite covers the same logic
(batching, order, OOM halving) on CPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from curation.inference import InferenceEngine
from curation.inference.devices import choose_device, choose_precision
from tests.test_inference_engine import (
    MAX_LENGTH,
    _inject_out_of_memory,
    bpe_tokenizer,  # noqa: F401  (fixture)
    classifier_dir,  # noqa: F401  (fixture)
    encoder_dir,  # noqa: F401  (fixture)
    mixed_texts,
    reference_outputs,
    reference_rows,
    softmax,
)

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def test_auto_device_and_precision_on_a_gpu():
    device = choose_device("auto")
    assert device.type == "cuda"
    expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    assert choose_precision("auto", device) == expected


def test_gpu_outputs_match_the_fp32_reference_within_bf16_tolerance(classifier_dir):  # noqa: F811
    texts = mixed_texts()
    engine = InferenceEngine(
        str(classifier_dir), device="cuda", max_length=MAX_LENGTH, max_batch_tokens=256, autocast=True
    )
    assert engine.placement.autocast and engine.placement.compute_dtype != torch.float32
    assert next(engine.runners[0].module.parameters()).dtype == torch.float32  # autocast keeps fp32 weights
    probabilities = engine.predict(texts).arrays["model"]["probabilities"]
    expected = softmax(reference_outputs(classifier_dir, reference_rows(classifier_dir, texts, MAX_LENGTH)))
    np.testing.assert_allclose(probabilities, expected, atol=0.02)
    assert (probabilities.argmax(axis=1) == expected.argmax(axis=1)).mean() > 0.9


def test_gpu_fp32_is_exact_and_embeddings_work(encoder_dir):  # noqa: F811
    texts = mixed_texts()
    engine = InferenceEngine(str(encoder_dir), device="cuda", precision="fp32", max_length=MAX_LENGTH)
    torch.backends.cuda.matmul.allow_tf32 = False
    embeddings = engine.predict(texts).arrays["model"]["embedding"]
    expected = reference_outputs(encoder_dir, reference_rows(encoder_dir, texts, MAX_LENGTH), task="embed")
    np.testing.assert_allclose(embeddings, expected, atol=1e-4)


def test_host_buffers_are_pinned_and_device_buffers_reused(classifier_dir):  # noqa: F811
    engine = InferenceEngine(str(classifier_dir), device="cuda", max_length=MAX_LENGTH, max_batch_tokens=128)
    engine.predict(mixed_texts())
    buffers = list(engine._ring._free.queue)
    assert buffers and all(buffer.ids.is_pinned() for buffer in buffers)
    pointer = engine.batches._device_ids.data_ptr()
    engine.predict(mixed_texts())
    assert engine.batches._device_ids.data_ptr() == pointer
    assert engine.counters["batches"] > 4


def test_out_of_memory_on_the_gpu_halves_and_retries(classifier_dir):  # noqa: F811
    texts = mixed_texts()
    engine = InferenceEngine(str(classifier_dir), device="cuda", max_length=MAX_LENGTH, max_batch_tokens=2048)
    expected = engine.predict(texts).arrays["model"]["probabilities"]
    _inject_out_of_memory(engine, max_tokens=300)
    retried = engine.predict(texts).arrays["model"]["probabilities"]
    assert engine.counters["oom_retries"] > 0
    np.testing.assert_allclose(retried, expected, atol=1e-3)


def test_int8_is_a_cpu_feature(classifier_dir):  # noqa: F811
    with pytest.warns(UserWarning, match="CPU feature"):
        engine = InferenceEngine(str(classifier_dir), device="cuda", quantize="int8")
    assert engine.quantization is None and len(engine.predict(["river"])) == 1


def test_default_precision_is_checked_against_fp32_on_a_bf16_gpu(classifier_dir):  # noqa: F811
    if not torch.cuda.is_bf16_supported(including_emulation=False):
        pytest.skip("needs a GPU with native bf16")
    texts = mixed_texts()
    engine = InferenceEngine(str(classifier_dir), device="cuda", max_length=MAX_LENGTH, precision_check_docs=16)
    probabilities = engine.predict(texts).arrays["model"]["probabilities"]
    report = engine.report()["precision_check"]
    assert report["chosen"] in ("bf16 weights", "bf16 autocast", "fp32") and report["rows"] >= 16
    expected = softmax(reference_outputs(classifier_dir, reference_rows(classifier_dir, texts, MAX_LENGTH)))
    np.testing.assert_allclose(probabilities, expected, atol=report["tolerance"] + 1e-3)


def test_static_shapes_with_compile_on_the_gpu(classifier_dir):  # noqa: F811
    texts = mixed_texts()
    options = {"device": "cuda", "max_length": MAX_LENGTH, "max_batch_tokens": 256, "precision": "fp32"}
    expected = InferenceEngine(str(classifier_dir), **options).predict(texts).arrays["model"]["probabilities"]
    engine = InferenceEngine(str(classifier_dir), **options, static_shapes=True, compile=True, length_buckets=(16, 32))
    probabilities = engine.predict(texts).arrays["model"]["probabilities"]
    np.testing.assert_allclose(probabilities, expected, atol=1e-3)
    assert {length for _, length, _ in engine.batches.shapes_seen} <= {16, 32, MAX_LENGTH}
