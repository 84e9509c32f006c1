"""``safety_score``: a local classifier folder through the inference engine; tags by default, thresholds decide."""

from __future__ import annotations

from pathlib import Path

import pytest
from datatrove.data import Document

from curation.inference.synthetic import save_random_model, train_tokenizer
from curation.recipe import check_model_paths, parse_recipe
from curation.recipe.loader import RecipeError
from curation.safety.classifier import SafetyScore
from tests.helpers import docs, read_output_rows, write_jsonl
from tests.test_inference_engine import one_torch_thread_per_engine, tiny_roberta  # noqa: F401

TEXTS = [d["text"] for d in docs(40, words=60, seed=5)]


def _save(root: Path, labels: list[str], multi_label: bool, seed: int) -> Path:
    tokenizer = train_tokenizer(TEXTS, vocab_size=300, kind="bpe")
    config = tiny_roberta(len(labels))
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: index for index, label in enumerate(labels)}
    if multi_label:
        config.problem_type = "multi_label_classification"
    return save_random_model(root, config, tokenizer, "classify", seed=seed)


@pytest.fixture(scope="module")
def classifiers(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("safety_models")
    return {
        "moderation": _save(root / "moderation", ["safe", "sexual", "hate"], multi_label=False, seed=3),
        "toxicity": _save(root / "toxicity", ["toxic", "obscene", "insult"], multi_label=True, seed=4),
    }


def _documents() -> list[Document]:
    return [Document(text=text, id=f"d{i}") for i, text in enumerate(TEXTS)]


def _stage(path: Path, **params) -> SafetyScore:
    return SafetyScore(str(path), device="cpu", precision="fp32", **params)


def test_tags_every_document_by_default_with_the_unsafe_probability(classifiers):
    stage = _stage(classifiers["moderation"])
    kept = list(stage.run(iter(_documents())))
    assert len(kept) == len(TEXTS) and stage.unsafe_labels == ["sexual", "hate"]
    for document in kept:
        probabilities = dict(zip(["safe", "sexual", "hate"], document.metadata["safety_probabilities"], strict=True))
        assert abs(sum(probabilities.values()) - 1) < 1e-4
        assert document.metadata["safety_unsafe"] == max(probabilities["sexual"], probabilities["hate"])
        expected = sorted((k for k in ("sexual", "hate") if probabilities[k] >= 0.5), key=lambda k: -probabilities[k])
        assert document.metadata["safety_flagged"] == expected


def test_thresholds_per_label_decide_and_drop_counts_reasons(classifiers):
    probe = list(_stage(classifiers["toxicity"]).run(iter(_documents())))
    insults = sorted(d.metadata["safety_probabilities"][2] for d in probe)
    threshold = insults[len(insults) // 2]  # half the documents reach it
    stage = _stage(classifiers["toxicity"], thresholds={"insult": threshold, "default": 1.0}, action="drop")
    kept = list(stage.run(iter(_documents())))
    dropped = len(TEXTS) - len(kept)
    assert dropped == sum(value >= threshold for value in insults) and 0 < dropped < len(TEXTS)
    assert stage.stats["dropped_safety_insult"].total == dropped
    assert all(d.metadata["safety_probabilities"][2] < threshold for d in kept)
    assert stage.unsafe_labels == ["toxic", "obscene", "insult"]  # multi-label: no safe label


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"thresholds": {"violence": 0.5}}, "violence not among the model's labels"),
        ({"thresholds": 1.5}, "not a probability"),
        ({"safe_labels": ["safe", "sexual", "hate"]}, "every label of the model is safe"),
        ({"action": "delete"}, "action must be"),
    ],
)
def test_settings_that_cannot_work_are_refused(classifiers, params, message):
    with pytest.raises(ValueError, match=message):
        _stage(classifiers["moderation"], **params)


def test_in_a_recipe_thresholds_come_from_the_recipe_and_a_missing_folder_fails_validation(
    classifiers, run_recipe_yaml, tmp_path
):
    write_jsonl(tmp_path / "in" / "part-0.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(TEXTS)])
    recipe = (
        "stages:\n"
        "  - stage: safety_score\n"
        f"    params: {{model: {classifiers['moderation']}, thresholds: {{sexual: 0.0, hate: 1.0}}, device: cpu}}\n"
        "output: {format: jsonl}\n"
    )
    report = run_recipe_yaml(recipe, tmp_path / "in", tmp_path / "out")
    assert report.ok and report.summary["totals"]["kept"] == len(TEXTS)
    rows = read_output_rows(tmp_path / "out")
    assert all("sexual" in row["safety_flagged"] and "hate" not in row["safety_flagged"] for row in rows)
    (stage,) = [s for s in report.summary["totals"]["stages"] if s["name"] == "safety_score"]
    assert stage["counts"]["flagged_sexual"] == len(TEXTS)
    missing = parse_recipe(f"stages:\n  - stage: safety_score\n    params: {{model: {tmp_path}/nothing}}\n", "r.yaml")
    with pytest.raises(RecipeError, match="nothing"):
        check_model_paths(missing)
