"""The HTML run report of a million-document run: time to build it and the size of the page.

    python benchmarks/report_scale.py --documents 1000000        # about a minute to generate, seconds to report
    python benchmarks/report_scale.py --documents 10000000 --work build/bench/report

What a finished ``curate run`` of the demo recipe leaves in its output folder is generated deterministically
into ``--work``/run-<N> (reused when present), shard by shard, with the project's own types:

- completion markers (``ShardResult`` with ``observations``): the demo recipe's stage rows with drop reasons,
  three drop examples per reason, the five thresholded metrics' histograms (``curation.report.thresholds``)
  and output composition by language, domain and topic (200 topics). The histogram counts are drawn with
  NumPy in the format the observers write, not measured on documents: the report's cost depends on shards,
  stages and bins, not on the number of documents behind them;
- ``summary.json`` from ``build_summary`` over those results;
- Parquet output shards (``id``, a short ``text``, ``language``, ``domain``, ``topic_id``, ``quality_score``,
  ``token_count``) holding every kept document, so the report's seeded 10,000-row sample reads real files;
- the dedup stages' lists of removed documents (``removed/*.jsonl``, clusters of 2 to 50) and quarantine files.

Then ``curate report`` runs in a fresh process, twice (the second with a warm page cache); printed: seconds to
gather the record and to render, the page's size, and its largest parts (the report must stay under 5 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

DOCS_PER_SHARD = 5_000
SEED = 7
SIZE_LIMIT = 5 * 1024 * 1024
LANGUAGES = ("en", "de", "fr", "es")
DOMAINS = ("science", "health", "finance", "sports", "technology", "cooking", "other")
TOPICS = 200
WORDS = (
    "the of and river market harbour castle forest farmer trade village water energy cell protein galaxy "
    "engine recipe oven bread match league goal price bank loan rate code server model data"
).split()


def _histogram(rng, values, low, high, bins=50, log=False):
    from curation.report.observe import Histogram

    histogram = Histogram(low, high, bins, log)
    edges = np.logspace(np.log10(low), np.log10(high), bins + 1) if log else np.linspace(low, high, bins + 1)
    histogram.counts = np.histogram(np.clip(values, low, high), bins=edges)[0].astype(int).tolist()
    return histogram.to_dict()


def _metric(rng, field, values, low, high, cuts, removes, **options):
    from curation.report.thresholds import KEEP_AT_LEAST, KEEP_AT_MOST, MetricProbe, Threshold

    thresholds = tuple(
        Threshold(name, value, KEEP_AT_MOST if name.startswith("max") else KEEP_AT_LEAST) for name, value in cuts
    )
    probe = MetricProbe(field, low, high, thresholds, removes, **options)
    outside = [
        int((values < t.value).sum()) if t.side == KEEP_AT_LEAST else int((values > t.value).sum()) for t in thresholds
    ]
    histogram = _histogram(rng, values, low, high, options.get("bins", 50), options.get("log", False))
    return {**probe.describe(), "histogram": histogram, "observed": len(values), "missing": 0, "outside": outside}


def _example(rng, shard, reason, index):
    text = " ".join(rng.choice(WORDS, size=300))
    return {"id": f"s{shard}-{reason}-{index}", "text": text[:400], "chars": len(text), "metadata": {"language": "en"}}


def generate(folder: Path, documents: int) -> None:
    """The output folder of a ``documents``-document run of the demo recipe (see the module docstring)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curation.report.stats import ShardResult, StageCounts
    from curation.report.summary import build_summary

    rng = np.random.default_rng(SEED)
    shards = max(1, documents // DOCS_PER_SHARD)
    folder.mkdir(parents=True, exist_ok=True)
    for name in (
        "_markers",
        "_quarantine",
        "_work/stages/03-exactdedup/removed",
        "_work/stages/04-minhashdedup/removed",
    ):
        (folder / name).mkdir(parents=True, exist_ok=True)
    results = []
    base_text = " ".join(rng.choice(WORDS, size=4000))
    for shard in range(shards):
        stem = f"part-{shard:05d}"
        n = DOCS_PER_SHARD
        quarantined = int(rng.integers(0, 5))
        read = n - quarantined
        drops = {
            "language_id": {
                "language_score_too_low": int(rng.integers(20, 80)),
                "language_not_wanted": int(rng.integers(10, 40)),
            },
            "gopher_repetition": {"top_2_gram": int(rng.integers(50, 150)), "dup_line_frac": int(rng.integers(20, 80))},
            "gopher_quality": {
                "gopher_short_doc": int(rng.integers(100, 300)),
                "gopher_below_alpha_threshold": int(rng.integers(5, 30)),
            },
            "exact_dedup (collect)": {},
            "exact_dedup": {"exact_duplicate": int(rng.integers(100, 300))},
            "minhash_dedup (collect)": {},
            "minhash_dedup": {"near_duplicate": int(rng.integers(200, 500))},
            "quality_score": {},
            "domain_classify": {},
        }
        stages = [StageCounts("read", n, read, {}, 0.1)]
        observed = []
        current = read
        for name, reasons in drops.items():
            out = current - sum(reasons.values())
            stages.append(StageCounts(name, current, out, reasons, float(rng.uniform(0.05, 3.0))))
            metrics = []
            if name == "language_id":
                scores = rng.beta(8, 1.2, size=current)
                metrics.append(_metric(rng, "language_score", scores, 0.0, 1.0, [("min_score", 0.5)], True))
            elif name == "gopher_quality":
                words = rng.lognormal(6, 1, size=current // 8)
                metrics.append(
                    _metric(
                        rng,
                        "gopher_words",
                        words,
                        1.0,
                        1e6,
                        [("min_doc_words", 50), ("max_doc_words", 100000)],
                        True,
                        bins=60,
                        log=True,
                        sample_every=8,
                    )
                )
            elif name == "quality_score":
                metrics.append(
                    _metric(rng, "quality_score", rng.beta(5, 2, size=current), 0.0, 1.0, [("threshold", 0.5)], False)
                )
            elif name == "domain_classify":
                metrics.append(
                    _metric(
                        rng, "domain_score", rng.beta(6, 1.5, size=current), 0.0, 1.0, [("min_probability", 0.5)], False
                    )
                )
            examples = {reason: [_example(rng, shard, reason, i) for i in range(3)] for reason in reasons}
            observed.append(
                {
                    "name": name,
                    "chars_in": current * 2000,
                    "chars_out": out * 2000,
                    "tokens_in": 0,
                    "tokens_out": out * 450 if name == "domain_classify" else 0,
                    "metrics": metrics,
                    "examples": examples,
                    "device": "cpu" if name in ("quality_score", "domain_classify") else None,
                }
            )
            current = out
        kept = current
        stages.append(StageCounts("write", kept, kept, {}, 0.3))
        languages = rng.choice(LANGUAGES, size=kept, p=(0.7, 0.1, 0.1, 0.1))
        domains = rng.choice(DOMAINS, size=kept)
        topics = rng.integers(0, TOPICS, size=kept)
        scores = rng.beta(5, 2, size=kept)
        tokens = rng.lognormal(6, 0.8, size=kept).astype(int) + 1
        starts = rng.integers(0, len(base_text) - 400, size=kept)
        lengths = rng.integers(60, 400, size=kept)
        texts = [base_text[s : s + length] for s, length in zip(starts.tolist(), lengths.tolist(), strict=True)]
        table = pa.table(
            {
                "id": [f"{stem}-{i}" for i in range(kept)],
                "text": texts,
                "language": languages,
                "domain": domains,
                "topic_id": topics,
                "quality_score": scores,
                "token_count": tokens,
            }
        )
        output_file = f"{stem}.parquet"
        pq.write_table(table, folder / output_file, compression="zstd")
        composition = {}
        for field_name, values in (("language", languages), ("domain", domains), ("topic_id", topics.astype(str))):
            unique, inverse = np.unique(values, return_inverse=True)
            composition[field_name] = {
                str(value): [int(c), int(t)]
                for value, c, t in zip(unique, np.bincount(inverse), np.bincount(inverse, weights=tokens), strict=True)
            }
        output = {
            "composition": composition,
            "length_chars": _histogram(rng, lengths.astype(float), 1.0, 1e7, 70, True),
            "length_tokens": _histogram(rng, tokens.astype(float), 1.0, 1e7, 70, True),
        }
        result = ShardResult(
            source=f"input/{stem}.jsonl.gz",
            stem=stem,
            records_in=n,
            kept=kept,
            quarantined={"malformed_json": quarantined} if quarantined else {},
            stages=stages,
            outputs={output_file: kept},
            output_tokens={output_file: int(tokens.sum())},
            quarantine_file=f"_quarantine/{stem}.jsonl" if quarantined else None,
            seconds=5.0,
            observations={"stages": observed, "output": output},
        )
        results.append(result)
        marker = {"result": result.to_dict(), "recipe_fingerprint": "bench", "recipe_identity": {}, "finished_at": "-"}
        (folder / "_markers" / f"{stem}.done.json").write_text(json.dumps(marker))
        if quarantined:
            lines = [
                json.dumps(
                    {
                        "source_file": result.source,
                        "reason": "malformed_json",
                        "detail": "unexpected end of data",
                        "line": i,
                        "byte_offset": i * 900,
                        "snippet": '{"id": "x", "text": "cut',
                    }
                )
                for i in range(quarantined)
            ]
            (folder / "_quarantine" / f"{stem}.jsonl").write_text("\n".join(lines) + "\n")
        for slug, reason in (("03-exactdedup", "exact_duplicate"), ("04-minhashdedup", "near_duplicate")):
            removed = drops[slug.split("-", 1)[1].replace("dedup", "_dedup")][reason]
            sizes = np.minimum(rng.zipf(2.0, size=removed), 50)
            lines, written, cluster = [], 0, 0
            while written < removed:
                for _ in range(min(int(sizes[cluster]), removed - written)):
                    lines.append(
                        json.dumps({"id": f"{stem}-d{written}", "reason": reason, "cluster": f"{stem}:{cluster}"})
                    )
                    written += 1
                cluster += 1
            (folder / "_work/stages" / slug / "removed" / f"{stem}.jsonl").write_text("\n".join(lines) + "\n")
    summary = build_summary(
        recipe_name="demo",
        fingerprint="bench",
        input_path="input",
        output_path=str(folder),
        executor={"kind": "local", "workers": 16, "scheduler": None},
        started_at="2026-12-01T00:00:00+00:00",
        finished_at="2026-12-01T01:00:00+00:00",
        wall_seconds=3600.0,
        total_shards=shards,
        skipped=0,
        stale=0,
        results=results,
        processed_now=results,
        failures=[],
    )
    summary["global_stages"] = {
        "exact_dedup": {
            "waves": 2,
            "tasks": 2 * shards,
            "seconds": 60.0,
            "workdir": str(folder / "_work/stages/03-exactdedup"),
        },
        "minhash_dedup": {
            "waves": 2,
            "tasks": 4 * shards,
            "seconds": 300.0,
            "workdir": str(folder / "_work/stages/04-minhashdedup"),
        },
    }
    summary["warnings"] = []
    (folder / "summary.json").write_text(json.dumps(summary))


REPORT_SCRIPT = """
import sys, time
started = time.perf_counter()
from curation.report.run_record import read_run_record
from curation.report.html import build_report
record = read_run_record(sys.argv[1])
gathered = time.perf_counter()
page = build_report(record)
rendered = time.perf_counter()
open(sys.argv[2], "w", encoding="utf-8").write(page)
print(f"{gathered - started:.2f} {rendered - gathered:.2f} {time.perf_counter() - started:.2f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--work", default="build/bench/report")
    args = parser.parse_args()
    folder = Path(args.work) / f"run-{args.documents}"
    if not (folder / "summary.json").is_file():
        started = time.perf_counter()
        generate(folder, args.documents)
        print(f"generated {folder} in {time.perf_counter() - started:.1f} s")
    summary = json.loads((folder / "summary.json").read_text())
    totals = summary["totals"]
    print(
        f"run: {totals['records_in']:,} records in, {totals['kept']:,} kept, {totals['shards']:,} shards, "
        f"{len(totals['stages'])} stage rows"
    )
    page = folder / "report.html"
    for attempt in ("cold", "warm"):
        started = time.perf_counter()
        output = subprocess.run(
            [sys.executable, "-c", REPORT_SCRIPT, str(folder), str(page)],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        ).stdout.split()
        wall = time.perf_counter() - started
        gather, render, total = map(float, output)
        print(
            f"report ({attempt}): process {wall:.1f} s = imports and start-up {wall - total:.1f} s + gather the record "
            f"{gather:.1f} s + render {render:.1f} s; page {page.stat().st_size / 1024:,.0f} KiB"
        )
    html = page.read_text()
    svg = sum(len(part) for part in re.findall(r"<svg.*?</svg>", html, flags=re.S))
    print(
        f"of which inline SVG ~{svg / 1024:,.0f} KiB in {html.count('<svg')} plots; "
        f"limit {SIZE_LIMIT / 1024:,.0f} KiB: {'under' if page.stat().st_size < SIZE_LIMIT else 'OVER'}"
    )


if __name__ == "__main__":
    main()
