"""Precision check, exact pre-cutting of long texts, and static-shape batches, all on CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from curation.inference import InferenceEngine, forward
from curation.inference.batching import plan_batches
from curation.inference.tokenization import DocumentTokenizer, is_space_splitting
from tests.test_inference_engine import (
    SMALL_BATCHES,
    bpe_tokenizer,  # noqa: F401  (fixture)
    classifier_dir,  # noqa: F401  (fixture)
    encoder_dir,  # noqa: F401  (fixture)
    mixed_texts,
    one_torch_thread_per_engine,  # noqa: F401  (fixture)
)

CHECKED = {**SMALL_BATCHES, "precision": "auto", "precision_check": True, "precision_check_docs": 16}


@pytest.fixture
def native_bf16_cpu(monkeypatch):
    """A CPU that computes bf16 itself (where the check runs on a CPU when asked for)."""
    monkeypatch.setattr(forward, "cpu_has_native_bf16", lambda: True)


def test_precision_check_keeps_the_fastest_precision_within_tolerance(classifier_dir, native_bf16_cpu):  # noqa: F811
    texts = mixed_texts()
    exact = InferenceEngine(str(classifier_dir), **SMALL_BATCHES).predict(texts).arrays["model"]["probabilities"]
    engine = InferenceEngine(str(classifier_dir), **CHECKED, precision_tolerance=0.5)
    assert engine.precision is None and "until the precision check" in engine.describe()

    probabilities = engine.predict(texts).arrays["model"]["probabilities"]

    report = engine.report()["precision_check"]
    assert report["chosen"] == "bf16 weights" and report["rows"] >= 16
    assert set(report["candidates"]) == {"bf16 weights", "bf16 autocast"}
    assert engine.placement.compute_dtype == torch.bfloat16 and not engine.placement.autocast
    assert next(engine.runners[0].module.parameters()).dtype == torch.bfloat16
    assert 0 < np.abs(probabilities - exact).max() < 0.5


def _perturb_bf16_weights(engine: InferenceEngine) -> None:
    """Make the bf16-weights copy wrong by far more than any tolerance (its logits shifted by 3)."""
    for module in engine.batches._variant_modules["bf16 weights"]:
        module.classifier.out_proj.bias.data += torch.tensor([3.0, 0.0, 0.0], dtype=torch.bfloat16)


def test_precision_check_falls_back_when_the_tolerance_is_exceeded(classifier_dir, native_bf16_cpu, caplog):  # noqa: F811
    texts = mixed_texts()
    engine = InferenceEngine(str(classifier_dir), **CHECKED, precision_tolerance=0.05)
    _perturb_bf16_weights(engine)
    with caplog.at_level("INFO", logger="curation.inference.forward"):
        engine.predict(texts)
    report = engine.report()["precision_check"]
    assert not report["candidates"]["bf16 weights"]["accepted"]
    assert report["chosen"] == "bf16 autocast" and engine.placement.autocast
    assert next(engine.runners[0].module.parameters()).dtype == torch.float32  # autocast keeps fp32 weights
    assert "precision check: kept bf16 autocast" in caplog.text


def test_precision_check_falls_back_to_fp32_when_nothing_is_within_tolerance(classifier_dir, native_bf16_cpu):  # noqa: F811
    texts = mixed_texts()
    exact = InferenceEngine(str(classifier_dir), **SMALL_BATCHES).predict(texts).arrays["model"]["probabilities"]
    engine = InferenceEngine(str(classifier_dir), **CHECKED, precision_tolerance=0.0)
    probabilities = engine.predict(texts).arrays["model"]["probabilities"]
    assert engine.report()["precision_check"]["chosen"] == "fp32"
    assert engine.placement.compute_dtype == torch.float32
    np.testing.assert_array_equal(probabilities, exact)  # checked rows get fp32 outputs, later rows run in fp32


def test_no_precision_check_where_the_precision_is_given(classifier_dir, native_bf16_cpu):  # noqa: F811
    engine = InferenceEngine(str(classifier_dir), **{**CHECKED, "precision": "fp32"})
    engine.predict(["river"])
    assert engine.precision is None and "precision_check" not in engine.report()


def _long_texts() -> list[str]:
    texts = [t for t in mixed_texts() if len(t) > 2000]
    return [*texts, "short text, kept whole", ("punctuation, right; before: spaces! " * 300)]


def _tokenizers(classifier_dir):  # noqa: F811
    from curation.classify.card import bundled_minilm_path

    found = [("bpe", AutoTokenizer.from_pretrained(str(classifier_dir)))]
    minilm = bundled_minilm_path()
    if minilm is not None:
        found.append(("wordpiece", AutoTokenizer.from_pretrained(str(minilm))))
    return found


@pytest.mark.parametrize("policy", [{"long_documents": "truncate"}, {"long_documents": "chunk", "max_chunks": 3}])
def test_cut_texts_give_the_same_ids_as_whole_texts(classifier_dir, policy):  # noqa: F811
    texts = _long_texts()
    for _, hf_tokenizer in _tokenizers(classifier_dir):
        cutting = DocumentTokenizer(hf_tokenizer, 48, **policy)
        whole = DocumentTokenizer(hf_tokenizer, 48, **policy)
        assert cutting.cuts_texts
        whole.cuts_texts = False
        encoded_inputs: list[int] = []
        encode = cutting.backend.encode_batch

        def spy(inputs, encode=encode, seen=encoded_inputs, **kwargs):
            seen.extend(len(text) for text in inputs)
            return encode(inputs, **kwargs)

        cutting.backend = _Spy(cutting.backend, spy)
        cut = cutting.encode(texts)
        reference = whole.encode(texts)
        assert cut.ids == reference.ids
        assert cut.truncated == reference.truncated
        np.testing.assert_array_equal(cut.row_document, reference.row_document)
        assert max(map(len, texts)) not in encoded_inputs  # the longest text was cut before encoding
        assert 30_000 in encoded_inputs  # a text without spaces cannot be cut safely: it is encoded whole


class _Spy:
    """A tokenizer whose ``encode_batch`` is observed (the Rust object's methods cannot be replaced)."""

    def __init__(self, backend, encode_batch):
        self._backend = backend
        self.encode_batch = encode_batch


def test_tokenizers_not_known_to_split_at_spaces_are_never_cut():
    assert is_space_splitting({"pre_tokenizer": {"type": "ByteLevel", "use_regex": True}})
    assert is_space_splitting({"normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "BertPreTokenizer"}})
    assert not is_space_splitting({"pre_tokenizer": None})
    assert not is_space_splitting({"pre_tokenizer": {"type": "ByteLevel", "use_regex": False}})
    assert not is_space_splitting({"pre_tokenizer": {"type": "Metaspace", "split": False}})
    assert not is_space_splitting({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "x"}}})
    replace_join = {"type": "Replace", "pattern": {"String": "a b"}, "content": "ab"}
    assert not is_space_splitting({"normalizer": replace_join, "pre_tokenizer": {"type": "Whitespace"}})
    collapse = {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}
    assert is_space_splitting({"normalizer": collapse, "pre_tokenizer": {"type": "Metaspace"}})


def test_static_shapes_use_a_fixed_set_of_shapes_and_give_the_same_outputs(classifier_dir):  # noqa: F811
    texts = mixed_texts() * 2
    exact = InferenceEngine(str(classifier_dir), **SMALL_BATCHES).predict(texts).arrays["model"]["probabilities"]
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES, static_shapes=True, length_buckets=(8, 16, 32))
    probabilities = engine.predict(texts).arrays["model"]["probabilities"]
    np.testing.assert_allclose(probabilities, exact, atol=2e-5)
    report = engine.report()
    assert report["length_buckets"] == [8, 16, 32, 48]
    shapes = {(rows, length) for rows, length, _ in engine.batches.shapes_seen}
    assert shapes <= {(max(1, min(160 // b, 1 << 30)), b) for b in (8, 16, 32, 48)}
    assert report["padding_overhead"] > 0


def test_static_plans_pad_rows_to_their_bucket():
    lengths = np.array([3, 9, 17, 40, 48, 1])
    plans = plan_batches(lengths, 160, 1000, buckets=(8, 16, 32, 48))
    assert sorted(np.concatenate([p.rows for p in plans]).tolist()) == list(range(6))
    assert all(p.length in (8, 16, 32, 48) and lengths[p.rows].max() <= p.length for p in plans)
