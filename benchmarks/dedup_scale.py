"""Dedup at scale on one machine: generate N news-length documents with planted copies, dedup them, and print
wall time and the peak memory of the whole process tree.

    python benchmarks/dedup_scale.py --documents 100000            # a few minutes on 2 cores
    python benchmarks/dedup_scale.py --documents 1000000 --work /data/scale --workers 2

The corpus (``dedup_corpus``: ~500 words per document, 10% near copies, 5% exact copies) is generated
deterministically into ``--work``/corpus (reused if it is already there with the same size), then
``pipelines/dedup.yaml`` (exact dedup, then MinHash dedup: 128 permutations, 21 x 6 bands, signature check)
runs over it in a fresh process. Reading JSONL.gz, the intermediate shards between phases and the Parquet
output are all included in the wall time. Peak memory is the largest sum of resident memory over the
runner and its workers; swap use is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_corpus import CorpusSpec, write_corpus  # noqa: E402
from dedup_measure import run_isolated, timed  # noqa: E402


def run_dedup(arguments: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from curation import load_recipe, run_recipe

    output = Path(arguments["output"])
    report = run_recipe(
        load_recipe(arguments["recipe"]),
        input_path=arguments["input"],
        output_path=str(output),
        workers=arguments["workers"],
        progress="none",
        force=True,
    )
    assert report.ok, report.summary
    kept = []
    for path in sorted(output.glob("*.parquet")):
        kept += pq.read_table(path, columns=["id"]).column("id").to_pylist()
    stages = {row["name"]: row for row in report.summary["totals"]["stages"]}
    return {
        "kept": kept,
        "stages": {name: {"dropped": row["dropped"], "seconds": row["seconds"]} for name, row in stages.items()},
        "global_stages": report.summary.get("global_stages"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=None, help="default: one shard per 10,000 documents")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--recipe", default=str(REPO_ROOT / "pipelines" / "dedup.yaml"))
    parser.add_argument("--work", default=None, help="folder for the corpus and output (default: a temporary one)")
    parser.add_argument("--run-tool", help=argparse.SUPPRESS)
    parser.add_argument("--arguments", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_tool:
        print(json.dumps(timed(run_dedup, json.loads(args.arguments))))
        return

    import psutil

    shards = args.shards or max(2, args.documents // 10_000)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="dedup-scale-"))
    corpus = work / "corpus"
    stamp = corpus / "_corpus.json"
    spec = CorpusSpec(documents=args.documents, shards=shards)
    try:
        if stamp.exists() and json.loads(stamp.read_text())["spec"] == spec.__dict__:
            planted = json.loads(stamp.read_text())["planted"]
            print(f"corpus: reusing {corpus}")
        else:
            shutil.rmtree(corpus, ignore_errors=True)
            started = time.perf_counter()
            planted = write_corpus(spec, corpus)
            stamp.write_text(json.dumps({"spec": spec.__dict__, "planted": planted}))
            print(f"corpus: generated in {time.perf_counter() - started:.0f} s")
        size = sum(p.stat().st_size for p in corpus.glob("*.jsonl.gz"))
        print(
            f"corpus: {args.documents:,} documents in {shards} shards ({size / 2**20:,.0f} MiB gzipped), "
            f"{len(planted):,} planted copies"
        )
        swap_before = psutil.swap_memory().used
        outcome = run_isolated(
            Path(__file__),
            "dedup",
            {"input": str(corpus), "output": str(work / "out"), "workers": args.workers, "recipe": args.recipe},
        )
        swap_after = psutil.swap_memory().used
        kept = set(outcome["kept"])
        removed = args.documents - len(kept)
        found = sum(1 for doc_id in planted if doc_id not in kept)
        print(f"dedup: {args.workers} worker(s), recipe {Path(args.recipe).name}")
        print(f"  wall time     {outcome['wall_s']:,.1f} s  ({args.documents / outcome['wall_s']:,.0f} docs/s)")
        print(f"  peak memory   {outcome['peak_rss_mb']:,.0f} MiB (runner + workers)")
        print(f"  swap used     {swap_before / 2**20:,.0f} MiB before, {swap_after / 2**20:,.0f} MiB after")
        print(f"  removed       {removed:,} documents; planted copies removed {found:,} of {len(planted):,}")
        for name, row in outcome["stages"].items():
            print(f"    {name:28} {row['seconds']:8.1f} s  {row['dropped'] or ''}")
        print(
            json.dumps(
                {k: v for k, v in outcome.items() if k != "kept"} | {"documents": args.documents, "removed": removed}
            )
        )
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
