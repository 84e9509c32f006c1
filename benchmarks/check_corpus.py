"""A deterministic curated-output-like corpus with planted defects, for the ``curate check`` benchmark.

Documents are English prose: 12-30 sentences drawn from the sample corpus's good English documents
(``curate sample``), in paragraphs, with the columns a curated output has (``language``, ``language_score``,
``domain``, ``quality_score``), written as Parquet shards of 4,096-row groups as our writer makes them. Per
thousand documents, by default: 10 empty, 30 exact copies (verbatim or re-cased) and 30 near copies (a word
in 50 replaced, a sentence dropped) of a recent document, 20 German documents, 5 with an email and a phone
number, 2 with a benchmark passage. The planted counts are returned, so a benchmark can compare the rates a
check measures (on all documents, or on a sample) with the truth.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DOMAINS = ("science", "technology", "health", "finance", "sports", "cooking")
PASSAGE = (
    "Photosynthesis is the process used by plants and other organisms to convert light energy into chemical "
    "energy that through cellular respiration can later be released to fuel the organism's activities."
)
PII = "For details write to maria.gonzalez@examplemail.com or call (212) 736-5000 during office hours."
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass
class CheckCorpusSpec:
    documents: int = 100_000
    shards: int = 10
    empty: int = 10
    exact: int = 30
    near: int = 30
    foreign: int = 20
    pii: int = 5
    contaminated: int = 2
    """Planted defects per thousand documents."""
    seed: int = 0


def sentence_pools(seed: int) -> dict[str, list[str]]:
    """Sentences of the sample corpus's good documents, by language (en, de)."""
    import orjson

    from curation.sample import generate_sample, load_truth

    pools: dict[str, list[str]] = {"en": [], "de": []}
    with tempfile.TemporaryDirectory() as folder:
        manifest = generate_sample(folder, shards=8, docs_per_shard=250, seed=seed)
        truth = {(row["shard"], row["line"]): row for row in load_truth(manifest.truth_path)}
        import gzip

        for path in manifest.shard_paths:
            for number, line in enumerate(gzip.decompress(path.read_bytes()).split(b"\n"), start=1):
                row = truth.get((path.name, number))
                if not row or row["is_junk"] or row["exact_dup_of"] or row["near_dup_of"]:
                    continue
                if row["language"] in pools:
                    text = orjson.loads(line)["text"]
                    for paragraph in text.split("\n\n")[1:]:
                        pools[row["language"]] += [s for s in _SENTENCE_END.split(paragraph) if len(s.split()) > 3]
    return pools


class _Writer:
    def __init__(self, folder: Path, shards: int, documents: int):
        self.folder = folder
        self.per_shard = -(-documents // shards)
        self.rows: dict[str, list] = {}
        self.shard = 0

    def add(self, **row) -> None:
        for key, value in row.items():
            self.rows.setdefault(key, []).append(value)
        if len(self.rows["id"]) == self.per_shard:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        table = pa.table(
            {
                "id": pa.array(self.rows["id"], pa.string()),
                "text": pa.array(self.rows["text"], pa.large_string()),
                "language": pa.array(self.rows["language"], pa.string()),
                "language_score": pa.array(self.rows["language_score"], pa.float64()),
                "domain": pa.array(self.rows["domain"], pa.string()),
                "quality_score": pa.array(self.rows["quality_score"], pa.float64()),
            }
        )
        pq.write_table(table, self.folder / f"part-{self.shard:05d}.parquet", row_group_size=4096, compression="zstd")
        self.rows = {}
        self.shard += 1


def write_corpus(spec: CheckCorpusSpec, folder: Path) -> dict[str, int]:
    """Write the corpus into ``folder``; return the planted count of each defect."""
    folder.mkdir(parents=True, exist_ok=True)
    pools = {language: np.array(sentences, dtype=object) for language, sentences in sentence_pools(spec.seed).items()}
    rng = np.random.default_rng(spec.seed)
    writer = _Writer(folder, spec.shards, spec.documents)
    planted = dict.fromkeys(("empty", "exact", "near", "foreign", "pii", "contaminated"), 0)
    recent: list[str] = []
    cuts = np.cumsum([spec.empty, spec.exact, spec.near, spec.foreign, spec.pii, spec.contaminated])

    def prose(language: str) -> str:
        pool = pools[language]
        sentences = list(pool[rng.integers(0, len(pool), int(rng.integers(12, 31)))])
        title = " ".join(sentences[0].split()[:6]).rstrip(".,;")
        return title + "\n\n" + "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))

    for index in range(spec.documents):
        roll = int(rng.integers(1000))
        kind = next((name for name, cut in zip(planted, cuts, strict=True) if roll < cut), None)
        language = "en"
        if kind in ("exact", "near") and recent:
            text = recent[int(rng.integers(len(recent)))]
            if kind == "exact":
                text = text.lower() if rng.random() < 0.3 else text
            else:
                words = text.split(" ")
                for position in rng.choice(len(words), max(1, len(words) // 50), replace=False):
                    words[position] = str(pools["en"][int(rng.integers(len(pools["en"])))].split()[0])
                paragraphs = " ".join(words).split("\n\n")
                paragraphs.pop(int(rng.integers(1, len(paragraphs)))) if len(paragraphs) > 2 else None
                text = "\n\n".join(paragraphs)
        elif kind == "empty":
            text = ""
        elif kind == "foreign":
            language, text = "de", prose("de")
        else:
            text = prose("en")
            if kind == "pii":
                text += " " + PII
            elif kind == "contaminated":
                text += "\n\n" + PASSAGE
            recent.append(text)
            if len(recent) > 2000:
                recent.pop(0)
        if kind is not None and not (kind in ("exact", "near") and len(recent) == 0):
            planted[kind] += 1
        writer.add(
            id=f"doc-{index:08d}",
            text=text,
            language=language,
            language_score=round(float(rng.uniform(0.8, 1.0)), 4),
            domain=DOMAINS[int(rng.integers(len(DOMAINS)))],
            quality_score=round(float(rng.beta(6, 2)), 4),
        )
    writer.flush()
    return planted
