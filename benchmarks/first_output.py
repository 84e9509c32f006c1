"""Time to first output: how long ``curate run`` takes to commit its first curated shard, and to finish.

    python benchmarks/first_output.py [--repeats 2] 2>/dev/null

Two recipes, each run as a user runs it (``python -m curation run ... -q`` in a fresh process, so imports,
worker start-up and model loading count), with 1 and 2 workers:

- ``pipelines/demo.yaml`` on the demo's sample corpus (``build/demo/sample``, models in ``build/demo/models``;
  ``make demo`` builds both): language id, Gopher rules, exact + MinHash dedup, quality and domain models;
- ``pipelines/web.yaml`` on the five WARCs of ``../shared/data/warc/commoncrawl``: extraction, language id,
  Gopher and FineWeb rules.

Each runs twice in the same invocation: with the rule stages' default word splitter and with
``word_splitter: spacy`` added to them (datatrove's spaCy tokenizers, what the rule stages used before).
"First output" is the moment the first ``_markers/*.done.json`` appears in the output folder; best of
``--repeats``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO = REPO_ROOT / "build" / "demo"
WARCS = REPO_ROOT.parent / "shared" / "data" / "warc" / "commoncrawl"
RULES = ("gopher_repetition", "gopher_quality", "fineweb_quality", "c4_quality")


def recipe_with_splitter(recipe: Path, splitter: str, folder: Path) -> Path:
    data = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    for entry in data["stages"]:
        if isinstance(entry, dict) and entry.get("stage") in RULES:
            entry.setdefault("params", {})["word_splitter"] = splitter
    target = folder / f"{recipe.stem}-{splitter}.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def timed_run(recipe: Path, source: Path, workers: int, folder: Path) -> tuple[float, float]:
    """(seconds to the first committed shard, seconds to the end) of one ``curate run``."""
    output = Path(tempfile.mkdtemp(dir=folder))
    markers = output / "_markers"
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "curation", "run", str(recipe), "-i", str(source), "-o", str(output)]
    started = time.perf_counter()
    process = subprocess.Popen([*command, "-w", str(workers), "-q"], cwd=REPO_ROOT, env=env)
    first = None
    while process.poll() is None:
        if first is None and markers.is_dir() and any(markers.glob("*.done.json")):
            first = time.perf_counter() - started
        time.sleep(0.05)
    total = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return (first if first is not None else total), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    cases = []
    if (DEMO / "models" / "quality").is_dir() and (DEMO / "sample" / "shards").is_dir():
        cases.append(
            ("demo.yaml on the demo sample", REPO_ROOT / "pipelines" / "demo.yaml", DEMO / "sample" / "shards")
        )
    else:
        print("skipping demo.yaml: run `make demo` (or the two commands of its first steps) first")
    if WARCS.is_dir():
        cases.append(("web.yaml on the 5 Common Crawl WARCs", REPO_ROOT / "pipelines" / "web.yaml", WARCS))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for title, recipe, source in cases:
            print(f"\n{title}")
            for workers in (1, 2):
                row = []
                for splitter in ("spacy", "regex"):
                    variant = recipe_with_splitter(recipe, splitter, folder)
                    runs = [timed_run(variant, source, workers, folder) for _ in range(args.repeats)]
                    first, total = min(r[0] for r in runs), min(r[1] for r in runs)
                    row.append((splitter, first, total))
                cells = "   ".join(f"{name:5} first {first:5.1f} s, all {total:5.1f} s" for name, first, total in row)
                speedup = row[0][1] / row[1][1]
                print(f"  {workers} worker{'s' if workers > 1 else ' '}: {cells}   (first output x{speedup:.1f})")


if __name__ == "__main__":
    main()
