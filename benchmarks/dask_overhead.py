"""The same recipe on the local executor and on a Dask LocalCluster of 2 workers: the overhead ratio.

    python benchmarks/dask_overhead.py [--shards 16] [--docs-per-shard 500] [--repeats 2] 2>/dev/null

The corpus is the project's sample generator (documents of news length); the recipe is the demo recipe
(language id, Gopher rules, exact and MinHash dedup, fastText quality and domain scores, output routed by
domain), with its two fastText models trained into the scratch folder first, as `make demo` does. Its
shard stages are CPU-bound per document like most curation stages, and its dedup adds global steps (one
Dask task per band partition) between two shard phases. Both executors use
2 single-threaded worker processes. Startup is timed separately: the local pool spawns its workers, Dask
starts a scheduler, nannies and workers, so the steady-state ratio is the run time without startup.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--docs-per-shard", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from curation import load_recipe, run_recipe
    from curation.classify.demo import build_demo_models
    from curation.sample import generate_sample

    recipe = load_recipe(REPO_ROOT / "pipelines" / "demo.yaml")
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        scratch = Path(tmp)
        build_demo_models(scratch / "models")
        for spec in recipe.stages:
            if spec.params.get("model", "").startswith("build/demo/models/"):
                spec.params["model"] = str(scratch / "models" / Path(spec.params["model"]).name)
        manifest = generate_sample(scratch / "sample", shards=args.shards, docs_per_shard=args.docs_per_shard)
        shards = str(manifest.shards_dir)
        documents = args.shards * args.docs_per_shard

        def timed(**kwargs) -> float:
            best = float("inf")
            for attempt in range(args.repeats):
                out = scratch / f"out-{attempt}"
                started = time.perf_counter()
                report = run_recipe(recipe, input_path=shards, output_path=str(out), progress="none", **kwargs)
                best = min(best, time.perf_counter() - started)
                assert report.ok
                shutil.rmtree(out)
            return best

        local = timed(workers=2)
        started = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster):
            cluster_start = time.perf_counter() - started
            dask_steady = timed(executor="dask", scheduler=cluster.scheduler_address)
        dask_embedded = timed(executor="dask", workers=2)

    print(f"{documents:,} documents in {args.shards} shards, demo recipe, 2 workers, best of {args.repeats}")
    print(f"{'executor':34} {'seconds':>8} {'docs/s':>8} {'vs local':>9}")
    rows = [
        ("local (2 processes)", local),
        ("dask, running LocalCluster", dask_steady),
        ("dask, embedded (incl. cluster start)", dask_embedded),
    ]
    for name, seconds in rows:
        print(f"{name:34} {seconds:>8.2f} {documents / seconds:>8,.0f} {seconds / local:>8.2f}x")
    print(f"LocalCluster start-up alone: {cluster_start:.2f} s")


if __name__ == "__main__":
    main()
