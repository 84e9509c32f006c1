"""The topic algorithms on their own: sampling, spherical k-means, confidence, c-TF-IDF, naming, the model folder."""

from __future__ import annotations

import numpy as np
import pytest

from curation.topics import keywords as kw
from curation.topics.confidence import confidence, similarity_quantiles
from curation.topics.kmeans import ClusteringError, assign, fit_centroids, normalize_rows, spherical_update
from curation.topics.model import TopicModel, TopicModelError
from curation.topics.naming import NamingRequest, keyword_name, name_key, name_topics
from curation.topics.sampling import bottom_k, priorities, sample_fingerprint


def clustered(points_per_cluster: int, centers: int, dimension: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    middles = normalize_rows(rng.standard_normal((centers, dimension)))
    labels = np.repeat(np.arange(centers), points_per_cluster)
    vectors = middles[labels] + 0.15 * rng.standard_normal((len(labels), dimension)).astype(np.float32)
    return normalize_rows(vectors), labels


def test_bottom_k_sample_is_the_same_whatever_the_shard_order_and_is_uniform():
    shards = [priorities([f"d{s}-{i}" for i in range(n)], f"s{s}", seed=7) for s, n in enumerate([50, 300, 120, 5])]
    forward = bottom_k(enumerate(shards), 100)
    backward = bottom_k(reversed(list(enumerate(shards))), 100)
    assert np.array_equal(forward[0], backward[0]) and np.array_equal(forward[1], backward[1])
    assert len(forward[0]) == 100
    # each shard contributes about its share of the corpus (475 docs): a uniform sample, not the first shards
    share = np.bincount(forward[0], minlength=4) / 100
    assert np.allclose(share, np.array([50, 300, 120, 5]) / 475, atol=0.12)
    other_seed = bottom_k(enumerate(priorities([f"d{s}-{i}" for i in range(n)], f"s{s}", 8) for s, n in
                                    enumerate([50, 300, 120, 5])), 100)  # fmt: skip
    stems = ["s0", "s1", "s2", "s3"]
    assert sample_fingerprint(stems, *forward, 7) != sample_fingerprint(stems, *other_seed, 8)
    everything = bottom_k(enumerate(shards), 10_000)
    assert len(everything[0]) == 475


def test_spherical_kmeans_recovers_clusters_and_is_deterministic():
    vectors, labels = clustered(40, 4, 16, seed=1)
    first = fit_centroids(vectors, 4, seed=3)
    again = fit_centroids(vectors, 4, seed=3)
    assert np.array_equal(first, again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    found = assign(vectors, first).topic
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(labels, found) == 1.0
    minibatch = fit_centroids(vectors, 4, seed=3, algorithm="minibatch")
    assert adjusted_rand_score(labels, assign(vectors, minibatch).topic) == 1.0
    with pytest.raises(ClusteringError, match="at least 200 documents"):
        fit_centroids(vectors, 200)


def test_assignment_in_chunks_equals_one_block_and_update_is_order_independent():
    vectors, _ = clustered(30, 3, 8, seed=2)
    centroids = fit_centroids(vectors, 3, seed=0)
    whole = assign(vectors, centroids, chunk_rows=10_000)
    chunked = assign(vectors, centroids, chunk_rows=7)
    assert np.array_equal(whole.topic, chunked.topic)
    assert np.allclose(whole.similarity, chunked.similarity)
    assert (whole.similarity >= whole.runner_up).all()
    shuffled = np.random.default_rng(0).permutation(len(vectors))
    assert np.allclose(spherical_update(vectors, centroids), spherical_update(vectors[shuffled], centroids), atol=1e-6)


def test_confidence_is_the_position_in_the_topics_own_distribution():
    rng = np.random.default_rng(0)
    topics = np.repeat([0, 1], 200)
    similarity = np.concatenate([rng.uniform(0.2, 0.4, 200), rng.uniform(0.7, 0.9, 200)]).astype(np.float32)
    grid = similarity_quantiles(topics, similarity, 3)  # topic 2 has no members: the overall grid
    sure = confidence(np.array([0, 0, 1, 1, 2]), np.array([0.39, 0.21, 0.89, 0.5, 0.55], np.float32), grid)
    assert sure[0] > 0.9 and sure[1] < 0.1 and sure[2] > 0.9 and sure[3] == 0.0
    assert 0.3 < sure[4] < 0.7


def test_ctfidf_keywords_name_the_topics():
    texts = [
        "the oven bakes bread with flour and butter",
        "knead the flour dough then bake the bread",
        "the striker scored a goal in the football match",
        "the goalkeeper saved the penalty in the match",
    ]
    vocabulary = kw.fit_vocabulary(texts, min_df=1)
    counts = kw.topic_term_counts(kw.build_vectorizer(vocabulary), texts, np.array([0, 0, 1, 1]), 3)
    assert counts.shape == (3, len(vocabulary)) and counts[2].sum() == 0
    top = kw.top_keywords(kw.ctfidf(counts), vocabulary, 3)
    assert {"bread", "flour"} <= set(top[0]) and "match" in top[1] and top[2] == []
    assert "the" not in vocabulary  # English stop words
    assert kw.fit_vocabulary(["the and of", "a the"]) == []  # nothing but stop words: no keywords, no error


class RepeatingNamer:
    """Always proposes the same name first; a second request gets the first keyword."""

    def __init__(self):
        self.requests: list[NamingRequest] = []

    def __call__(self, request: NamingRequest) -> str | None:
        self.requests.append(request)
        return "Cooking" if request.attempt == 1 else request.keywords[0].title()


def test_names_are_unique_and_a_taken_name_is_asked_again():
    keywords = [["bread", "flour"], ["cake", "sugar"], ["soup", "stock"]]
    namer = RepeatingNamer()
    report = name_topics(keywords, [["text"]] * 3, [30, 20, 10], namer)
    assert report.names == ["Cooking", "Cake", "Soup"]
    assert len({name_key(n) for n in report.names}) == 3
    assert report.retries == 2
    second = [r for r in namer.requests if r.topic_id == 1]
    assert second[1].attempt == 2 and "cooking" in second[1].taken


def test_keyword_names_are_lengthened_or_numbered_when_taken_and_failures_keep_keyword_names():
    report = name_topics([["oil", "crude", "opec", "gulf"], ["oil", "crude", "opec", "barrels"], ["oil", "crude"]],
                         [[]] * 3, [3, 2, 1])  # fmt: skip
    assert report.names[0] == "oil, crude, opec"
    assert report.names[1] == "oil, crude, opec, barrels"
    assert report.names[2] == keyword_name(["oil", "crude"])

    def broken(request: NamingRequest) -> str:
        raise ConnectionError("backend down")

    report = name_topics([["a1", "b1"], ["c1", "d1"]], [[]] * 2, [1, 1], broken)
    assert report.names == ["a1, b1", "c1, d1"] and report.failures == 2
    assert "backend down" in report.errors[0]
    fixed = name_topics([["x"], ["y"]], [[]] * 2, [1, 5], fixed=["Saved", None])
    assert fixed.names[0] == "Saved" and fixed.sources[0] == "saved"


def test_model_folder_round_trip_and_mismatches_are_clear_errors(tmp_path):
    centroids = normalize_rows(np.eye(3, 8, dtype=np.float32))
    model = TopicModel(
        centroids=centroids,
        encoder={"tag": "enc@abc", "name": "enc", "fingerprint": "abc"},
        similarity_quantiles=np.zeros((3, 21), np.float32),
        vocabulary=["bread", "goal"],
        names=["a", "b", "c"],
        keywords=[["x"], ["y"], ["z"]],
        parents=np.array([0, 0, 1], np.int32),
        parent_centroids=centroids[:2],
    )
    model.save(str(tmp_path / "m"))
    loaded = TopicModel.load(str(tmp_path / "m"))
    assert np.array_equal(loaded.centroids, centroids) and loaded.names == ["a", "b", "c"]
    assert loaded.parents.tolist() == [0, 0, 1]
    loaded.check_compatible({"enc@abc"}, 8, "m")
    with pytest.raises(TopicModelError, match="8-dimensional centroids, but these embeddings have 384"):
        loaded.check_compatible({"enc@abc"}, 384, "m")
    with pytest.raises(TopicModelError, match="fitted on embeddings of encoder 'enc@abc'"):
        loaded.check_compatible({"other@def"}, 8, "m")
    with pytest.raises(TopicModelError, match=r"model\.json is missing"):
        TopicModel.load(str(tmp_path / "nothing"))
