"""Dynamic int8 quantisation on CPU: kept only when the outputs stay within the stated tolerance."""

from __future__ import annotations

import numpy as np
import pytest

from curation.inference import InferenceEngine
from curation.inference.outputs import Predictions
from curation.inference.quantization import compare_predictions
from curation.inference.synthetic import save_random_model, train_tokenizer
from tests.helpers import docs
from tests.test_inference_engine import (
    mixed_texts,
    one_torch_thread_per_engine,  # noqa: F401  (autouse fixture)
    tiny_roberta,
)


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    tokenizer = train_tokenizer([d["text"] for d in docs(60, words=120, seed=9)], vocab_size=300, kind="bpe")
    config = tiny_roberta(3)
    config.hidden_size, config.intermediate_size = 64, 256  # big enough for int8 kernels to matter
    return save_random_model(tmp_path_factory.mktemp("int8"), config, tokenizer, "classify", seed=4)


def _linear_types(engine: InferenceEngine) -> set[str]:
    return {type(m).__module__ for m in engine.runners[0].module.modules() if "Linear" in type(m).__name__}


def test_int8_is_kept_within_tolerance_and_its_outputs_are_close(classifier_dir):
    texts = mixed_texts()
    fp32 = InferenceEngine(str(classifier_dir), device="cpu", precision="fp32", max_length=64).predict(texts)
    engine = InferenceEngine(
        str(classifier_dir), device="cpu", precision="fp32", max_length=64, quantize="int8", quantize_tolerance=0.5
    )
    int8 = engine.predict(texts)

    assert engine.quantization.accepted
    assert engine.quantization.documents == min(len(texts), 64)
    assert any("quantized" in module for module in _linear_types(engine))
    assert engine.runners[0].reference_module is None  # the fp32 copy is released
    assert engine.models[0].module is engine.runners[0].module
    deviation = np.abs(int8.arrays["model"]["probabilities"] - fp32.arrays["model"]["probabilities"]).max()
    assert 0 < deviation <= 0.5
    assert deviation == pytest.approx(max(engine.quantization.deviations.values()), abs=0.05)


def test_int8_is_refused_with_a_warning_outside_tolerance(classifier_dir):
    texts = mixed_texts()
    fp32 = InferenceEngine(str(classifier_dir), device="cpu", precision="fp32", max_length=64).predict(texts)
    engine = InferenceEngine(
        str(classifier_dir), device="cpu", precision="fp32", max_length=64, quantize="int8", quantize_tolerance=0.0
    )
    with pytest.warns(UserWarning, match="int8 quantisation refused"):
        result = engine.predict(texts)

    assert not engine.quantization.accepted
    assert "tolerance 0" in engine.quantization.describe()
    assert not any("quantized" in module for module in _linear_types(engine))
    np.testing.assert_allclose(
        result.arrays["model"]["probabilities"], fp32.arrays["model"]["probabilities"], atol=1e-6
    )


def test_comparison_counts_label_flips_and_embedding_angles():
    labels = {"m": ["a", "b"]}
    reference = Predictions(
        {"m": {"probabilities": np.array([[0.9, 0.1], [0.51, 0.49]]), "label": np.array([0, 0])}}, labels, 2
    )
    flipped = Predictions(
        {"m": {"probabilities": np.array([[0.9, 0.1], [0.49, 0.51]]), "label": np.array([0, 1])}}, labels, 2
    )
    report = compare_predictions(reference, flipped, tolerance=0.05)
    assert report.accepted and report.label_flips == 0  # a near tie may flip
    report = compare_predictions(reference, flipped, tolerance=0.01)
    assert not report.accepted and report.label_flips == 1

    vectors = np.array([[1.0, 0.0], [0.0, 1.0]])
    turned = np.array([[1.0, 0.1], [0.0, 1.0]])
    report = compare_predictions(
        Predictions({"e": {"embedding": vectors}}, {"e": []}, 2),
        Predictions({"e": {"embedding": turned}}, {"e": []}, 2),
        0.01,
    )
    assert report.accepted and 0 < next(iter(report.deviations.values())) < 0.01
