"""The perplexity stage: a causal LM's mean next-token loss per document through the engine, CCNet buckets."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from datatrove.data import Document

from curation.classify.perplexity import BucketError, Perplexity, fit_buckets, load_buckets, main
from curation.inference.losses import LOSS_SLICE_TOKENS
from tests.lm_models import save_tiny_llama

MIXED = [
    "The committee approved the budget after a long debate about schools and roads.",
    "Home | About | Contact | Login | Cart",
    "BUY NOW!!! BUY NOW!!! CHEAP PILLS!!!",
    "A short note.",
    " ".join(["The committee approved the budget after a long debate."] * 30),
    "Home | About",
    "x",
]


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    return save_tiny_llama(tmp_path_factory.mktemp("lm") / "tiny-llama", MIXED)


def _reference_losses(folder, texts, context, max_tokens):
    """Each text alone (no padding, no batching) through the causal LM, transformers computing the loss."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    values = []
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(context + text)["input_ids"][:max_tokens]
            tensor = torch.tensor([ids])
            values.append(model(input_ids=tensor, labels=tensor).loss.item() if len(ids) > 1 else float("nan"))
    return np.asarray(values)


def _run(stage, texts, metadata=None):
    documents = [Document(text=t, id=str(i), metadata=dict((metadata or {}).get(i, {}))) for i, t in enumerate(texts)]
    return list(stage.run(iter(documents)))


def test_perplexity_is_the_lms_own_loss_batched_or_not(tiny_lm):
    stage = Perplexity(model=str(tiny_lm), max_tokens=48, device="cpu", precision="fp32", decimals=6)
    assert stage.context == "<|endoftext|>", "auto: the tokenizer's end-of-text token opens each document"
    kept = _run(stage, MIXED)
    assert [d.id for d in kept] == [str(i) for i in range(len(MIXED))]
    expected = _reference_losses(tiny_lm, MIXED, "<|endoftext|>", 48)
    got = np.log([d.metadata["perplexity"] for d in kept])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert len({round(v, 3) for v in expected}) == len(MIXED), "the texts must differ for this to mean much"


def test_without_context_the_first_token_goes_unscored_and_a_single_token_has_no_perplexity(tiny_lm):
    stage = Perplexity(model=str(tiny_lm), max_tokens=48, context=None, device="cpu", precision="fp32", decimals=6)
    kept = _run(stage, [*MIXED, ""])
    expected = _reference_losses(tiny_lm, [*MIXED, ""], "", 48)
    got = np.asarray([math.log(d.metadata["perplexity"]) if d.metadata["perplexity"] else math.nan for d in kept])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert kept[-1].metadata["perplexity"] is None and len(kept) == len(MIXED) + 1, "empty text: kept, no score"
    assert stage.stats.stats["perplexity_undefined"].total >= 1


def test_the_loss_slices_add_up_to_the_whole(tiny_lm, monkeypatch):
    import curation.inference.losses as losses

    stage = Perplexity(model=str(tiny_lm), max_tokens=48, device="cpu", precision="fp32", decimals=6)
    whole = [d.metadata["perplexity"] for d in _run(stage, MIXED)]
    monkeypatch.setattr(losses, "LOSS_SLICE_TOKENS", 7)
    sliced = [d.metadata["perplexity"] for d in _run(stage, MIXED)]
    np.testing.assert_allclose(sliced, whole, rtol=1e-5)
    assert LOSS_SLICE_TOKENS > 7


def test_buckets_per_language_with_a_fallback_and_the_tail_dropped_with_a_reason(tiny_lm):
    scored = [d.metadata["perplexity"] for d in _run(Perplexity(model=str(tiny_lm), device="cpu"), MIXED)]
    low, high = sorted(scored)[2], sorted(scored)[4]
    stage = Perplexity(
        model=str(tiny_lm),
        device="cpu",
        buckets={"en": [low, high], "*": [0.0, 0.0]},
        drop_buckets=["tail"],
    )
    metadata = {i: {"language": "en"} for i in range(len(MIXED) - 1)}  # the last document has no language
    kept = _run(stage, MIXED, metadata)
    buckets = {d.id: d.metadata["perplexity_bucket"] for d in kept}
    for index, value in enumerate(scored[:-1]):
        want = "head" if value < low else "middle" if value < high else "tail"
        assert buckets.get(str(index), "tail") == want
    assert str(len(MIXED) - 1) not in buckets, "no language: the '*' edges put it in the tail, which is dropped"
    stats = stage.stats.stats
    dropped = int(stats["dropped_perplexity_tail"].total)
    assert dropped == len(MIXED) - len(kept) and dropped >= 2
    assert int(stats["total"].total) == len(kept) + dropped


def test_fit_buckets_takes_quantiles_per_language_and_pools_small_ones(tmp_path):
    rng = np.random.default_rng(0)
    english = rng.lognormal(3.0, 0.5, 300)
    german = rng.lognormal(4.0, 0.5, 300)
    rare = [50.0] * 5
    values = [*english, *german, *rare, None, float("nan")]
    languages = ["en"] * 300 + ["de"] * 300 + ["sw"] * 5 + ["en", "en"]
    buckets = fit_buckets(values, languages, min_documents=100)
    assert set(buckets["edges"]) == {"*", "en", "de"}, "sw has too few documents: it uses '*'"
    np.testing.assert_allclose(buckets["edges"]["en"], np.quantile(english, [1 / 3, 2 / 3]), rtol=1e-3)
    assert buckets["edges"]["de"][0] > buckets["edges"]["en"][1], "German perplexities sit higher: own edges"
    path = tmp_path / "buckets.json"
    path.write_text(json.dumps(buckets))
    edges, names = load_buckets(str(path))
    assert names == ["head", "middle", "tail"] and edges["en"] == buckets["edges"]["en"]


def test_bad_buckets_are_refused_at_construction(tiny_lm):
    with pytest.raises(BucketError, match="need 2 edges"):
        load_buckets({"en": [1.0]})
    with pytest.raises(BucketError, match="ascending"):
        load_buckets({"en": [5.0, 1.0]})
    with pytest.raises(BucketError, match="drop_buckets needs buckets"):
        Perplexity(model=str(tiny_lm), device="cpu", drop_buckets=["tail"])
    with pytest.raises(BucketError, match="not bucket names"):
        Perplexity(model=str(tiny_lm), device="cpu", buckets={"*": [1.0, 2.0]}, drop_buckets=["worst"])


def test_fit_command_reads_a_runs_output(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "scored"
    out.mkdir()
    values = np.linspace(10, 100, 150)
    pq.write_table(
        pa.table({"id": [str(i) for i in range(150)], "perplexity": values, "language": ["en"] * 150}),
        out / "part-0.parquet",
    )
    target = tmp_path / "buckets.json"
    assert main(["fit", str(out), "--out", str(target)]) == 0
    edges, _ = load_buckets(str(target))
    np.testing.assert_allclose(edges["en"], np.quantile(values, [1 / 3, 2 / 3]), rtol=1e-3)
    assert main(["fit", str(tmp_path / "missing"), "--out", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err
