"""The engine against an unbatched, unsorted reference on a tiny real model, with awkward input.

The reference runs each document alone through transformers' own tokenizer call (truncation to
``max_length``) and the model, in input order, with no padding at all; the engine sorts, batches under a
token budget, pads, cuts long texts before encoding, retries on out-of-memory, and must give the same
numbers in the same order.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer, RobertaConfig

from curation.inference import EngineOptions, InferenceEngine, ModelSpec, devices
from curation.inference.batching import plan_batches
from curation.inference.devices import WORKERS_ENV, available_cores
from curation.inference.engine import InferenceOutOfMemory
from curation.inference.options import OptionsError
from curation.inference.synthetic import save_random_model, train_tokenizer
from tests.helpers import docs

MAX_LENGTH = 48
TOLERANCE = 2e-5


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread_per_engine():
    """Engines here behave as workers that each have one core (``CURATION_WORKERS`` = the core count).

    Tiny models gain nothing from intra-op threads, and on a shared machine with busy cores, threads that
    wait for each other at every operation make them slower, not faster.
    """
    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WORKERS_ENV, str(available_cores()))
        torch.set_num_threads(1)
        yield
    torch.set_num_threads(threads)


def _corpus_texts() -> list[str]:
    return [d["text"] for d in docs(60, words=120, seed=3)]


def mixed_texts() -> list[str]:
    """Empty, tiny, ordinary, very long, whitespace-free, non-Latin and oddly spaced documents, shuffled."""
    rng = random.Random(7)
    ordinary = [d["text"] for d in docs(30, words=rng.randint(5, 60), seed=11)]
    lengths = [d["text"] for d in (docs(1, words=w, seed=w)[0] for w in (1, 2, 40, 47, 48, 90, 300))]
    very_long = " ".join(d["text"] for d in docs(40, words=500, seed=5))  # ~20k words
    texts = [
        "",
        " ",
        "word",
        *ordinary,
        *lengths,
        very_long,
        "x" * 30_000,  # no whitespace at all: a cut can never be proven safe
        "数据清洗的目标是保留高质量的文本。" * 400,  # many tokens per character
        ("river   \n\n\t  mountain " * 2000),  # long whitespace runs
        "a" + " " * 5000 + "b",
    ]
    rng.shuffle(texts)
    return texts


@pytest.fixture(scope="module")
def bpe_tokenizer():
    return train_tokenizer([*_corpus_texts(), "数据清洗的目标是保留高质量的文本。"], vocab_size=400, kind="bpe")


def tiny_roberta(num_labels: int = 3) -> RobertaConfig:
    return RobertaConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
        num_labels=num_labels,
    )


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory, bpe_tokenizer) -> Path:
    return save_random_model(tmp_path_factory.mktemp("roberta_cls"), tiny_roberta(3), bpe_tokenizer, "classify", 1)


@pytest.fixture(scope="module")
def regressor_dir(tmp_path_factory, bpe_tokenizer) -> Path:
    return save_random_model(tmp_path_factory.mktemp("roberta_reg"), tiny_roberta(1), bpe_tokenizer, "classify", 2)


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory, bpe_tokenizer) -> Path:
    return save_random_model(tmp_path_factory.mktemp("roberta_enc"), tiny_roberta(), bpe_tokenizer, "embed", 3)


def reference_rows(folder: Path, texts: list[str], max_length: int, chunk_overlap: int | None = None):
    """Per document, the list of token-id rows transformers' own tokenizer call gives."""
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    rows = []
    for text in texts:
        if chunk_overlap is None:
            rows.append([tokenizer(text, truncation=True, max_length=max_length)["input_ids"]])
        else:
            encoded = tokenizer(
                text, truncation=True, max_length=max_length, stride=chunk_overlap, return_overflowing_tokens=True
            )
            rows.append(encoded["input_ids"])
    return rows


@torch.inference_mode()
def reference_outputs(folder: Path, rows_per_document, task: str = "classify", aggregate: str = "mean"):
    """One forward pass per row, batch of one, no padding; rows of a document aggregated like the engine."""
    cls = AutoModelForSequenceClassification if task == "classify" else AutoModel
    model = cls.from_pretrained(str(folder)).eval()
    results = []
    for rows in rows_per_document:
        per_row = []
        for ids in rows:
            output = model(input_ids=torch.tensor([ids]))
            if task == "classify":
                per_row.append(output.logits[0].float().numpy())
            else:
                per_row.append(output.last_hidden_state[0].mean(dim=0).float().numpy())
        stacked = np.stack(per_row)
        results.append(stacked.mean(axis=0) if aggregate == "mean" else stacked.max(axis=0))
    return np.stack(results)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


SMALL_BATCHES = {"max_length": MAX_LENGTH, "max_batch_tokens": 160, "window": 9, "device": "cpu", "precision": "fp32"}


def test_classifier_outputs_equal_unbatched_reference_in_input_order(classifier_dir):
    texts = mixed_texts()
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES)
    predictions = engine.predict(texts)
    expected = softmax(reference_outputs(classifier_dir, reference_rows(classifier_dir, texts, MAX_LENGTH)))

    assert len(predictions) == len(texts)
    probabilities = predictions.arrays["model"]["probabilities"]
    np.testing.assert_allclose(probabilities, expected, atol=TOLERANCE)
    np.testing.assert_array_equal(predictions.arrays["model"]["label"], expected.argmax(axis=1))
    # several windows and several batches per window were needed, and sorting actually reordered rows
    assert engine.counters["batches"] > len(texts) / SMALL_BATCHES["window"]
    tokenizer = AutoTokenizer.from_pretrained(str(classifier_dir))
    assert engine.counters["truncated"] == sum(len(tokenizer(t)["input_ids"]) > MAX_LENGTH for t in texts)


def test_order_is_preserved_for_any_permutation(classifier_dir):
    texts = mixed_texts()
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES)
    baseline = engine.predict(texts).arrays["model"]["probabilities"]
    permutation = np.random.default_rng(1).permutation(len(texts))
    permuted = engine.predict([texts[i] for i in permutation]).arrays["model"]["probabilities"]
    np.testing.assert_allclose(permuted, baseline[permutation], atol=TOLERANCE)


def test_truncated_rows_are_the_tokenizer_heads_even_for_cut_texts(classifier_dir):
    """Cutting long texts before encoding must give exactly the ids encoding the whole text gives."""
    texts = mixed_texts()
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES)
    window = engine.tokenizer.encode(texts)
    expected = [rows[0] for rows in reference_rows(classifier_dir, texts, MAX_LENGTH)]
    assert window.ids == expected


def test_predictions_document_gives_label_names(classifier_dir):
    engine = InferenceEngine(str(classifier_dir), device="cpu", precision="fp32", max_length=MAX_LENGTH)
    predictions = engine.predict(["a river in the valley", ""])
    first = predictions.document(0)["model"]
    assert first["label"] in {"LABEL_0", "LABEL_1", "LABEL_2"}
    assert sum(first["probabilities"]) == pytest.approx(1.0, abs=1e-5)


def test_regression_head_gives_scores(regressor_dir):
    texts = mixed_texts()
    engine = InferenceEngine(str(regressor_dir), **SMALL_BATCHES)
    predictions = engine.predict(texts)
    expected = reference_outputs(regressor_dir, reference_rows(regressor_dir, texts, MAX_LENGTH))
    np.testing.assert_allclose(predictions.arrays["model"]["score"], expected, atol=TOLERANCE)
    assert isinstance(predictions.document(0)["model"]["score"], float)


def test_bare_encoder_gives_mean_pooled_embeddings(encoder_dir):
    texts = mixed_texts()
    engine = InferenceEngine(str(encoder_dir), **SMALL_BATCHES)
    embeddings = engine.predict(texts).arrays["model"]["embedding"]
    expected = reference_outputs(encoder_dir, reference_rows(encoder_dir, texts, MAX_LENGTH), task="embed")
    np.testing.assert_allclose(embeddings, expected, atol=TOLERANCE)

    normalized = InferenceEngine(ModelSpec(str(encoder_dir), normalize_embeddings=True), **SMALL_BATCHES)
    vectors = normalized.predict(texts).arrays["model"]["embedding"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("aggregate", ["mean", "max"])
def test_chunked_long_documents_aggregate_their_windows(classifier_dir, aggregate):
    texts = [t for t in mixed_texts() if len(t) < 40_000]  # keep the reference quick
    overlap = 8
    engine = InferenceEngine(
        str(classifier_dir), **SMALL_BATCHES, long_documents="chunk", chunk_overlap=overlap, chunk_aggregate=aggregate
    )
    predictions = engine.predict(texts)
    rows = reference_rows(classifier_dir, texts, MAX_LENGTH, chunk_overlap=overlap)
    expected = reference_outputs(classifier_dir, [[r] for doc in rows for r in doc])
    per_row = softmax(expected)
    owners = np.repeat(np.arange(len(texts)), [len(doc) for doc in rows])
    combine = np.mean if aggregate == "mean" else np.max
    expected_docs = np.stack([combine(per_row[owners == i], axis=0) for i in range(len(texts))])

    assert predictions.rows == len(owners) > len(texts)
    np.testing.assert_allclose(predictions.arrays["model"]["probabilities"], expected_docs, atol=TOLERANCE)
    assert predictions.truncated == 0


def test_max_chunks_keeps_the_first_windows(classifier_dir):
    texts = [t for t in mixed_texts() if len(t) < 40_000]
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES, long_documents="chunk", max_chunks=2)
    window = engine.tokenizer.encode(texts)
    expected = [doc[:2] for doc in reference_rows(classifier_dir, texts, MAX_LENGTH, chunk_overlap=0)]
    assert window.ids == [row for doc in expected for row in doc]
    assert window.truncated == sum(len(doc) > 2 for doc in reference_rows(classifier_dir, texts, MAX_LENGTH, 0))


def _inject_out_of_memory(engine: InferenceEngine, max_tokens: int) -> list[tuple[int, int]]:
    """Make every model raise CUDA's out-of-memory error for batches above ``max_tokens`` padded tokens."""
    seen: list[tuple[int, int]] = []

    def refuse_large_batches(_module, _args, kwargs):
        shape = tuple(kwargs["input_ids"].shape)
        seen.append(shape)
        if shape[0] * shape[1] > max_tokens:
            raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate a {shape} batch")

    for runner in engine.runners:
        runner.module.register_forward_pre_hook(refuse_large_batches, with_kwargs=True)
    return seen


def test_out_of_memory_halves_the_batch_and_gives_the_same_outputs(classifier_dir):
    texts = mixed_texts()
    engine = InferenceEngine(str(classifier_dir), **{**SMALL_BATCHES, "max_batch_tokens": 1024, "window": 64})
    expected = engine.predict(texts).arrays["model"]["probabilities"]
    shapes = _inject_out_of_memory(engine, max_tokens=200)

    retried = engine.predict(texts)

    assert engine.counters["oom_retries"] > 0
    assert engine._budget < 1024  # later batches are planned with the lowered budget
    assert all(rows * length <= 1024 for rows, length in shapes)
    np.testing.assert_allclose(retried.arrays["model"]["probabilities"], expected, atol=TOLERANCE)


def test_out_of_memory_on_a_single_row_is_a_clear_error(classifier_dir):
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES)
    _inject_out_of_memory(engine, max_tokens=10)
    with pytest.raises(InferenceOutOfMemory, match=r"one row of \d+ tokens does not fit"):
        engine.predict(["river " * 100])
    # the engine stays usable afterwards
    engine.runners[0].module._forward_pre_hooks.clear()
    assert len(engine.predict(["river"])) == 1


def test_models_sharing_a_tokenizer_share_one_tokenisation_pass(classifier_dir, regressor_dir, encoder_dir):
    texts = mixed_texts()
    specs = [
        ModelSpec(str(classifier_dir), name="quality"),
        ModelSpec(str(regressor_dir), name="edu"),
        ModelSpec(str(encoder_dir), name="topic"),
        ModelSpec(str(classifier_dir), name="quality_embedding", outputs=("embedding", "logits")),
    ]
    engine = InferenceEngine(specs, **SMALL_BATCHES)
    assert len(engine.runners) == 3  # the two views of the classifier share its module and forward pass
    calls = []
    engine.tokenizer.backend = _CountingBackend(engine.tokenizer.backend, calls)
    predictions = engine.predict(texts)

    assert len(texts) <= sum(calls) < 2 * len(texts)  # one pass (and a few re-encoded cuts), not one per model
    rows = reference_rows(classifier_dir, texts, MAX_LENGTH)
    np.testing.assert_allclose(
        predictions.arrays["quality"]["probabilities"], softmax(reference_outputs(classifier_dir, rows)), atol=TOLERANCE
    )
    np.testing.assert_allclose(
        predictions.arrays["edu"]["score"], reference_outputs(regressor_dir, rows), atol=TOLERANCE
    )
    np.testing.assert_allclose(
        predictions.arrays["topic"]["embedding"], reference_outputs(encoder_dir, rows, task="embed"), atol=TOLERANCE
    )
    np.testing.assert_allclose(
        predictions.arrays["quality_embedding"]["logits"], reference_outputs(classifier_dir, rows), atol=TOLERANCE
    )
    assert predictions.arrays["quality_embedding"]["embedding"].shape == (len(texts), 32)


class _CountingBackend:
    """Wraps a tokenizers backend to count how many texts it encodes."""

    def __init__(self, backend, calls: list[int]):
        self._backend = backend
        self._calls = calls

    def encode_batch(self, texts, **kwargs):
        self._calls.append(len(texts))
        return self._backend.encode_batch(texts, **kwargs)


def test_models_with_different_tokenizers_are_refused(classifier_dir, tmp_path):
    other = train_tokenizer(_corpus_texts(), vocab_size=300, kind="wordpiece")
    other_dir = save_random_model(tmp_path / "other", tiny_roberta(2), other, "classify")
    with pytest.raises(OptionsError, match="different tokenizers"):
        InferenceEngine(
            [ModelSpec(str(classifier_dir), name="a"), ModelSpec(str(other_dir), name="b")],
            device="cpu",
            precision="fp32",
        )


def test_stream_yields_windows_in_order_from_a_generator(classifier_dir):
    texts = mixed_texts()
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES)
    parts = list(engine.predict_stream(text for text in texts))
    assert [len(p) for p in parts[:-1]] == [SMALL_BATCHES["window"]] * (len(parts) - 1)
    assert sum(len(p) for p in parts) == len(texts)
    empty = engine.predict([])
    assert len(empty) == 0 and empty.arrays["model"]["probabilities"].shape == (0, 3)


def test_an_error_in_the_input_reaches_the_caller(classifier_dir):
    def texts():
        yield "fine"
        raise ValueError("upstream broke")

    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES)
    with pytest.raises(ValueError, match="upstream broke"):
        engine.predict(texts())
    assert len(engine.predict(["still works"])) == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"max_batch_tokens": 8, "max_length": 48}, "must hold one full row"),
        ({"precision": "int4"}, "precision"),
        ({"long_documents": "summarise"}, "long_documents"),
        ({"quantize_tolerance": -1.0}, "quantize_tolerance"),
        ({"window": 0}, "window"),
    ],
)
def test_bad_options_are_refused_with_what_is_allowed(overrides, message):
    with pytest.raises(OptionsError, match=message):
        EngineOptions(**overrides)


def test_max_length_beyond_the_model_is_refused(classifier_dir):
    with pytest.raises(OptionsError, match="more than the model allows"):
        InferenceEngine(str(classifier_dir), device="cpu", precision="fp32", max_length=1000)


def test_defaults_come_from_the_model(classifier_dir):
    engine = InferenceEngine(str(classifier_dir), device="cpu", precision="fp32")
    assert engine.max_length == 129  # 130 positions less the padding offset (pad id 0 here, 1 in RoBERTa: 514 -> 512)
    assert engine.describe().startswith("model (classify: probabilities, label) on cpu in float32")


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_only_on_a_cpu_that_computes_it(classifier_dir, monkeypatch, native):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: native)
    texts = mixed_texts()
    exact = InferenceEngine(str(classifier_dir), **SMALL_BATCHES).predict(texts)
    engine = InferenceEngine(str(classifier_dir), **{**SMALL_BATCHES, "precision": "auto"})
    expected = torch.bfloat16 if native else torch.float32
    assert engine.placement.compute_dtype == expected
    assert next(engine.runners[0].module.parameters()).dtype == expected  # on CPU the weights are cast
    probabilities = engine.predict(texts).arrays["model"]["probabilities"]
    deviation = np.abs(probabilities - exact.arrays["model"]["probabilities"]).max()
    assert (0 < deviation < 0.05) if native else deviation == 0


def test_int8_runs_on_an_fp32_model(classifier_dir, monkeypatch):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: True)
    engine = InferenceEngine(str(classifier_dir), device="cpu", quantize="int8")
    assert engine.placement.compute_dtype == torch.float32
    with pytest.raises(OptionsError, match="quantises an fp32 model"):
        InferenceEngine(str(classifier_dir), device="cpu", quantize="int8", precision="bf16")


def test_batches_respect_the_token_budget_and_the_padding_limit():
    lengths = np.array([5, 512, 300, 298, 40, 512, 7, 299, 100, 1])
    for budget, padding in ((1024, None), (2048, 0.05), (600, 0.0), (100_000, 0.5)):
        plans = plan_batches(lengths, budget, max_batch_size=1000, max_padding=padding)
        rows = np.concatenate([plan.rows for plan in plans])
        assert sorted(rows.tolist()) == list(range(len(lengths)))  # every row exactly once
        for plan in plans:
            assert plan.length == lengths[plan.rows].max()
            assert len(plan.rows) == 1 or len(plan.rows) * plan.length <= budget
            if padding is not None and len(plan.rows) > 1:
                assert len(plan.rows) * plan.length <= (1 + padding) * lengths[plan.rows].sum()
    assert [len(p.rows) for p in plan_batches(lengths, 1024, 1000, max_padding=0.0)] == [2, 1, 1, 1, 1, 1, 1, 1, 1]
    assert plan_batches(lengths, 1024, 1000, pad_to_multiple=8)[1].length == 304


def test_tokenizer_threads_split_a_window_without_changing_it(classifier_dir):
    texts = mixed_texts() * 3
    single = InferenceEngine(str(classifier_dir), **SMALL_BATCHES, tokenizer_threads=1)
    threaded = InferenceEngine(str(classifier_dir), **SMALL_BATCHES, tokenizer_threads=3)
    assert threaded.tokenizer.encode(texts).ids == single.tokenizer.encode(texts).ids
    np.testing.assert_array_equal(
        threaded.predict(texts).arrays["model"]["probabilities"],
        single.predict(texts).arrays["model"]["probabilities"],
    )
    threaded.close()
    assert len(threaded.predict(["after close, tokenising falls back to the calling thread"])) == 1


def test_one_stream_at_a_time(classifier_dir):
    engine = InferenceEngine(str(classifier_dir), **SMALL_BATCHES)
    first = engine.predict_stream(mixed_texts())
    next(first)
    with pytest.raises(RuntimeError, match="already running a stream"):
        engine.predict(["second"])
    first.close()
    assert len(engine.predict(["second"])) == 1
