"""A clean curated output for the ``curate check`` tests, and the defects they inject into copies of it.

The clean output is what a correct pipeline makes of the sample corpus (``curate sample``): its English
documents of good quality with every duplicate and malformed record removed, as the sample's ground truth
says, with the columns a curated output carries (``language``, ``domain``, ``quality_score``), written by a
real ``curate run`` of ``pipelines/passthrough.yaml`` (Parquet shards, markers, ``summary.json``). The
quality score stands in for a classifier's: a seeded Beta(6, 2) draw per document.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tests.helpers import write_jsonl

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCHMARK_PASSAGES = [
    "The Amazon rainforest covers much of the Amazon basin of South America and is home to an estimated "
    "three hundred ninety billion individual trees divided into sixteen thousand species.",
    "Photosynthesis is the process used by plants and other organisms to convert light energy into chemical "
    "energy that through cellular respiration can later be released to fuel the organism's activities.",
    "In the year eighteen hundred and five the combined fleets of France and Spain were defeated off Cape "
    "Trafalgar by the British navy under the command of Admiral Horatio Nelson.",
]
PII_SENTENCE = " For details write to maria.gonzalez@examplemail.com or call (212) 736-5000 during office hours."

CHECKS_YAML = """
version: 1
name: tests
metrics:
  language: {source: model, expected: [en]}
  contamination: {texts: PASSAGES}
  required_columns: {id: string, text: string, language: string, domain: string, quality_score: number}
checks:
  - {name: every shard readable, metric: unreadable_shards, condition: "==", threshold: 0}
  - {name: no empty documents, metric: empty_rate, condition: "<", threshold: 1%}
  - {name: few short documents, metric: short_rate, condition: "<", threshold: 5%}
  - {name: no exact duplicates, metric: exact_duplicate_rate, condition: "<", threshold: 1%}
  - {name: no near duplicates, metric: near_duplicate_rate, condition: "<", threshold: 2%}
  - {name: only English, metric: unexpected_language_rate, condition: "<", threshold: 2%}
  - {name: English share, metric: language_share.en, condition: ">=", threshold: 0.98}
  - {name: no benchmark text, metric: contamination_rate, condition: "==", threshold: 0}
  - {name: no personal data, metric: pii_rate, condition: "<", threshold: 1%}
  - {name: schema holds, metric: schema.violations, condition: "==", threshold: 0}
  - {name: quality scores, metric: quality.p10, condition: ">=", threshold: 0.4}
  - {name: few quarantined, metric: quarantine_rate, condition: "<", threshold: 1%}
""".replace("PASSAGES", json.dumps(BENCHMARK_PASSAGES))


def _read_lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as handle:
        return handle.read().split(b"\n")


def build_clean_output(root: Path, shards: int = 4, docs_per_shard: int = 150) -> dict[str, Any]:
    """Write the sample corpus, its clean English subset, and the run over it; returns the paths and the
    sample's good non-English documents (material for a wrong-language slice)."""
    from curation import load_recipe, run_recipe
    from curation.sample import generate_sample, load_truth

    manifest = generate_sample(root / "sample", shards=shards, docs_per_shard=docs_per_shard, seed=0)
    truth = load_truth(manifest.truth_path)
    rng = np.random.default_rng(0)
    clean: dict[str, list[dict[str, Any]]] = {}
    foreign: list[dict[str, Any]] = []
    lines = {path.name: _read_lines(path) for path in manifest.shard_paths}
    for row in truth:
        if row["is_junk"] or row["malformed"] or row["exact_dup_of"] or row["near_dup_of"]:
            continue
        record = json.loads(lines[row["shard"]][row["line"] - 1])
        record.update(language=row["language"], domain=row["domain"])
        if row["language"] == "en":
            record["quality_score"] = round(float(rng.beta(6, 2)), 4)
            clean.setdefault(row["shard"].split(".")[0], []).append(record)
        else:
            foreign.append(record)
    for stem, records in clean.items():
        write_jsonl(root / "clean" / f"{stem}.jsonl.gz", records)
    output = root / "curated"
    report = run_recipe(
        load_recipe(REPO_ROOT / "pipelines" / "passthrough.yaml"),
        input_path=str(root / "clean"),
        output_path=str(output),
        workers=1,
        progress="none",
    )
    assert report.ok, report.summary
    checks = root / "checks.yaml"
    checks.write_text(CHECKS_YAML)
    return {"output": output, "checks": checks, "foreign": foreign, "documents": sum(map(len, clean.values()))}


Mutation = Callable[[pa.Table, random.Random], pa.Table]


def mutated_copy(clean: Path, target: Path, mutate: Mutation, seed: int = 0) -> Path:
    """A copy of a curated output whose every shard went through ``mutate``."""
    shutil.copytree(clean, target)
    rng = random.Random(seed)
    for path in sorted(target.glob("*.parquet")):
        pq.write_table(mutate(pq.read_table(path), rng), path)
    return target


def _pick(table: pa.Table, fraction: float, rng: random.Random) -> list[int]:
    count = max(1, round(table.num_rows * fraction))
    return sorted(rng.sample(range(table.num_rows), count))


def _set_column(table: pa.Table, name: str, values: list[Any]) -> pa.Table:
    index = table.schema.get_field_index(name)
    return table.set_column(index, table.schema.field(index), pa.array(values, table.schema.field(index).type))


def empty_documents(fraction: float) -> Mutation:
    def mutate(table: pa.Table, rng: random.Random) -> pa.Table:
        texts = table.column("text").to_pylist()
        for row in _pick(table, fraction, rng):
            texts[row] = rng.choice(["", " ", "\n\n"])
        return _set_column(table, "text", texts)

    return mutate


def _with_copies(table: pa.Table, rows: list[int], make_text: Callable[[str], str], suffix: str) -> pa.Table:
    copies = table.take(rows).to_pylist()
    for record in copies:
        record["id"] = f"{record['id']}-{suffix}"
        record["text"] = make_text(record["text"])
    return pa.concat_tables([table, pa.Table.from_pylist(copies, schema=table.schema)])


def exact_duplicates(fraction: float) -> Mutation:
    from curation.sample.duplicates import EXACT_VARIANTS, exact_copy

    def mutate(table: pa.Table, rng: random.Random) -> pa.Table:
        return _with_copies(
            table, _pick(table, fraction, rng), lambda text: exact_copy(text, rng.choice(EXACT_VARIANTS), rng), "copy"
        )

    return mutate


def near_duplicates(fraction: float) -> Mutation:
    from curation.sample.duplicates import near_copy

    def mutate(table: pa.Table, rng: random.Random) -> pa.Table:
        fillers = ("really", "also", "indeed", "still")
        return _with_copies(
            table, _pick(table, fraction, rng), lambda text: near_copy(text, fillers, None, rng), "near"
        )

    return mutate


def wrong_language(fraction: float, foreign: list[dict[str, Any]]) -> Mutation:
    """Replace a slice of documents by good documents in other languages (each used once, so no duplicates),
    labelled as language id would."""
    donors = iter(random.Random(1).sample(foreign, len(foreign)))

    def mutate(table: pa.Table, rng: random.Random) -> pa.Table:
        texts = table.column("text").to_pylist()
        languages = table.column("language").to_pylist()
        for row in _pick(table, fraction, rng):
            donor = next(donors)
            texts[row], languages[row] = donor["text"], donor["language"]
        return _set_column(_set_column(table, "text", texts), "language", languages)

    return mutate


def benchmark_passages(fraction: float) -> Mutation:
    def mutate(table: pa.Table, rng: random.Random) -> pa.Table:
        texts = table.column("text").to_pylist()
        for row in _pick(table, fraction, rng):
            paragraphs = texts[row].split("\n\n")
            paragraphs.insert(len(paragraphs) // 2, rng.choice(BENCHMARK_PASSAGES))
            texts[row] = "\n\n".join(paragraphs)
        return _set_column(table, "text", texts)

    return mutate


def personal_data(fraction: float) -> Mutation:
    def mutate(table: pa.Table, rng: random.Random) -> pa.Table:
        texts = table.column("text").to_pylist()
        for row in _pick(table, fraction, rng):
            texts[row] += PII_SENTENCE
        return _set_column(table, "text", texts)

    return mutate


def missing_column(name: str) -> Mutation:
    def mutate(table: pa.Table, rng: random.Random) -> pa.Table:
        return table.drop_columns([name])

    return mutate
