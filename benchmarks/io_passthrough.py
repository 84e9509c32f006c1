"""Read -> write pass-through (JSONL.gz -> Parquet): curation against datatrove, same data, one run.

    python benchmarks/io_passthrough.py [--copies 20] [--repeats 3] [--workers 1] 2>/dev/null

Datasets: the project's generated sample corpus and ../shared/data/web (real Common Crawl documents in Dolma
JSONL.gz). Each dataset is replicated ``--copies`` times into a temporary directory so that a run lasts long
enough to time; every tool reads the same files, one task per file, with ``--workers`` processes.

- datatrove: ``JsonlReader -> ParquetWriter(compression="zstd")`` under ``LocalPipelineExecutor``. Its
  writer fixes the schema from the first document, so it fails on data whose metadata varies (the Dolma
  file does); the benchmark then also runs it with an adapter that stores metadata as one JSON string,
  which succeeds but writes less useful output (no typed columns).
- curation: the ``passthrough`` recipe (typed columns, quarantine, markers, atomic commit included).

The best of ``--repeats`` runs is printed as documents per second, with the ratio curation / datatrove.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_WEB = REPO_ROOT.parent / "shared" / "data" / "web"
sys.path.insert(0, str(REPO_ROOT))


def well_formed_copy(source: Path, target: Path) -> int:
    """Write only the lines datatrove can handle (valid JSON objects with string text); return their count.

    The benchmark measures speed; how each tool treats malformed records is tested elsewhere (datatrove's
    ParquetWriter crashes on a record whose text is a list, so the raw sample would not run at all).
    """
    kept = []
    with gzip.open(source) as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("text"), str):
                kept.append(line if line.endswith(b"\n") else line + b"\n")
    target.write_bytes(gzip.compress(b"".join(kept), mtime=0))
    return len(kept)


def replicate(files: list[Path], copies: int, target: Path) -> int:
    """Copy the well-formed part of ``files`` ``copies`` times into ``target``; return the document count."""
    target.mkdir(parents=True)
    documents = 0
    for source in files:
        first = target / f"c000-{source.name}"
        documents += well_formed_copy(source, first)
        for copy in range(1, copies):
            shutil.copyfile(first, target / f"c{copy:03d}-{source.name}")
    return documents * copies


def _metadata_as_json(self, document) -> dict:
    import orjson

    return {"id": document.id, "text": document.text, "metadata": orjson.dumps(document.metadata).decode()}


def datatrove_runner(input_dir: Path, workers: int, json_metadata: bool) -> Callable[[Path], None]:
    def run(output_dir: Path) -> None:
        from datatrove.executor import LocalPipelineExecutor
        from datatrove.pipeline.readers import JsonlReader
        from datatrove.pipeline.writers import ParquetWriter

        writer = ParquetWriter(
            str(output_dir / "data"), compression="zstd", adapter=_metadata_as_json if json_metadata else None
        )
        executor = LocalPipelineExecutor(
            pipeline=[JsonlReader(str(input_dir), glob_pattern="*.jsonl.gz"), writer],
            tasks=len(list(input_dir.iterdir())),
            workers=workers,
            logging_dir=str(output_dir / "logs"),
            skip_completed=False,
        )
        executor.run()

    return run


def curation_runner(input_dir: Path, workers: int) -> Callable[[Path], None]:
    def run(output_dir: Path) -> None:
        from curation import load_recipe, run_recipe

        recipe = load_recipe(REPO_ROOT / "pipelines" / "passthrough.yaml")
        report = run_recipe(
            recipe,
            input_path=str(input_dir),
            output_path=str(output_dir),
            glob="*.jsonl.gz",
            workers=workers,
            progress="none",
        )
        assert report.ok, report.summary["shards"]["failures"]

    return run


def best_seconds(action: Callable[[Path], None], repeats: int, scratch: Path) -> float | None:
    """Best wall time over ``repeats`` runs; None if the tool fails on this data."""
    timings = []
    for attempt in range(repeats):
        out = scratch / f"out-{attempt}"
        started = time.perf_counter()
        try:
            action(out)
        except Exception as error:
            print(f"    ({type(error).__name__}: {str(error).splitlines()[0][:100]})", file=sys.stderr)
            return None
        finally:
            shutil.rmtree(out, ignore_errors=True)
        timings.append(time.perf_counter() - started)
    return min(timings)


def sample_files(scratch: Path) -> list[Path]:
    from curation.sample import generate_sample

    manifest = generate_sample(scratch / "sample", shards=8, docs_per_shard=250, seed=0)
    return sorted(Path(manifest.shards_dir).glob("*.jsonl.gz"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-io-") as tmp:
        scratch = Path(tmp)
        datasets = {"sample corpus": sample_files(scratch)}
        if SHARED_WEB.is_dir():
            datasets["shared/data/web"] = sorted(SHARED_WEB.glob("*.jsonl.gz"))
        else:
            print(f"(skipping shared/data/web: {SHARED_WEB} not found)")
        print(f"pass-through JSONL.gz -> Parquet (zstd), workers={args.workers}, best of {args.repeats}, docs/s")
        header = (
            f"{'dataset':17} {'docs':>7} {'datatrove':>10} {'datatrove+json-meta':>20} {'curation':>9} {'ratio':>7}"
        )
        print(header)
        for name, files in datasets.items():
            input_dir = scratch / f"in-{name.replace('/', '_').replace(' ', '_')}"
            documents = replicate(files, args.copies, input_dir)
            plain = best_seconds(datatrove_runner(input_dir, args.workers, False), args.repeats, scratch)
            json_meta = best_seconds(datatrove_runner(input_dir, args.workers, True), args.repeats, scratch)
            ours = best_seconds(curation_runner(input_dir, args.workers), args.repeats, scratch)
            fastest_peer = min((t for t in (plain, json_meta) if t is not None), default=None)

            def rate(seconds: float | None, count: int = documents) -> str:
                return "fails" if seconds is None else f"{count / seconds:,.0f}"

            print(
                f"{name:17} {documents:>7,} {rate(plain):>10} {rate(json_meta):>20} {rate(ours):>9} "
                + (f"{fastest_peer / ours:>6.2f}x" if fastest_peer and ours else "   n/a")
            )


if __name__ == "__main__":
    main()
