"""``decontaminate``: remove documents that share a long word n-gram with evaluation texts.

Benchmark test sets leak into web crawls; a model trained on them scores what it memorised. A document is
contaminated when one of its word n-grams (13 by default, the GPT-3 paper's choice) also occurs in an
evaluation text. Words are those of ``curation.dedup.tokens`` (lower-cased, punctuation ignored), so a copy
with different casing or punctuation still matches.

The evaluation set is small and known up front, so this is an ordinary per-shard filter: every n-gram of
the evaluation texts goes into a sorted array of 64-bit hashes, and each batch of documents is looked up
with one vectorised search. A hash hit is confirmed by comparing the words themselves, so a hash collision
can never remove a document. Each match is recorded on the document (``metadata["contamination"]``: which
evaluation text, which n-gram), in the stats, and — for dropped documents — in ``excluded_path``.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import numpy as np
import orjson
from datatrove.data import Document
from datatrove.io import get_datafolder
from datatrove.pipeline.filters.base_filter import BaseFilter

from curation.dedup import kernels
from curation.dedup.signatures import encode_batch
from curation.dedup.tokens import NON_WORD_RANGES_ARRAY, words

Action = Literal["drop", "annotate"]


class EvaluationNgrams:
    """The n-grams of a set of evaluation texts, as sorted 64-bit hashes with where each came from."""

    def __init__(self, texts: list[str], names: list[str], ngram: int):
        if len(texts) != len(names):
            raise ValueError("one name per evaluation text is needed")
        self.texts = texts
        self.names = names
        self.ngram = ngram
        hashes, offsets = ngram_hashes(texts, ngram)
        text_of = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(offsets))
        position_in_text = np.arange(len(hashes), dtype=np.int64) - offsets[text_of]
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.text_of = text_of[order]
        self.position_of = position_in_text[order]
        self._words: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self.hashes)

    def ngram_words(self, text_index: int, position: int) -> list[str]:
        if text_index not in self._words:
            self._words[text_index] = words(self.texts[text_index])
        return self._words[text_index][position : position + self.ngram]


def ngram_hashes(texts: list[str], ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every word n-gram of each text: ``hashes[offsets[i]:offsets[i + 1]]`` is text ``i``'s."""
    buffer, offsets = encode_batch(texts, "word")
    hashes = np.empty(buffer.size + 1, dtype=np.uint64)
    out_offsets = np.empty(len(texts) + 1, dtype=np.int64)
    written = kernels.word_ngram_hashes64(buffer, offsets, ngram, NON_WORD_RANGES_ARRAY, out_offsets, hashes)
    return hashes[:written], out_offsets


def read_evaluation_texts(
    path: str, text_field: str = "text", id_field: str | None = "id"
) -> Iterator[tuple[str, str]]:
    """(name, text) for each evaluation text in a file: JSONL (optionally .gz), Parquet, or plain text.

    A plain-text file is one text per non-empty line. Names are ``<file>:<id>`` when records have ``id_field``,
    else ``<file>:<line or row number>``.
    """
    folder = get_datafolder(path.rsplit("/", 1)[0] if "/" in path else ".")
    filename = path.rsplit("/", 1)[-1]
    with folder.open(filename, "rb") as handle:
        data = handle.read()
    if filename.endswith(".gz"):
        data = gzip.decompress(data)
        filename = filename[:-3]
    if filename.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        if text_field not in table.column_names:
            raise ValueError(f"evaluation file {path} has no column {text_field!r}; columns: {table.column_names}")
        ids = table.column(id_field).to_pylist() if id_field and id_field in table.column_names else None
        for row, text in enumerate(table.column(text_field).to_pylist()):
            if isinstance(text, str):
                yield f"{filename}:{ids[row] if ids else row}", text
    elif filename.endswith((".jsonl", ".json")):
        for line_number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise ValueError(f"evaluation file {path}, line {line_number}: not JSON ({error})") from error
            text = record.get(text_field) if isinstance(record, dict) else None
            if not isinstance(text, str):
                raise ValueError(f"evaluation file {path}, line {line_number}: no string field {text_field!r}")
            name = record.get(id_field) if id_field else None
            yield f"{filename}:{name if name is not None else line_number}", text
    else:
        for line_number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
            if line.strip():
                yield f"{filename}:{line_number}", line


class Decontaminate(BaseFilter):
    """Drop (or mark) documents sharing a word n-gram (default 13) with any of the given evaluation texts."""

    name = "🧪 decontaminate"
    path_params: ClassVar[dict[str, str]] = {"paths": "read", "excluded_path": "write"}
    """The evaluation files it reads and the folder it writes dropped documents to (``curation.recipe.paths``)."""

    def __init__(
        self,
        texts: list[str] | None = None,
        paths: list[str] | None = None,
        ngram: int = 13,
        text_field: str = "text",
        id_field: str | None = "id",
        action: Action = "drop",
        max_recorded: int = 5,
        excluded_path: str | None = None,
        batch_size: int = 512,
    ):
        """
        Args:
            texts: evaluation texts given inline (named ``inline:<index>``).
            paths: evaluation files (JSONL, JSONL.gz, Parquet, or plain text with one text per line).
            ngram: n-gram length in words; 13 by default.
            text_field, id_field: where the text and the name of each record are in JSONL/Parquet files.
            action: ``drop`` contaminated documents, or ``annotate`` them and keep them.
            max_recorded: matches recorded per document (all are counted).
            excluded_path: folder where dropped documents are written (datatrove JSONL, match records included).
            batch_size: documents looked up together.
        """
        exclusion_writer = None
        if excluded_path:
            from datatrove.pipeline.writers import JsonlWriter

            exclusion_writer = JsonlWriter(excluded_path)
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        if ngram < 1:
            raise ValueError(f"ngram must be at least 1, got {ngram}")
        if action not in ("drop", "annotate"):
            raise ValueError(f"unknown action {action!r}; use 'drop' or 'annotate'")
        names: list[str] = []
        evaluation: list[str] = []
        for index, text in enumerate(texts or []):
            names.append(f"inline:{index}")
            evaluation.append(text)
        for path in paths or []:
            for name, text in read_evaluation_texts(path, text_field, id_field):
                names.append(name)
                evaluation.append(text)
        if not evaluation:
            raise ValueError("decontaminate needs evaluation texts: give `texts` or `paths`")
        self.ngram = ngram
        self.action = action
        self.max_recorded = max_recorded
        self.index = EvaluationNgrams(evaluation, names, ngram)
        if len(self.index) == 0:
            raise ValueError(f"no evaluation text has {ngram} words or more; nothing could ever match")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        hashes, offsets = ngram_hashes([doc.text for doc in batch], self.ngram)
        found = np.searchsorted(self.index.hashes, hashes)
        found[found == len(self.index.hashes)] = 0
        hit = self.index.hashes[found] == hashes
        results: list[bool | tuple[bool, str]] = []
        for row, doc in enumerate(batch):
            start, stop = offsets[row], offsets[row + 1]
            hits = np.flatnonzero(hit[start:stop])
            matches = self._confirmed_matches(doc, hits, hashes[start:stop]) if len(hits) else []
            if not matches:
                results.append(True)
                continue
            self.stat_update("contaminated_documents")
            self.stat_update("matched_ngrams", value=len(matches))
            doc.metadata["contamination"] = matches[: self.max_recorded]
            doc.metadata["contamination_count"] = len(matches)
            results.append(True if self.action == "annotate" else (False, "contaminated"))
        return results

    def _confirmed_matches(self, doc: Document, hits: np.ndarray, doc_hashes: np.ndarray) -> list[dict[str, Any]]:
        """The matches whose words really are equal (a 64-bit hash hit almost always is)."""
        doc_words = words(doc.text)
        matches = []
        for position in hits:
            ngram = doc_words[position : position + self.ngram]
            first = np.searchsorted(self.index.hashes, doc_hashes[position])
            last = np.searchsorted(self.index.hashes, doc_hashes[position], side="right")
            for entry in range(first, last):
                text_index = int(self.index.text_of[entry])
                if self.index.ngram_words(text_index, int(self.index.position_of[entry])) == ngram:
                    matches.append({"source": self.index.names[text_index], "ngram": " ".join(ngram)})
                    break
        return matches
