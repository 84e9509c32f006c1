"""``synth_near_dedup``: MinHash near-duplicates among synthetic answers and against their sources.

This is the project's ``minhash_dedup`` stage (same signatures, LSH banding, candidate check and
clusters) with one addition: while collecting a shard it also hashes the source texts the answers were
made from (``synth_source_text``, once per source), and stores them as *reference* documents beside the
shard's own state (``refs/`` in the work folder). References take part in clustering like the documents of
a persistent index: they are never dropped, and an answer in a cluster with one is dropped as
``near_duplicate_of_source``. Answers near-duplicating each other keep one per cluster (the highest
``quality_score``, then the smallest id) and drop the rest as ``near_duplicate``.

The source text is removed from each answer here, the last step that reads it, unless
``keep_source_text`` is set.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolder

from curation.dedup import storage
from curation.dedup.index import Source
from curation.dedup.minhash_stage import MinHashDedup
from curation.global_stage import ShardContext
from curation.synth import records as R

REFERENCES = "refs/"


class SynthNearDuplicates(MinHashDedup):
    """MinHash dedup of answers among themselves and against their sources (see the module docstring).

    Args:
        keep_source_text: keep ``synth_source_text`` on the rows written (for audits; doubles the size).
        Every other parameter is ``minhash_dedup``'s.
    """

    name = "🫂 synth near-dedup"
    protected_suffix = "_of_source"
    metadata_prefix = "synth_near_dedup"

    def __init__(self, keep_source_text: bool = False, **minhash: Any):
        super().__init__(**minhash)
        self.keep_source_text = keep_source_text
        self._source_texts: dict[str, str] = {}
        self._source_hints: dict[str, object] = {}

    def collect(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        self._source_texts, self._source_hints = {}, {}

        def remember(documents):
            for document in documents:
                source_id = document.metadata.get(R.SOURCE_ID)
                text = document.metadata.get(R.SOURCE_TEXT)
                if isinstance(source_id, str) and isinstance(text, str) and source_id not in self._source_texts:
                    self._source_texts[source_id] = text
                    # a rewrite keeps its source's language, so the source is shingled as its rewrite is
                    self._source_hints[source_id] = self._key_hint(document)
                yield document

        yield from super().collect(remember(data), context)

    def _finish_collect(self, folder: DataFolder, stem: str, state: dict[str, Any], count: int) -> None:
        super()._finish_collect(folder, stem, state, count)
        # the references are complete before the shard's docs table, which marks the shard's state complete
        references = DataFolder(folder._join(REFERENCES.rstrip("/")), fs=folder.fs)
        ids, texts = list(self._source_texts), list(self._source_texts.values())
        hints = [self._source_hints.get(source_id) for source_id in ids]
        reference_state = self._new_state()
        for start in range(0, len(texts), self.batch_size):
            end = start + self.batch_size
            self._collect_batch(texts[start:end], hints[start:end], start, reference_state)
        MinHashDedup._finish_collect(self, references, stem, reference_state, len(texts))
        storage.save_table(
            references,
            f"docs/{stem}.parquet",
            {"id": pa.array(ids, pa.string()), "quality": pa.array([float("nan")] * len(ids), pa.float64())},
        )
        self._source_texts, self._source_hints = {}, {}

    def _sources(self, workdir: DataFolder, params: dict[str, Any]) -> list[Source]:  # type: ignore[override]
        run = super()._sources(workdir, params)
        stems = params["stems"]
        references = [Source(workdir, REFERENCES, stem, f"source:{stem}", True) for stem in stems]
        return run[: len(stems)] + references + run[len(stems) :]

    def apply(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        for document in super().apply(data, context):
            if not self.keep_source_text:
                document.metadata.pop(R.SOURCE_TEXT, None)
            yield document
