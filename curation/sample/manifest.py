"""The summary of a generated sample corpus and the reader for its ground truth.

`manifest.json` stores paths relative to the corpus directory (and no timestamps), so two corpora
generated with the same parameters are byte-identical wherever they live.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHARDS_DIR = "shards"
TRUTH_FILE = "truth.jsonl"
MANIFEST_FILE = "manifest.json"


def load_truth(path: str | Path) -> list[dict[str, Any]]:
    """All ground-truth rows of a `truth.jsonl`, in shard/line order."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def count_truth(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Counts by language, domain, quality, duplicate kind and malformed reason (nulls not counted)."""
    counters: dict[str, Counter[str]] = {
        key: Counter() for key in ("language", "domain", "quality", "duplicate", "malformed")
    }
    for row in rows:
        for key in ("language", "domain", "quality", "malformed"):
            if row[key] is not None:
                counters[key][row[key]] += 1
        if row["exact_dup_of"] is not None:
            counters["duplicate"]["exact"] += 1
        if row["near_dup_of"] is not None:
            counters["duplicate"]["near"] += 1
    return {key: dict(sorted(counter.items())) for key, counter in counters.items()}


@dataclass(frozen=True)
class SampleManifest:
    """Where a sample corpus lives and what it contains."""

    root: Path
    shards_dir: Path
    truth_path: Path
    manifest_path: Path
    shard_paths: tuple[Path, ...]
    seed: int
    shards: int
    docs_per_shard: int
    n_records: int
    by_language: dict[str, int] = field(default_factory=dict)
    by_domain: dict[str, int] = field(default_factory=dict)
    by_quality: dict[str, int] = field(default_factory=dict)
    by_duplicate: dict[str, int] = field(default_factory=dict)
    """Number of exact and near duplicates (keys `exact`, `near`)."""
    by_malformed: dict[str, int] = field(default_factory=dict)

    @property
    def n_malformed(self) -> int:
        return sum(self.by_malformed.values())

    @property
    def n_junk(self) -> int:
        """Well-formed records whose quality is not `good`."""
        return sum(n for quality, n in self.by_quality.items() if quality != "good")

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "shards": self.shards,
            "docs_per_shard": self.docs_per_shard,
            "records": self.n_records,
            "shard_files": [p.relative_to(self.root).as_posix() for p in self.shard_paths],
            "truth": self.truth_path.relative_to(self.root).as_posix(),
            "counts": {
                "language": self.by_language,
                "domain": self.by_domain,
                "quality": self.by_quality,
                "duplicate": self.by_duplicate,
                "malformed": self.by_malformed,
            },
        }

    @classmethod
    def load(cls, root: str | Path) -> SampleManifest:
        """Read `manifest.json` from a corpus directory written by `generate_sample`."""
        root = Path(root)
        data = json.loads((root / MANIFEST_FILE).read_text(encoding="utf-8"))
        counts = data["counts"]
        return cls(
            root=root,
            shards_dir=root / SHARDS_DIR,
            truth_path=root / data["truth"],
            manifest_path=root / MANIFEST_FILE,
            shard_paths=tuple(root / p for p in data["shard_files"]),
            seed=data["seed"],
            shards=data["shards"],
            docs_per_shard=data["docs_per_shard"],
            n_records=data["records"],
            by_language=counts["language"],
            by_domain=counts["domain"],
            by_quality=counts["quality"],
            by_duplicate=counts["duplicate"],
            by_malformed=counts["malformed"],
        )
