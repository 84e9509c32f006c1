"""LM-as-classifier: a tiny causal LM (built from a config) turned into a classifier the engine runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datatrove.data import Document

from curation.classify.lm_classifier import (
    DEFAULT_PROMPT,
    LMClassifierError,
    LMQualityScore,
    build_lm_classifier,
    load_prompt,
)

TEXTS = [
    "The committee approved the budget after a long debate about schools and roads.",
    "Home | About | Contact | Login | Cart",
    "BUY NOW!!! BUY NOW!!! CHEAP PILLS!!!",
    "A short note.",
]


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> Path:
    """A 2-layer Llama with random weights and a byte-level BPE tokenizer trained here (GPT-2 style)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    backend.train_from_iterator([DEFAULT_PROMPT, *TEXTS] * 5, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|endoftext|>", model_max_length=2048)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("lm") / "tiny-llama"
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _reference(lm: Path, framed: list[str], answer_ids: list[int]) -> np.ndarray:
    """P("Yes") / (P("No") + P("Yes")) from the causal LM's own next-token logits, one text at a time."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(lm)
    model = AutoModelForCausalLM.from_pretrained(lm).eval()
    values = []
    with torch.no_grad():
        for text in framed:
            ids = tokenizer(text, return_tensors="pt")["input_ids"]
            logits = model(input_ids=ids).logits[0, -1, answer_ids]
            values.append(torch.softmax(logits, dim=-1)[1].item())
    return np.asarray(values)


def test_the_score_is_the_lms_probability_of_yes_among_the_answers(tiny_lm, tmp_path):
    folder = build_lm_classifier(str(tiny_lm), tmp_path / "lm-classifier", max_document_tokens=64)
    settings = load_prompt(folder)
    assert (folder / "model.safetensors").is_file() and settings["answers"] == ["No", "Yes"]
    stage = LMQualityScore(model=str(folder), device="cpu", precision="fp32", decimals=6)
    documents = [Document(text=t, id=str(i)) for i, t in enumerate(TEXTS)]
    kept = list(stage.run(iter(documents)))
    framed = [settings["prefix"] + t + settings["suffix"] for t in TEXTS]
    expected = _reference(tiny_lm, framed, settings["answer_token_ids"])
    np.testing.assert_allclose([d.metadata["lm_quality_score"] for d in kept], expected, atol=1e-4)
    assert len({round(v, 4) for v in expected}) > 1, "the reference must tell the texts apart for this to mean much"


def test_a_long_document_is_cut_so_the_question_survives(tiny_lm):
    stage = LMQualityScore(model=str(tiny_lm), device="cpu", max_document_tokens=20)
    long_text = " ".join(["The committee approved the budget."] * 200)
    (framed,) = stage.prepare_batch([long_text])
    assert framed.startswith(stage.prefix) and framed.endswith(stage.suffix)
    body = framed[len(stage.prefix) : -len(stage.suffix)]
    assert long_text.startswith(body) and 0 < len(body) < 200
    kept = list(stage.run(iter([Document(text=long_text, id="x")])))
    assert 0.0 <= kept[0].metadata["lm_quality_score"] <= 1.0


def test_threshold_filter_drops_with_a_reason(tiny_lm):
    stage = LMQualityScore(model=str(tiny_lm), device="cpu", threshold=1.01, drop_below_threshold=True)
    kept = list(stage.run(iter([Document(text=t, id=str(i)) for i, t in enumerate(TEXTS)])))
    assert not kept and stage.stats.stats["dropped_lm_quality_below_threshold"].total == len(TEXTS)


def test_a_prompt_without_the_text_slot_is_refused(tiny_lm, tmp_path):
    with pytest.raises(LMClassifierError, match="exactly once"):
        build_lm_classifier(str(tiny_lm), tmp_path / "x", prompt="Is this good? Answer:")
