"""A deterministic news-length corpus with planted exact and near duplicates, for the dedup benchmarks.

Documents are ~500 words (450-550) of Zipf-distributed pseudo-words in sentences with capitals and
punctuation, so tokenisers and shingling do realistic work. Of every 100 documents, ``near_percent`` are
edited copies of an earlier document (a few words replaced, a sentence dropped, sometimes a footer added:
word-5-gram Jaccard about 0.75-0.9 to the original) and ``exact_percent`` are verbatim copies. The truth
(which document copies which) is returned so a benchmark can score what each tool removed.
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _vocabulary(size: int, rng: np.random.Generator) -> np.ndarray:
    lengths = rng.integers(2, 11, size)
    letters = rng.choice(_LETTERS, lengths.sum())
    cuts = np.cumsum(lengths)[:-1]
    return np.array(["".join(chunk) for chunk in np.split(letters, cuts)], dtype=object)


@dataclass
class CorpusSpec:
    documents: int = 20_000
    shards: int = 8
    near_percent: int = 10
    exact_percent: int = 5
    seed: int = 0


class NewsLikeCorpus:
    """Generates documents one at a time (constant memory), with the id of the original for planted copies."""

    def __init__(self, spec: CorpusSpec):
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.vocabulary = _vocabulary(60_000, self.rng)
        ranks = np.arange(1, len(self.vocabulary) + 1)
        weights = 1.0 / ranks**1.05
        self.cumulative = np.cumsum(weights / weights.sum())
        self.recent: list[str] = []

    def _fresh(self) -> str:
        count = int(self.rng.integers(450, 551))
        words = self.vocabulary[np.searchsorted(self.cumulative, self.rng.random(count))]
        sentences = []
        position = 0
        while position < count:
            length = int(self.rng.integers(8, 26))
            sentence = list(words[position : position + length])
            sentence[0] = sentence[0].capitalize()
            if len(sentence) > 6 and self.rng.random() < 0.5:
                sentence[3] += ","
            sentences.append(" ".join(sentence) + ".")
            position += length
        paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
        return "\n\n".join(paragraphs)

    def _near(self, text: str) -> str:
        words = text.split(" ")
        for position in self.rng.choice(len(words), max(1, len(words) // 70), replace=False):
            words[position] = str(self.vocabulary[self.rng.integers(len(self.vocabulary))])
        sentences = " ".join(words).split(". ")
        if len(sentences) > 10:
            del sentences[int(self.rng.integers(1, len(sentences) - 1))]
        edited = ". ".join(sentences)
        if self.rng.random() < 0.5:
            edited += "\n\nShare this article. Subscribe to our newsletter for more stories like this one."
        return edited

    def __iter__(self) -> Iterator[tuple[str, str, str | None, str | None]]:
        """(id, text, exact_copy_of, near_copy_of) for every document, in order."""
        texts: dict[str, str] = {}
        for index in range(self.spec.documents):
            doc_id = f"doc-{index:08d}"
            roll = self.rng.integers(100)
            if self.recent and roll < self.spec.exact_percent:
                original = self.recent[int(self.rng.integers(len(self.recent)))]
                yield doc_id, texts[original], original, None
                continue
            if self.recent and roll < self.spec.exact_percent + self.spec.near_percent:
                original = self.recent[int(self.rng.integers(len(self.recent)))]
                yield doc_id, self._near(texts[original]), None, original
                continue
            text = self._fresh()
            texts[doc_id] = text
            self.recent.append(doc_id)
            if len(self.recent) > 2000:  # originals are drawn from a sliding window: bounded memory
                texts.pop(self.recent.pop(0))
            yield doc_id, text, None, None


def write_corpus(spec: CorpusSpec, folder: Path) -> dict[str, tuple[str | None, str | None]]:
    """Write ``spec.shards`` JSONL.gz shards (documents dealt round-robin); return the planted copies."""
    folder.mkdir(parents=True, exist_ok=True)
    planted: dict[str, tuple[str | None, str | None]] = {}
    with contextlib.ExitStack() as stack:
        handles = [
            stack.enter_context(gzip.open(folder / f"part-{i:05d}.jsonl.gz", "wb", compresslevel=1))
            for i in range(spec.shards)
        ]
        for index, (doc_id, text, exact_of, near_of) in enumerate(NewsLikeCorpus(spec)):
            handles[index % spec.shards].write(orjson.dumps({"id": doc_id, "text": text}) + b"\n")
            if exact_of or near_of:
                planted[doc_id] = (exact_of, near_of)
    return planted


def read_texts(folder: Path) -> list[tuple[str, str]]:
    """(id, text) of every document of a written corpus, shard by shard."""
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            record = orjson.loads(line)
            rows.append((record["id"], record["text"]))
    return rows
