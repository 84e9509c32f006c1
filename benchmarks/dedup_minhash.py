"""MinHash near-duplicate removal: curation against datatrove's four-stage MinHash and datasketch, one run.

    python benchmarks/dedup_minhash.py [--documents 20000] [--shards 8] [--workers 1] [--sample 2000] 2>/dev/null

All tools read the same generated corpus (``dedup_corpus``: ~500-word documents, 10% planted near copies,
5% planted exact copies), with word 5-gram shingles and 128 permutations.

1. Signatures, one core, in this process: documents per second from text to signature.
   - curation: ``MinHasher.signatures`` (compiled tokeniser, xxh32 shingles, affine32 permutations).
   - datasketch 2.0: ``MinHash.bulk`` over word 5-gram shingles built in Python (its default SHA-1 hash).
   - datatrove: ``MinhashDedupSignature.get_shingles`` + ``get_signature`` (spaCy word tokeniser, 16 x 8).
   The two slower tools run on the first ``--sample`` documents.
2. End to end, each tool in a fresh process with ``--workers`` processes: wall time, peak memory of the
   process tree, documents removed, and precision / recall against the planted copies (per group of an
   original and its copies: n - 1 of n should go, whichever member a tool keeps).
   - curation: the ``minhash_dedup`` stage with its defaults through ``run_recipe`` (21 x 6 bands, signature
     check at 0.7; reading JSONL.gz and writing Parquet included).
   - datatrove: MinhashDedupSignature -> MinhashDedupBuckets -> MinhashDedupCluster -> MinhashDedupFilter
     under ``LocalPipelineExecutor`` (16 x 8; reading and writing JSONL.gz included).
   - datasketch: ``MinHash.bulk`` then a ``MinHashLSH(threshold=0.7)`` query-then-insert loop (in memory).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_corpus import CorpusSpec, read_texts, write_corpus  # noqa: E402
from dedup_measure import run_isolated, timed  # noqa: E402

NUM_PERM = 128
THRESHOLD = 0.7


# ---- signatures, in process ---------------------------------------------------------------------------------


def curation_signature_rate(texts: list[str]) -> float:
    from curation.dedup.signatures import MinHasher

    hasher = MinHasher(num_perm=NUM_PERM)
    hasher.signatures(texts[:10])  # compile (or load the cached machine code) outside the timing
    started = time.perf_counter()
    for start in range(0, len(texts), 1024):
        hasher.signatures(texts[start : start + 1024])
    return len(texts) / (time.perf_counter() - started)


def datasketch_signature_rate(texts: list[str]) -> float:
    from datasketch import MinHash

    from curation.dedup.shingles import word_shingles

    started = time.perf_counter()
    MinHash.bulk([word_shingles(text, 5) for text in texts], num_perm=NUM_PERM)
    return len(texts) / (time.perf_counter() - started)


def datatrove_signature_rate(texts: list[str], folder: str) -> float:
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig

    step = MinhashDedupSignature(folder, config=MinhashConfig(num_buckets=16, hashes_per_bucket=8))
    step.get_signature(step.get_shingles(texts[0]))  # load the tokeniser outside the timing
    started = time.perf_counter()
    for text in texts:
        step.get_signature(step.get_shingles(text))
    return len(texts) / (time.perf_counter() - started)


# ---- end to end, one fresh process per tool -------------------------------------------------------------------


def _kept_ids(folder: Path) -> set[str]:
    import gzip

    import orjson
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for path in folder.rglob("*"):
        if any(part.startswith(("_", ".")) for part in path.relative_to(folder).parts) or not path.is_file():
            continue
        if path.name.endswith(".parquet"):
            ids |= {str(i) for i in pq.read_table(path, columns=["id"]).column("id").to_pylist()}
        elif path.name.endswith(".jsonl.gz"):
            ids |= {str(orjson.loads(line)["id"]) for line in gzip.decompress(path.read_bytes()).splitlines()}
    return ids


def run_curation(arguments: dict[str, Any]) -> dict[str, Any]:
    from curation import parse_recipe, run_recipe

    params = f"{{threshold: {THRESHOLD}, num_perm: {NUM_PERM}}}"
    recipe = parse_recipe(f"name: bench\nstages:\n  - stage: minhash_dedup\n    params: {params}\n")
    output = Path(arguments["work"]) / "curation-out"
    report = run_recipe(
        recipe, input_path=arguments["input"], output_path=str(output), workers=arguments["workers"], progress="none"
    )
    assert report.ok, report.summary
    return {"kept": sorted(_kept_ids(output))}


def run_datatrove(arguments: dict[str, Any]) -> dict[str, Any]:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    work = Path(arguments["work"]) / "datatrove"
    config = MinhashConfig(num_buckets=16, hashes_per_bucket=8)
    shards, workers = arguments["shards"], arguments["workers"]

    def reader() -> JsonlReader:
        return JsonlReader(arguments["input"], glob_pattern="*.jsonl.gz")

    common = {"workers": workers, "skip_completed": False}
    stage1 = LocalPipelineExecutor(
        [reader(), MinhashDedupSignature(str(work / "sigs"), config=config)],
        tasks=shards,
        logging_dir=str(work / "logs1"),
        **common,
    )
    stage2 = LocalPipelineExecutor(
        [MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)],
        tasks=config.num_buckets,
        logging_dir=str(work / "logs2"),
        depends=stage1,
        **common,
    )
    stage3 = LocalPipelineExecutor(
        [MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config)],
        tasks=1,
        logging_dir=str(work / "logs3"),
        depends=stage2,
        **common,
    )
    stage4 = LocalPipelineExecutor(
        [reader(), MinhashDedupFilter(str(work / "remove")), JsonlWriter(str(work / "out"))],
        tasks=shards,
        logging_dir=str(work / "logs4"),
        depends=stage3,
        **common,
    )
    stage4.run()
    return {"kept": sorted(_kept_ids(work / "out"))}


def run_datasketch(arguments: dict[str, Any]) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH

    from curation.dedup.shingles import word_shingles

    kept = []
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    rows = read_texts(Path(arguments["input"]))
    signatures = MinHash.bulk([word_shingles(text, 5) for _, text in rows], num_perm=NUM_PERM)
    for (doc_id, _), signature in zip(rows, signatures, strict=True):
        if lsh.query(signature):
            continue
        lsh.insert(doc_id, signature)
        kept.append(doc_id)
    return {"kept": kept}


TOOLS = {"curation": run_curation, "datatrove": run_datatrove, "datasketch": run_datasketch}


def score(kept: set[str], all_ids: set[str], planted: dict[str, list[str | None]]) -> dict[str, Any]:
    """Documents removed, and how many of them were redundant copies, counted per group of an original and
    its planted copies: a group of n documents has n - 1 copies to remove, and which member stays is the
    tool's choice. Removing a unique document, or a group's last member, is a false removal."""
    group_of = {doc_id: (exact_of or near_of) for doc_id, (exact_of, near_of) in planted.items()}
    sizes: dict[str, int] = {}
    removed_in: dict[str, int] = {}
    for doc_id in all_ids:
        group = group_of.get(doc_id, doc_id)
        sizes[group] = sizes.get(group, 0) + 1
        if doc_id not in kept:
            removed_in[group] = removed_in.get(group, 0) + 1
    removed = len(all_ids - kept)
    redundant_removed = sum(min(count, sizes[group] - 1) for group, count in removed_in.items())
    return {
        "removed": removed,
        "precision": round(redundant_removed / removed, 4) if removed else None,
        "recall": round(redundant_removed / len(planted), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sample", type=int, default=2_000, help="documents for the slower signature timings")
    parser.add_argument("--tools", default="curation,datatrove,datasketch")
    parser.add_argument("--run-tool", help=argparse.SUPPRESS)
    parser.add_argument("--arguments", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_tool:
        result = timed(TOOLS[args.run_tool], json.loads(args.arguments))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as work:
        corpus = Path(work) / "corpus"
        planted = write_corpus(CorpusSpec(documents=args.documents, shards=args.shards), corpus)
        rows = read_texts(corpus)
        texts = [text for _, text in rows]
        all_ids = {doc_id for doc_id, _ in rows}
        words = sum(len(t.split()) for t in texts[:1000]) / min(1000, len(texts))
        print(
            f"corpus: {len(texts):,} documents (~{words:.0f} words), {args.shards} shards, "
            f"{len(planted):,} planted copies; {NUM_PERM} permutations, word 5-grams"
        )

        print("\nsignatures, one core (docs/s):")
        rates = {"curation": curation_signature_rate(texts)}
        if "datasketch" in args.tools:
            rates["datasketch"] = datasketch_signature_rate(texts[: args.sample])
        if "datatrove" in args.tools:
            rates["datatrove"] = datatrove_signature_rate(texts[: args.sample], str(Path(work) / "dt-sig"))
        for tool, rate in rates.items():
            ratio = "" if tool == "curation" else f"   curation is {rates['curation'] / rate:5.1f}x faster"
            print(f"  {tool:11} {rate:10,.0f}{ratio}")

        print(f"\nend to end, {args.workers} worker(s):")
        print(f"  {'tool':11} {'wall s':>8} {'peak MiB':>9} {'removed':>8} {'precision':>9} {'recall':>7}")
        results = {}
        for tool in args.tools.split(","):
            arguments = {"input": str(corpus), "work": work, "workers": args.workers, "shards": args.shards}
            outcome = run_isolated(Path(__file__), tool, arguments)
            scores = score(set(outcome["kept"]), all_ids, planted)
            results[tool] = {**{k: v for k, v in outcome.items() if k != "kept"}, **scores}
            r = results[tool]
            print(
                f"  {tool:11} {r['wall_s']:8.1f} {r['peak_rss_mb']:9.0f} {r['removed']:8,} "
                f"{r['precision'] or 0:9.3f} {r['recall']:7.3f}"
            )
        for tool in results:
            if tool != "curation" and "curation" in results:
                ratio = results[tool]["wall_s"] / results["curation"]["wall_s"]
                print(f"  curation wall time: {ratio:.1f}x faster than {tool}")
        print(json.dumps({"signature_docs_per_s": {k: round(v) for k, v in rates.items()}, "end_to_end": results}))


if __name__ == "__main__":
    main()
