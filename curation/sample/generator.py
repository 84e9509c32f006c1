"""Entry point: plan the corpus, build its records, write shards, truth and manifest."""

from __future__ import annotations

from pathlib import Path

from curation.sample.builder import build_records
from curation.sample.manifest import SampleManifest
from curation.sample.plan import corpus_plan
from curation.sample.writer import write_sample


def generate_sample(
    out_dir: str | Path, *, shards: int = 8, docs_per_shard: int = 250, seed: int = 0
) -> SampleManifest:
    """Generate a deterministic web-like corpus with ground truth under `out_dir`.

    Writes `shards/part-NNNNN.jsonl.gz` (exactly `docs_per_shard` lines each), `truth.jsonl` (one row
    per shard line) and `manifest.json`. The same arguments always produce byte-identical files, and
    nothing outside the package (network, data files) is needed.
    """
    plan = corpus_plan(shards, docs_per_shard, seed)
    records = build_records(plan, seed)
    return write_sample(records, Path(out_dir), shards=shards, docs_per_shard=docs_per_shard, seed=seed)
