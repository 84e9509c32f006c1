"""Writes records to gzip JSONL shards, the ground truth to `truth.jsonl` and the manifest.

Gzip headers normally carry a timestamp and the file name; both are blanked (mtime=0, no name) so
that the same seed and parameters always give byte-identical shards.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from curation.sample.manifest import MANIFEST_FILE, SHARDS_DIR, TRUTH_FILE, SampleManifest, count_truth
from curation.sample.records import Record, shard_name

_COMPRESSLEVEL = 6


def write_shards(records: list[Record], shards_dir: Path, n_shards: int) -> tuple[Path, ...]:
    """One gzip file per shard; stale `part-*.jsonl.gz` files from a larger earlier run are removed."""
    shards_dir.mkdir(parents=True, exist_ok=True)
    for stale in shards_dir.glob("part-*.jsonl.gz"):
        stale.unlink()
    by_shard: list[list[Record]] = [[] for _ in range(n_shards)]
    for record in records:
        by_shard[record.shard].append(record)
    paths = []
    for index, shard_records in enumerate(by_shard):
        path = shards_dir / shard_name(index)
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=_COMPRESSLEVEL) as gz,
        ):
            for record in sorted(shard_records, key=lambda r: r.line):
                gz.write(record.line_bytes() + b"\n")
        paths.append(path)
    return tuple(paths)


def write_truth(records: list[Record], path: Path) -> None:
    ordered = sorted(records, key=lambda r: (r.shard, r.line))
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for record in ordered:
            fh.write(json.dumps(record.truth(), ensure_ascii=False) + "\n")


def write_sample(
    records: list[Record],
    root: Path,
    *,
    shards: int,
    docs_per_shard: int,
    seed: int,
) -> SampleManifest:
    """Write shards, truth and manifest under `root` and return the manifest."""
    root.mkdir(parents=True, exist_ok=True)
    shard_paths = write_shards(records, root / SHARDS_DIR, shards)
    truth_path = root / TRUTH_FILE
    write_truth(records, truth_path)
    counts = count_truth(record.truth() for record in records)
    manifest = SampleManifest(
        root=root,
        shards_dir=root / SHARDS_DIR,
        truth_path=truth_path,
        manifest_path=root / MANIFEST_FILE,
        shard_paths=shard_paths,
        seed=seed,
        shards=shards,
        docs_per_shard=docs_per_shard,
        n_records=len(records),
        by_language=counts["language"],
        by_domain=counts["domain"],
        by_quality=counts["quality"],
        by_duplicate=counts["duplicate"],
        by_malformed=counts["malformed"],
    )
    manifest.manifest_path.write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    return manifest
