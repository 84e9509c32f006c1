"""The demo and dedup recipes on a command-line Dask cluster against the local executor: same rows, wall time.

    python benchmarks/dask_cluster.py [--shards 16] [--docs-per-shard 500] [--repeats 2] [--recipes demo dedup]

The cluster is started as a user starts one: ``dask scheduler`` and ``dask worker ADDRESS --nworkers 2
--nthreads 1`` as separate processes, in a working directory of their own. The client runs ``curate run`` (a
fresh process each time, as from a shell) in another directory, with the paths as a user types them:
relative input and output, and the demo recipe's relative model folders (``build/demo/models/...``). So the
run goes through what a real cluster needs: paths made absolute at submit, the check task on each worker,
output written through the shared filesystem. The local executor runs the same command with ``-w 2``.

Prints, per recipe: rows of each executor and whether they are identical, the best wall time of each over
``--repeats`` runs (into fresh output folders), and the ratio. Cluster start-up (until both workers have
joined) is timed once, apart.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
DASK_CLI = Path(sys.executable).with_name("dask")
RECIPES = {"demo": REPO_ROOT / "pipelines" / "demo.yaml", "dedup": REPO_ROOT / "pipelines" / "dedup.yaml"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_cluster(workdir: Path, env: dict[str, str]) -> tuple[str, list[subprocess.Popen], float]:
    """``dask scheduler`` and ``dask worker --nworkers 2`` in ``workdir``; (address, processes, start seconds)."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    started = time.perf_counter()
    commands = [
        [str(DASK_CLI), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
        [str(DASK_CLI), "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
    ]
    processes = []
    for index, command in enumerate(commands):
        log = open(workdir / f"process-{index}.log", "wb")  # noqa: SIM115 (lives as long as the process)
        processes.append(
            subprocess.Popen(
                command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )
    with Client(address, timeout=120) as client:
        client.wait_for_workers(2, timeout=180)
    return address, processes, time.perf_counter() - started


def stop_cluster(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def output_rows(folder: Path) -> list[tuple]:
    """Every output row (the documents' id, text and every metadata column), sorted."""
    import pyarrow.parquet as pq

    rows = []
    for path in sorted(folder.rglob("*.parquet")):
        if any(part.startswith(("_", ".")) for part in path.relative_to(folder).parts):
            continue
        for row in pq.read_table(path).to_pylist():
            rows.append(tuple(sorted((key, repr(value)) for key, value in row.items())))
    return sorted(rows)


def timed_run(recipe: Path, output: str, extra: list[str], client_dir: Path, env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "curation", "run", str(recipe), "-i", "sample/shards", "-o", output, "-q"]
    started = time.perf_counter()
    result = subprocess.run([*command, *extra], cwd=client_dir, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command + extra)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--docs-per-shard", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=list(RECIPES))
    args = parser.parse_args()

    from curation.classify.demo import build_demo_models
    from curation.sample import generate_sample

    env = os.environ | {"PYTHONPATH": str(REPO_ROOT), "LOGURU_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory(prefix="bench-dask-cluster-") as tmp:
        client_dir, cluster_dir = Path(tmp) / "client", Path(tmp) / "cluster"
        cluster_dir.mkdir(parents=True)
        build_demo_models(client_dir / "build" / "demo" / "models")
        generate_sample(client_dir / "sample", shards=args.shards, docs_per_shard=args.docs_per_shard)
        documents = args.shards * args.docs_per_shard
        address, processes, startup = start_cluster(cluster_dir, env)
        try:
            print(f"{documents} documents in {args.shards} shards; best of {args.repeats}; 2 worker processes each")
            print(f"command-line cluster start-up (scheduler + 2 workers joined): {startup:.2f} s")
            print("| recipe | rows (local) | rows (Dask) | identical | local s | Dask s | Dask vs local |")
            print("|---|---:|---:|---|---:|---:|---:|")
            for name in args.recipes:
                recipe = RECIPES[name]
                times: dict[str, float] = {}
                rows: dict[str, list[tuple]] = {}
                executors = {"local": ["-w", "2"], "dask": ["--executor", "dask", "--scheduler", address]}
                for attempt in range(args.repeats):
                    for executor, extra in executors.items():
                        output = f"out-{name}-{executor}"
                        shutil.rmtree(client_dir / output, ignore_errors=True)
                        seconds = timed_run(recipe, output, extra, client_dir, env)
                        times[executor] = min(times.get(executor, float("inf")), seconds)
                        if attempt == 0:
                            rows[executor] = output_rows(client_dir / output)
                identical = rows["local"] == rows["dask"]
                print(
                    f"| {name} | {len(rows['local']):,} | {len(rows['dask']):,} | {'yes' if identical else 'NO'} "
                    f"| {times['local']:.2f} | {times['dask']:.2f} | {times['dask'] / times['local']:.2f}x |"
                )
            leftovers = sorted(p.name for p in cluster_dir.rglob("*") if p.is_file() and "process-" not in p.name)
            print(f"files the workers left in their own working directory: {leftovers or 'none'}")
        finally:
            stop_cluster(processes)


if __name__ == "__main__":
    main()
