"""Banding, bucket edges, connected components and the keep policy, each on its own."""

from __future__ import annotations

import numpy as np
import pytest

from curation.dedup.clusters import (
    choose_keepers,
    components,
    equal_key_edges,
    make_nodes,
    node_positions,
    node_sources,
    unique_edges,
)
from curation.dedup.exact import check_normalisation, normalise, text_hashes
from curation.dedup.lsh import Banding, band_keys, banding_for_threshold
from curation.dedup.signatures import MinHasher


def test_banding_threshold_and_partitions():
    banding = Banding(16, 8, partitions=5)
    assert banding.threshold == pytest.approx((1 / 16) ** (1 / 8))
    assert banding.candidate_probability(0.9) > 0.99 > banding.candidate_probability(0.7) > 0.5
    assert banding.candidate_probability(0.3) < 0.01
    covered = [band for p in range(5) for band in banding.partition_bands(p)]
    assert covered == list(range(16))
    assert "implied similarity threshold 0.707" in banding.describe()
    with pytest.raises(ValueError, match="partitions"):
        Banding(4, 8, partitions=5)


def test_banding_for_threshold_tracks_the_threshold():
    assert banding_for_threshold(0.7, 128) == (16, 8)
    for threshold in (0.5, 0.8, 0.9):
        bands, rows = banding_for_threshold(threshold, 128)
        assert bands * rows <= 128
        assert abs(Banding(bands, rows).threshold - threshold) < 0.1
    with pytest.raises(ValueError):
        banding_for_threshold(1.5, 128)


def test_band_keys_equal_exactly_when_bands_equal():
    signatures = np.random.default_rng(0).integers(0, 2**32, (4, 16), dtype=np.uint64).astype(np.uint32)
    signatures[1, :8] = signatures[0, :8]  # documents 0 and 1 share band 0 only
    signatures[2] = signatures[3]
    signatures[2, 8:] = signatures[0, 8:]  # band 1 of 2 equals band 1 of 0 and 3's band 0
    keys = band_keys(signatures, Banding(2, 8))
    assert keys[0, 0] == keys[1, 0] and keys[0, 1] != keys[1, 1]
    assert keys[2, 1] == keys[0, 1] and keys[2, 0] == keys[3, 0]
    # the band number is mixed in: equal values in different bands never share a key
    same_values = np.tile(signatures[0, :8], 2)[None, :]
    twin = band_keys(same_values, Banding(2, 8))
    assert twin[0, 0] != twin[0, 1]


def test_equal_key_edges_are_stars_per_bucket():
    keys = np.array([5, 7, 5, 9, 5, 7], dtype=np.uint64)
    nodes = np.arange(100, 106, dtype=np.uint64)
    edges = {tuple(e) for e in equal_key_edges(keys, nodes).tolist()}
    assert edges == {(100, 102), (100, 104), (101, 105)}
    two_column = np.array([[1, 2], [1, 3], [1, 2]], dtype=np.uint64)
    assert equal_key_edges(two_column, np.arange(3, dtype=np.uint64)).tolist() == [[0, 2]]
    assert len(equal_key_edges(np.array([1, 2], dtype=np.uint64), np.arange(2, dtype=np.uint64))) == 0


def test_unique_edges_orders_pairs_and_drops_repeats_and_loops():
    edges = np.array([[3, 1], [1, 3], [2, 2], [4, 1]], dtype=np.uint64)
    assert unique_edges(edges).tolist() == [[1, 3], [1, 4]]


def test_components_match_a_reference_union_find():
    rng = np.random.default_rng(1)
    edges = rng.integers(0, 3000, (2000, 2)).astype(np.uint64)
    clusters = components(edges)
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges.tolist():
        parent[find(a)] = find(b)
    expected = {}
    for node in set(edges.reshape(-1).tolist()):
        expected.setdefault(find(node), set()).add(node)
    found = {}
    for node, label in zip(clusters.nodes.tolist(), clusters.labels.tolist(), strict=True):
        found.setdefault(label, set()).add(node)
    assert sorted(map(sorted, found.values())) == sorted(map(sorted, expected.values()))
    assert clusters.count == len(expected)


def test_nodes_pack_source_and_position():
    nodes = make_nodes(7, np.array([0, 5, 2**32 - 1], dtype=np.uint32))
    assert node_sources(nodes).tolist() == [7, 7, 7]
    assert node_positions(nodes).tolist() == [0, 5, 2**32 - 1]


def test_keep_policies():
    labels = np.array([0, 0, 0, 1, 1])
    nodes = np.array([10, 11, 12, 20, 21], dtype=np.uint64)
    ids = np.array(["c", "a", "b", "z", "y"], dtype=object)
    quality = np.array([0.2, np.nan, 0.9, np.nan, np.nan])
    none_protected = np.zeros(5, dtype=bool)
    assert choose_keepers(labels, nodes, ids, quality, none_protected, "quality").tolist() == [2, 2, 2, 4, 4]
    assert choose_keepers(labels, nodes, ids, quality, none_protected, "smallest_id").tolist() == [1, 1, 1, 4, 4]
    assert choose_keepers(labels, nodes, ids, quality, none_protected, "first").tolist() == [0, 0, 0, 3, 3]
    protected = np.array([False, False, False, True, False])
    assert choose_keepers(labels, nodes, ids, quality, protected, "quality").tolist() == [2, 2, 2, 3, 3]
    with pytest.raises(ValueError, match="keep policy"):
        choose_keepers(labels, nodes, ids, quality, none_protected, "longest")


def test_exact_normalisation_is_configurable():
    assert normalise("  Hello\n\nWORLD ") == "hello world"
    assert normalise(
        "Hello, World! 2024", ["lowercase", "strip_punctuation", "strip_digits", "collapse_whitespace"]
    ) == ("hello world 0")
    assert normalise("ﬁne", ["nfkc"]) == "fine"
    hashes = text_hashes(["A  b", "a b", "a b."])
    assert (hashes[0] == hashes[1]).all() and not (hashes[0] == hashes[2]).all()
    assert (text_hashes(["A b"], []) != text_hashes(["a b"], [])).any()
    with pytest.raises(ValueError, match="unknown normalisation"):
        check_normalisation(["lowercase", "stem"])


def test_shingle_sets_are_sorted_and_distinct():
    values, offsets = MinHasher(ngram=2).shingle_sets(["a b a b a b", "", "x"])
    first = values[offsets[0] : offsets[1]]
    assert len(first) == 2 and (np.diff(first.astype(np.int64)) > 0).all()
    assert offsets[2] - offsets[1] == 0 and offsets[3] - offsets[2] == 1
