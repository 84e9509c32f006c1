"""The dedup stages driven phase by phase (collect, global tasks, apply) over real state files, as an executor
(local or Dask) drives them."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
from datatrove.data import Document
from datatrove.io import get_datafolder

from curation.dedup import storage
from curation.dedup.exact_stage import ExactDedup
from curation.dedup.inprocess import run_phases
from curation.dedup.minhash_stage import MinHashDedup
from curation.global_stage import ShardContext
from tests.helpers import docs


def near_copy(text: str, every: int = 40) -> str:
    """Replace one word in ``every``: word 5-gram Jaccard about 0.7-0.8 for these documents."""
    words = text.split(" ")
    for position in range(every // 2, len(words), every):
        words[position] = "zzz" + words[position]
    return " ".join(words)


def make_shards(quality: bool = False) -> tuple[dict[str, list[Document]], dict[str, str]]:
    """3 shards of 30 distinct 200-word documents, plus duplicates of shard a's documents a0..a5.

    Returns the shards and, for each planted duplicate, the id of its original.
    """
    originals = docs(30, prefix="a", words=200, seed=1)
    shards = {
        "a": [Document(r["text"], r["id"], {}) for r in originals],
        "b": [Document(r["text"], r["id"], {}) for r in docs(30, prefix="b", words=200, seed=2)],
        "c": [Document(r["text"], r["id"], {}) for r in docs(30, prefix="c", words=200, seed=3)],
    }
    planted = {}
    for i in range(6):
        text = originals[i]["text"]
        copy = text.upper() if i % 2 else "  " + text.replace(" ", "  ")
        shards["b"].insert(5 * i, Document(copy, f"exact-{i}", {}))
        shards["c"].insert(4 * i, Document(near_copy(text), f"near-{i}", {}))
        planted[f"exact-{i}"] = f"a{i}"
        planted[f"near-{i}"] = f"a{i}"
    if quality:
        for shard in shards.values():
            for document in shard:
                document.metadata["quality_score"] = 0.9 if document.id.startswith("near") else 0.5
    return shards, planted


def kept_ids(result: dict[str, list[Document]]) -> set[str]:
    return {document.id for documents in result.values() for document in documents}


def removed_records(workdir: Path) -> dict[str, dict]:
    records = {}
    for path in (workdir / "removed").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            records[record["id"]] = record
    return records


def test_exact_dedup_removes_normalised_copies_keeping_the_smallest_id(tmp_path):
    shards, planted = make_shards()
    result = run_phases(ExactDedup(partitions=3), shards, tmp_path)
    exact = {doc_id for doc_id in planted if doc_id.startswith("exact")}
    assert kept_ids(result) == {d.id for s in shards.values() for d in s} - exact
    removed = removed_records(tmp_path)
    assert set(removed) == exact
    for doc_id, record in removed.items():
        assert record["duplicate_of"] == planted[doc_id]
        assert record["reason"] == "exact_duplicate"
        assert record["cluster"] == f"a:{int(planted[doc_id][1:])}"
    # byte-exact comparison keeps the re-cased and re-spaced copies
    assert len(kept_ids(run_phases(ExactDedup(normalisation=[]), shards, tmp_path / "raw"))) == 102


def test_minhash_dedup_finds_near_and_exact_copies_and_records_clusters(tmp_path):
    shards, planted = make_shards()
    stage = MinHashDedup()
    result = run_phases(stage, shards, tmp_path)
    assert kept_ids(result) == {d.id for s in shards.values() for d in s} - set(planted)
    removed = removed_records(tmp_path)
    assert {doc_id: record["duplicate_of"] for doc_id, record in removed.items()} == planted
    assert all(record["reason"] == "near_duplicate" for record in removed.values())
    # the kept original carries its cluster
    kept_a0 = next(d for d in result["a"] if d.id == "a0")
    assert kept_a0.metadata["minhash_dedup_cluster"] == removed["near-0"]["cluster"]
    assert kept_a0.metadata["minhash_dedup_cluster_size"] == 3
    assert stage.stats["dropped_near_duplicate"].total == 12


def test_keep_policy_prefers_quality_then_id(tmp_path):
    shards, _ = make_shards(quality=True)
    result = run_phases(MinHashDedup(keep="quality"), shards, tmp_path / "q")
    ids = kept_ids(result)
    assert {f"near-{i}" for i in range(6)} <= ids and not ids & {f"a{i}" for i in range(6)}
    result = run_phases(MinHashDedup(keep="smallest_id"), shards, tmp_path / "s")
    assert {f"a{i}" for i in range(6)} <= kept_ids(result)


def test_annotate_mode_keeps_duplicates_with_their_cluster(tmp_path):
    shards, planted = make_shards()
    result = run_phases(MinHashDedup(action="annotate"), shards, tmp_path)
    by_id = {d.id: d for s in result.values() for d in s}
    assert len(by_id) == sum(len(s) for s in shards.values())
    for doc_id, original in planted.items():
        assert by_id[doc_id].metadata["minhash_dedup_duplicate_of"] == original


@pytest.mark.parametrize("verify", ["signature", "exact"])
def test_verification_rejects_pairs_below_the_threshold(tmp_path, verify):
    shards, planted = make_shards()
    lenient = run_phases(MinHashDedup(threshold=0.6, verify=verify), shards, tmp_path / "lenient")
    assert kept_ids(lenient).isdisjoint(planted)
    # near copies sit near Jaccard 0.75; a 0.95 bar keeps them, whatever the buckets proposed
    strict = run_phases(MinHashDedup(bands=32, rows=4, threshold=0.95, verify=verify), shards, tmp_path / "strict")
    assert {f"near-{i}" for i in range(6)} <= kept_ids(strict)
    assert kept_ids(strict).isdisjoint({f"exact-{i}" for i in range(6)})


def test_character_shingles(tmp_path):
    shards, planted = make_shards()
    result = run_phases(MinHashDedup(shingle="char", ngram=24, threshold=0.6), shards, tmp_path)
    assert kept_ids(result).isdisjoint(planted)


def test_state_is_laid_out_per_shard_and_per_band_partition(tmp_path):
    shards, _ = make_shards()
    run_phases(MinHashDedup(bands=16, rows=8, band_partitions=4), shards, tmp_path)
    assert sorted(p.name for p in (tmp_path / "buckets").iterdir()) == ["p000", "p001", "p002", "p003"]
    bucket = storage.load_arrays(get_datafolder(str(tmp_path)), "buckets/p001/b.npz")
    assert sorted(bucket) == ["band0004", "band0005", "band0006", "band0007", "positions"]
    assert len(bucket["positions"]) == 36
    signatures = storage.load_arrays(get_datafolder(str(tmp_path)), "signatures/c.npz")["signatures"]
    assert signatures.shape == (36, 128) and signatures.dtype == np.uint32
    assert sorted(p.name for p in (tmp_path / "edges").iterdir()) == [f"p{p:03d}.npz" for p in range(4)]
    assert not list(tmp_path.rglob("*.tmp-*")), "no temporary file is left behind"


def test_global_tasks_are_idempotent_and_stages_pickle(tmp_path):
    shards, planted = make_shards()
    stage = pickle.loads(cloudpickle.dumps(MinHashDedup()))
    folder = get_datafolder(str(tmp_path))
    stems = sorted(shards)
    contexts = {stem: ShardContext(stem, i, len(stems), folder) for i, stem in enumerate(stems)}
    collected = {stem: list(stage.collect(iter(shards[stem]), contexts[stem])) for stem in stems}
    waves = stage.global_waves(folder, stems)
    assert [len(wave) for wave in waves] == [21, 1]  # 21 bands x 6 rows for threshold 0.7 with a check
    for wave in waves + waves:  # a rerun of every task (after a crash, say) changes nothing
        for task in wave:
            stage.run_global_task(task, folder)
    result = {stem: list(stage.apply(iter(collected[stem]), contexts[stem])) for stem in stems}
    assert kept_ids(result).isdisjoint(planted)


def test_apply_refuses_a_shard_that_changed_since_collect(tmp_path):
    shards, _ = make_shards()
    stage = ExactDedup()
    folder = get_datafolder(str(tmp_path))
    run_phases(stage, shards, folder)
    context = ShardContext("b", 1, 3, folder)
    with pytest.raises(RuntimeError, match="changed between collect and apply"):
        list(stage.apply(iter(list(reversed(shards["b"]))), context))
    with pytest.raises(RuntimeError, match="had 36 documents at collect"):
        list(stage.apply(iter(shards["b"][:-1]), context))


def test_global_phase_needs_every_shard_collected(tmp_path):
    stage = ExactDedup()
    with pytest.raises(RuntimeError, match="collect did not finish"):
        stage.global_waves(get_datafolder(str(tmp_path)), ["never-collected"])


def test_bad_parameters_are_clear():
    with pytest.raises(ValueError, match="both bands and rows"):
        MinHashDedup(bands=16)
    with pytest.raises(ValueError, match="exceeds num_perm"):
        MinHashDedup(bands=20, rows=8)
    with pytest.raises(ValueError, match="verify"):
        MinHashDedup(verify="maybe")
    with pytest.raises(ValueError, match="keep policy"):
        ExactDedup(keep="longest")


def test_empty_and_shingle_less_documents_are_not_near_duplicates(tmp_path):
    shards = {"x": [Document("", "e1", {}), Document("...", "e2", {}), Document("one two", "w", {})]}
    result = run_phases(MinHashDedup(), shards, tmp_path)
    assert kept_ids(result) == {"e1", "e2", "w"}
