"""Mixtures at scale: ``curate mix`` against the plain pyarrow script a user would otherwise write.

    python benchmarks/mix_scale.py --documents 1000000                  # a few minutes on 2 cores
    python benchmarks/mix_scale.py --documents 10000000 --work build/bench/mix

A synthetic curated output is generated deterministically into ``--work``/corpus-<N> (reused when present):
Parquet shards of 100,000 documents with the columns ``curate run`` writes: ``id``, a short
``text``, ``domain`` (8), ``language`` (80% en), ``quality_score``, ``token_count`` (log-normal, 20 to 8,000),
``topic_id`` and ``synthetic`` (5%). Both tools then build the same two-stage mixture (stable: 35% of the
corpus's tokens over four sources; anneal: 2% with quality >= 0.8, cells of domain x tier) and write it:

- peer: read every shard's metadata columns into one Arrow table, select with ``pyarrow.compute``, sample
  each source by shuffling and taking the prefix of the cumulative token sum (repeating the shuffle where a
  source needs more than one pass), then read each shard's chosen rows and write them with the three mix
  columns, one file per stage and shard;
- curation: ``run_mixture`` (metadata-only scan jobs, compact per-candidate arrays, exact planning,
  committed per-shard writes, manifest), with 1 and with 2 worker processes.

Each runs in a fresh process; wall time and the peak resident memory of its process tree are printed side by
side, with documents (of the corpus) per second and the ratio. For curation the largest share error (in
percentage points) and the most uses of any document against its cap are printed too.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_measure import run_isolated, timed  # noqa: E402

DOCS_PER_SHARD = 100_000
DOMAINS = ("news", "forum", "shopping", "other", "science", "health", "tech", "finance")
LANGUAGES = ("en", "de", "fr", "es")
SEED = 1234
STABLE_FRACTION = 0.35
ANNEAL_FRACTION = 0.02
META = ("domain", "language", "quality_score", "token_count", "synthetic")


def mixture_yaml(corpus: Path, total_tokens: int) -> str:
    stable = int(total_tokens * STABLE_FRACTION)
    anneal = int(total_tokens * ANNEAL_FRACTION)
    return f"""
name: bench
seed: {SEED}
inputs: {{corpus: {corpus}}}
quality_tiers:
  standard: {{max: 0.8}}
  high: {{min: 0.8}}
sources:
  web:
    include: {{domain: [news, forum, shopping, other], language: en}}
    exclude: {{synthetic: true}}
  knowledge:
    include: {{domain: [science, health, tech, finance], language: en}}
    exclude: {{synthetic: true}}
    max_repetitions: 2
  multilingual:
    exclude: {{language: en, synthetic: true}}
    max_share: 0.2
  synthetic:
    include: {{synthetic: true}}
    max_repetitions: 3
    max_share: 0.25
stages:
  - name: stable
    tokens: {stable}
    shares: {{web: 0.5, knowledge: 0.3, multilingual: 0.15, synthetic: 0.05}}
  - name: anneal
    tokens: {anneal}
    shares:
      knowledge: {{science/high: 0.25, health/high: 0.15, tech/high: 0.2}}
      web: {{"*/high": 0.2}}
      synthetic: 0.2
    require: {{min_quality: 0.8}}
"""


def generate(corpus: Path, documents: int) -> int:
    """Write the corpus (skipped when already there); return its total tokens."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    stamp = corpus / "_corpus.json"
    if stamp.exists() and json.loads(stamp.read_text())["documents"] == documents:
        return json.loads(stamp.read_text())["tokens"]
    shutil.rmtree(corpus, ignore_errors=True)
    rng = np.random.default_rng(SEED)
    words = np.array("the of and data model river market engine garden signal planet method answer".split())
    blob = " ".join(words[rng.integers(0, len(words), size=6_000_000)]).encode()
    total = 0
    for shard in range(math.ceil(documents / DOCS_PER_SHARD)):
        n = min(DOCS_PER_SHARD, documents - shard * DOCS_PER_SHARD)
        lengths = rng.integers(60, 300, size=n)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        start = int(rng.integers(0, len(blob) - offsets[-1]))
        text = pa.LargeStringArray.from_buffers(
            n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(blob[start : start + int(offsets[-1])])
        )
        first = shard * DOCS_PER_SHARD
        ids = pc.binary_join_element_wise("d", pc.cast(pa.array(np.arange(first, first + n)), pa.string()), "")
        domain = rng.integers(0, len(DOMAINS), size=n)
        language = np.where(rng.random(n) < 0.8, 0, rng.integers(1, len(LANGUAGES), size=n))
        tokens = np.clip(rng.lognormal(6.0, 1.0, size=n), 20, 8000).astype(np.int64)
        total += int(tokens.sum())
        table = pa.table(
            {
                "id": ids,
                "text": text,
                "domain": pa.DictionaryArray.from_arrays(domain.astype(np.int32), list(DOMAINS)).cast(pa.string()),
                "language": pa.DictionaryArray.from_arrays(language.astype(np.int32), list(LANGUAGES)).cast(
                    pa.string()
                ),
                "quality_score": np.round(rng.beta(4, 2, size=n), 4),
                "token_count": tokens,
                "topic_id": rng.integers(0, 50, size=n),
                "synthetic": rng.random(n) < 0.05,
            }
        )
        path = corpus / f"part-{shard:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, row_group_size=16_384, compression="zstd")
    stamp.write_text(json.dumps({"documents": documents, "tokens": total}))
    return total


def run_curation(arguments: dict[str, Any]) -> dict[str, Any]:
    from curation.mix import parse_mixture, run_mixture

    output = Path(arguments["output"])
    shutil.rmtree(output, ignore_errors=True)
    report = run_mixture(
        parse_mixture(arguments["mixture"]), str(output), workers=arguments["workers"], progress="none"
    )
    assert report.ok, report.failures
    manifest = report.manifest
    errors = [abs(unit["share_error_pp"]) for stage in manifest["stages"] for unit in stage["units"]]
    caps = [(s["most_uses"], s["max_repetitions"]) for s in manifest["sources"].values()]
    return {
        "documents_written": sum(stage["documents"] for stage in manifest["stages"]),
        "max_share_error_pp": max(errors),
        "caps_honoured": all(uses <= cap for uses, cap in caps),
        "uses_vs_caps": caps,
        "pool_mb": round(report.pool_bytes / 2**20, 1),
        "phases": {k: round(v, 1) for k, v in report.seconds.items()},
    }


def run_pyarrow(arguments: dict[str, Any]) -> dict[str, Any]:
    """The plain script: everything in one Arrow table, prefix sampling, one file per stage and shard."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    corpus, output, total = Path(arguments["corpus"]), Path(arguments["output"]), arguments["tokens"]
    shutil.rmtree(output, ignore_errors=True)
    files = sorted(corpus.glob("*.parquet"))
    tables, file_index, rows = [], [], []
    for number, path in enumerate(files):
        table = pq.read_table(path, columns=list(META))
        tables.append(table)
        file_index.append(np.full(table.num_rows, number, dtype=np.int64))
        rows.append(np.arange(table.num_rows, dtype=np.int64))
    meta = pa.concat_tables(tables)
    file_of, row_of = np.concatenate(file_index), np.concatenate(rows)
    tokens = meta.column("token_count").to_numpy()
    quality = meta.column("quality_score").to_numpy()
    synthetic = meta.column("synthetic").to_numpy(zero_copy_only=False)
    english = pc.equal(meta.column("language"), "en").to_numpy(zero_copy_only=False)

    def domain_in(*names: str) -> np.ndarray:
        return pc.is_in(meta.column("domain"), value_set=pa.array(names)).to_numpy(zero_copy_only=False)

    web_domains = domain_in("news", "forum", "shopping", "other")
    sources = {
        "web": (web_domains & english & ~synthetic, 1),
        "knowledge": (domain_in("science", "health", "tech", "finance") & english & ~synthetic, 2),
        "multilingual": (~english & ~synthetic, 1),
        "synthetic": (synthetic, 3),
    }
    high = quality >= 0.8
    stages = {
        "stable": (
            int(total * STABLE_FRACTION),
            [("web", None, 0.5), ("knowledge", None, 0.3), ("multilingual", None, 0.15), ("synthetic", None, 0.05)],
        ),
        "anneal": (
            int(total * ANNEAL_FRACTION),
            [
                ("knowledge", domain_in("science") & high, 0.25),
                ("knowledge", domain_in("health") & high, 0.15),
                ("knowledge", domain_in("tech") & high, 0.2),
                ("web", high, 0.2),
                ("synthetic", high, 0.2),
            ],
        ),
    }
    rng = np.random.default_rng(SEED)
    written = 0
    for stage, (budget, units) in stages.items():
        picked, labels = [], []
        for name, cell, share in units:
            mask, cap = sources[name]
            candidates = np.flatnonzero(mask if cell is None else mask & cell)
            target = int(budget * share)
            order = np.concatenate([rng.permutation(candidates) for _ in range(cap)])
            take = int(np.searchsorted(np.cumsum(tokens[order]), target)) + 1
            picked.append(order[:take])
            labels += [name] * take
        chosen = np.concatenate(picked)
        names = np.array(labels)
        shuffled = rng.permutation(len(chosen))
        chosen, names = chosen[shuffled], names[shuffled]
        for number, path in enumerate(files):
            in_file = file_of[chosen] == number
            if not in_file.any():
                continue
            table = pq.read_table(path).take(pa.array(row_of[chosen[in_file]]))
            table = table.append_column("mix_stage", pa.array([stage] * table.num_rows))
            table = table.append_column("mix_source", pa.array(names[in_file]))
            table = table.append_column("repetition", pa.array(np.zeros(table.num_rows, dtype=np.int32)))
            target_path = output / stage / path.name
            target_path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, target_path, compression="zstd")
            written += table.num_rows
    return {"documents_written": written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--work", default=str(REPO_ROOT / "build" / "bench" / "mix"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--run-tool", help=argparse.SUPPRESS)
    parser.add_argument("--arguments", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_tool:
        tool = {"curation": run_curation, "pyarrow": run_pyarrow}[args.run_tool]
        print(json.dumps(timed(tool, json.loads(args.arguments))))
        return

    work = Path(args.work)
    corpus = work / f"corpus-{args.documents}"
    started = time.perf_counter()
    total = generate(corpus, args.documents)
    print(f"corpus: {args.documents:,} documents, {total:,} tokens in {corpus} ({time.perf_counter() - started:.0f}s)")
    script = Path(__file__).resolve()
    results = {
        "pyarrow script": run_isolated(
            script, "pyarrow", {"corpus": str(corpus), "output": str(work / "out-pyarrow"), "tokens": total}
        )
    }
    for workers in args.workers:
        results[f"curate mix, {workers} worker(s)"] = run_isolated(
            script,
            "curation",
            {"mixture": mixture_yaml(corpus, total), "output": str(work / "out-curation"), "workers": workers},
        )
    peer = results["pyarrow script"]
    print(f"\n{'tool':<26} {'wall s':>8} {'docs/s':>10} {'peak MB':>9} {'written':>11} {'speed x':>8} {'memory x':>9}")
    for name, result in results.items():
        rate = args.documents / result["wall_s"]
        print(
            f"{name:<26} {result['wall_s']:>8.1f} {rate:>10,.0f} {result['peak_rss_mb']:>9,.0f} "
            f"{result['documents_written']:>11,} {peer['wall_s'] / result['wall_s']:>8.2f} "
            f"{peer['peak_rss_mb'] / result['peak_rss_mb']:>9.2f}"
        )
    for name, result in results.items():
        if "max_share_error_pp" in result:
            print(
                f"{name}: largest share error {result['max_share_error_pp']:.4f} pp; most uses / cap per source "
                f"{result['uses_vs_caps']}; caps honoured: {result['caps_honoured']}; candidate pool "
                f"{result['pool_mb']} MB; phases {result['phases']}"
            )


if __name__ == "__main__":
    main()
