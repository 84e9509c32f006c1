"""``curate check`` at scale: a million documents, every document and a seeded sample of 100,000, against
datatrove's summary-statistics pipeline as the peer.

    python benchmarks/check_scale.py --documents 1000000 --work /tmp/check1m        # ~15 min on 2 cores
    python benchmarks/check_scale.py --documents 100000                             # a quick look

The corpus (``check_corpus``: English prose with planted empty documents, exact and near copies, German
documents, PII and a benchmark passage, as Parquet shards of 10,000 documents) is generated into ``--work``
(reused when it is already there with the same size). Each measurement runs in a fresh process; wall time
includes starting the workers and reading the shards, and peak memory is the largest sum of resident
memory over the process and its workers (``dedup_measure.TreeMemory``).

Peer: datatrove's stats blocks (``DocStats``, ``WordStats``, ``LineStats``) through its ``ParquetReader`` and
``LocalPipelineExecutor``, then its ``StatsMerger``: the summary statistics a datatrove user computes to look at
a dataset. It measures less than a check (no language, duplicates, PII, contamination or schema; its
``LangStats`` downloads lid.176 for every document whose language column differs from the one asked, which
this offline machine cannot), so the comparison favours it. Both run on the first ``--peer-documents``
documents (whole shards), with the same number of workers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_corpus import PASSAGE, CheckCorpusSpec, write_corpus  # noqa: E402
from dedup_measure import run_isolated, timed  # noqa: E402

CHECKS = {
    "version": 1,
    "name": "benchmark",
    "metrics": {
        "language": {"expected": ["en"]},
        "contamination": {"texts": [PASSAGE]},
        "shares": {"columns": ["domain"]},
        "required_columns": {
            "id": "string",
            "text": "string",
            "language": "string",
            "domain": "string",
            "quality_score": "number",
        },
    },
    "checks": [
        {"name": "empty", "metric": "empty_rate", "condition": "<", "threshold": 0.005},
        {"name": "exact duplicates", "metric": "exact_duplicate_rate", "condition": "<", "threshold": 0.01},
        {"name": "near duplicates", "metric": "near_duplicate_rate", "condition": "<", "threshold": 0.02},
        {"name": "languages", "metric": "unexpected_language_rate", "condition": "<", "threshold": 0.01},
        {"name": "pii", "metric": "pii_rate", "condition": "<", "threshold": 0.01},
        {"name": "contamination", "metric": "contamination_rate", "condition": "==", "threshold": 0},
        {"name": "schema", "metric": "schema.violations", "condition": "==", "threshold": 0},
        {"name": "quality", "metric": "quality.p10", "condition": ">=", "threshold": 0.4},
        {"name": "readable", "metric": "unreadable_shards", "condition": "==", "threshold": 0},
    ],
}
REPORTED = (
    "documents",
    "documents_checked",
    "empty_rate",
    "exact_duplicate_rate",
    "near_duplicate_rate",
    "unexpected_language_rate",
    "pii_rate",
    "contamination_rate",
)


class TreeCPU:
    """CPU seconds (user + system) of this process and every descendant, sampled in a background thread.

    Descendants are counted whoever their parent is (datatrove's workers are children of a forkserver, so
    ``getrusage(RUSAGE_CHILDREN)`` would miss them); a process's figure is its last sample, so at most one
    interval of CPU per process can be missed.
    """

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.by_process: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process(os.getpid())
        while True:
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    self.by_process[(process.pid, process.create_time())] = times.user + times.system
            if self._stop.wait(self.interval):
                break

    @property
    def seconds(self) -> float:
        return sum(self.by_process.values())

    def __enter__(self) -> TreeCPU:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_check(arguments: dict[str, Any]) -> dict[str, Any]:
    from curation.checks import load_checks, run_checks

    checks = load_checks(arguments["checks"])
    if arguments.get("glob"):
        checks = checks.model_copy(update={"data": checks.data.model_copy(update={"glob": arguments["glob"]})})
    run = run_checks(checks, arguments["data"], sample=arguments["sample"], workers=arguments["workers"])
    return {
        "metrics": {name: run.metrics.value(name) for name in REPORTED},
        "statement": run.sample_statement,
        "pii": run.metrics.details.get("pii"),
        "exit_code": run.exit_code,
    }


def run_peer(arguments: dict[str, Any]) -> dict[str, Any]:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.stats import DocStats, LineStats, StatsMerger, WordStats

    data, out, workers = arguments["data"], Path(arguments["output"]), arguments["workers"]
    shards = arguments["shards"]
    groups = ["summary", "histogram"]
    LocalPipelineExecutor(
        pipeline=[
            ParquetReader(data, glob_pattern=arguments["glob"]),
            DocStats(str(out / "stats"), groups_to_compute=groups),
            WordStats(str(out / "stats"), groups_to_compute=groups),
            LineStats(str(out / "stats"), groups_to_compute=groups),
        ],
        tasks=shards,
        workers=workers,
        logging_dir=str(out / "logs"),
        skip_completed=False,
    ).run()
    LocalPipelineExecutor(
        pipeline=[StatsMerger(str(out / "stats"), str(out / "merged"))],
        tasks=1,
        logging_dir=str(out / "logs-merge"),
        skip_completed=False,
    ).run()
    return {"stat_files": len(list((out / "merged").rglob("*.json")))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument(
        "--peer-documents", type=int, default=50_000, help="whole shards of 10,000, at most 100,000; 0: skip the peer"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", default=None, help="folder for the corpus (default: a temporary one)")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument(
        "--runs", default="peer,full,sample", help="which measurements: peer (side by side), full, sample"
    )
    parser.add_argument("--run-tool", help=argparse.SUPPRESS)
    parser.add_argument("--arguments", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_tool:
        tool = {"check": run_check, "peer": run_peer}[args.run_tool]
        with TreeCPU() as cpu:
            outcome = timed(tool, json.loads(args.arguments))
        print(json.dumps(outcome | {"cpu_s": round(cpu.seconds, 1), "load": os.getloadavg()[0]}))
        return

    per_shard = 10_000
    spec = CheckCorpusSpec(documents=args.documents, shards=max(1, -(-args.documents // per_shard)))
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="check-scale-"))
    corpus = work / "corpus"
    stamp = work / "corpus.json"
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
        size = sum(p.stat().st_size for p in corpus.glob("*.parquet"))
        print(f"corpus: {args.documents:,} documents, {spec.shards} Parquet shards, {size / 2**20:,.0f} MiB")
        print("planted: " + ", ".join(f"{name} {count / args.documents:.2%}" for name, count in planted.items()))
        if args.generate_only:
            return
        checks = work / "checks.json"
        checks.write_text(json.dumps(CHECKS))  # JSON is YAML
        results: dict[str, Any] = {"documents": args.documents, "planted": planted}

        runs = set(args.runs.split(","))
        if args.peer_documents and "peer" in runs:
            peer_shards = min(10, spec.shards, max(1, args.peer_documents // per_shard))  # the first shards
            glob = f"part-0000[0-{peer_shards - 1}].parquet"
            peer_docs = min(args.documents, peer_shards * per_shard)
            peer = run_isolated(
                Path(__file__),
                "peer",
                {
                    "data": str(corpus),
                    "output": str(work / "peer"),
                    "workers": args.workers,
                    "shards": peer_shards,
                    "glob": glob,
                },
            )
            ours = run_isolated(
                Path(__file__),
                "check",
                {"checks": str(checks), "data": str(corpus), "sample": 0, "workers": args.workers, "glob": glob},
            )
            results["peer"] = {"documents": peer_docs, "datatrove": peer, "curation": ours}
            print(f"\nevery document of {peer_docs:,}, {args.workers} workers:")
            for name, outcome in (("datatrove stats", peer), ("curate check", ours)):
                print(
                    f"  {name:16} {outcome['wall_s']:8.1f} s wall  {peer_docs / outcome['wall_s']:9,.0f} docs/s  "
                    f"{outcome['cpu_s']:8.1f} CPU s  {outcome['peak_rss_mb']:6,.0f} MiB  (load {outcome['load']:.1f})"
                )
            wall_ratio, cpu_ratio = peer["wall_s"] / ours["wall_s"], peer["cpu_s"] / ours["cpu_s"]
            print(f"  ratio            {wall_ratio:8.2f}x wall, {cpu_ratio:.2f}x CPU")

        passes = (("full", "every document", 0), ("sample", f"--sample {args.sample}", args.sample))
        for label, sample in [(label, sample) for run, label, sample in passes if run in runs]:
            outcome = run_isolated(
                Path(__file__),
                "check",
                {"checks": str(checks), "data": str(corpus), "sample": sample, "workers": args.workers},
            )
            results[label] = outcome
            print(f"\ncurate check, {label}: {outcome['statement']}")
            print(
                f"  wall {outcome['wall_s']:.1f} s, CPU {outcome['cpu_s']:.1f} s, peak memory "
                f"{outcome['peak_rss_mb']:,.0f} MiB (process + workers), load average {outcome['load']:.1f}"
            )
            print("  " + ", ".join(f"{name} {value:.4g}" for name, value in outcome["metrics"].items()))
        print(json.dumps(results))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
