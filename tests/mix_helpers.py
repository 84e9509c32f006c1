"""Curated outputs for the mixture tests: real Parquet (or JSONL) shards routed by domain, with the metadata
columns the pipeline writes (``domain``, ``language``, ``quality_score``, ``token_count``) plus ``topic_id``
and ``synthetic``, and readers for a mixture's output."""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

DOMAINS = ("science", "news", "code", "fiction")
_WORDS = """
atom cell orbit enzyme signal vector market harbour engine river valley castle meadow lantern pencil rocket
planet ocean desert thunder garden library teacher doctor farmer painter window bridge forest winter summer
morning evening letter journey answer question history music kitchen station island village mountain
""".split()


def curated_rows(shards: int, docs: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Rows per output file (``<domain>/part-<n>``), every document with its word count as ``token_count``."""
    rng = random.Random(seed)
    files: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for shard in range(shards):
        for index in range(docs):
            length = rng.choice((rng.randint(15, 60), rng.randint(60, 400)))
            words = [rng.choice(_WORDS) for _ in range(length)]
            domain = rng.choice(DOMAINS)
            files[f"{domain}/part-{shard:05d}"].append(
                {
                    "id": f"doc-{shard}-{index}",
                    "text": " ".join(words),
                    "domain": domain,
                    "language": "en" if rng.random() < 0.85 else "de",
                    "quality_score": round(rng.random(), 4),
                    "token_count": length,
                    "topic_id": rng.randrange(6),
                    "synthetic": rng.random() < 0.1,
                }
            )
    return files


def write_curated(folder: Path, shards: int = 4, docs: int = 300, seed: int = 0, fmt: str = "parquet") -> Path:
    """A curated output folder (as ``curate run`` routes it: ``<domain>/part-0000N.parquet``)."""
    for name, rows in curated_rows(shards, docs, seed).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            pq.write_table(pa.Table.from_pylist(rows), path.with_suffix(".parquet"), row_group_size=64)
        else:
            data = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
            path.with_name(path.name + ".jsonl.gz").write_bytes(gzip.compress(data, mtime=0))
    return folder


def all_rows(folder: Path) -> list[dict[str, Any]]:
    """Every row of every Parquet and JSONL file of a mixture's stage folders."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if not path.is_file() or any(part.startswith(("_", ".")) for part in parts):
            continue
        if path.suffix == ".parquet":
            rows += pq.read_table(path).to_pylist()
        elif path.name.endswith(".jsonl.gz"):
            rows += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    return rows


def tokens_by(rows: list[dict[str, Any]], *keys: str) -> Counter:
    totals: Counter = Counter()
    for row in rows:
        totals[tuple(row[key] for key in keys)] += row["token_count"]
    return totals


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (bookkeeping included) by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
