"""Per-document measurements of one shard, computed with the pipeline's own stages and kernels.

``DocumentProfiler`` holds the configured measuring tools (built once per worker process) and turns the
records of one read task into a ``ShardProfile``: compact arrays with one entry per document, counters, and
a few example positions, from which ``curation.checks.metrics`` computes the metrics of the whole data. The
tools are the ones the pipeline uses, so a check measures what the stages would do:

- tokens: ``curation.classify.tokens.TokenCounter`` (whitespace words, or a tokenizer);
- language: ``curation.filters.langid.LanguageIdentifier`` (fastText lid.176), or a metadata column;
- exact duplicates: ``curation.dedup.exact.text_hashes`` (the ``exact_dedup`` normalisation and 128-bit hash);
- near duplicates: ``curation.dedup.signatures.MinHasher`` and ``curation.dedup.lsh.band_keys`` (as
  ``minhash_dedup``); signatures and band keys go to files in the work folder, not into the profile;
- PII: ``curation.filters.pii.PIIRedactor.count`` (the ``pii_redact`` detectors, counting);
- contamination: ``curation.dedup.decontamination.Decontaminate`` (its n-gram matching, annotating).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from datatrove.data import Document

from curation.checks.config import DataSpec, MetricsSpec
from curation.io.quarantine import Quarantined, QuarantineReason
from curation.io.readers import Record, Skipped

BATCH_DOCUMENTS = 512
PII_KINDS = ("email", "phone", "ip")
UNKNOWN_LANGUAGE = "unknown"
MISSING_VALUE = "(missing)"


@dataclass
class ValueCounts:
    """Documents and tokens per value of one column (or of the language), with the first example positions."""

    documents: Counter[str] = field(default_factory=Counter)
    tokens: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[int]] = field(default_factory=dict)

    def add(self, value: str, tokens: int, position: int, keep: int) -> None:
        self.documents[value] += 1
        self.tokens[value] += tokens
        shown = self.examples.setdefault(value, [])
        if len(shown) < keep:
            shown.append(position)


@dataclass
class UnreadableRecords:
    """A shard's quarantined records by reason, with the first one's position and detail."""

    shard: str
    by_reason: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, record: Quarantined) -> None:
        self.by_reason[record.reason] += record.count
        if record.reason not in self.first:
            where = ", ".join(
                f"{name} {value}"
                for name, value in (("line", record.line), ("row", record.row), ("byte", record.byte_offset))
                if value is not None
            )
            self.first[record.reason] = (f"{where}: " if where else "") + record.detail[:300]

    @property
    def records(self) -> int:
        return sum(self.by_reason.values())

    @property
    def only_empty(self) -> bool:
        """An empty shard (a run that filtered everything writes one) is not a reading failure."""
        return set(self.by_reason) <= {QuarantineReason.EMPTY_FILE}


@dataclass
class ShardProfile:
    """Measurements of the documents of one read task, in the order they were read."""

    task: int
    shard: str
    ids: list[str] = field(default_factory=list)
    tokens: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    empty: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    short: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    exact_hashes: np.ndarray = field(default_factory=lambda: np.empty((0, 2), np.uint64))
    shingled: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    minhash_files: tuple[str, str] | None = None
    """(band keys ``(bands, n)`` uint64, signatures ``(n, num_perm)`` uint32) as ``.npy`` files."""
    pii: dict[str, np.ndarray] = field(default_factory=dict)
    pii_scanned: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    contaminated: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    contamination_sources: Counter[str] = field(default_factory=Counter)
    contamination_examples: list[tuple[int, str, str]] = field(default_factory=list)
    quality: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    languages: ValueCounts = field(default_factory=ValueCounts)
    language_sources: Counter[str] = field(default_factory=Counter)
    shares: dict[str, ValueCounts] = field(default_factory=dict)
    schema_missing: dict[str, np.ndarray] = field(default_factory=dict)
    schema_wrong_type: dict[str, np.ndarray] = field(default_factory=dict)
    schema_types: dict[str, Counter[str]] = field(default_factory=dict)
    unreadable: UnreadableRecords | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    failure: str | None = None
    """Set when measuring the shard failed; the shard is then reported as unreadable with this reason."""

    @property
    def documents(self) -> int:
        return len(self.ids)


def value_type(value: Any) -> str | None:
    """The schema type name of a metadata value (None for a missing or null value)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "struct"
    if isinstance(value, (bytes, bytearray)):
        return "binary"
    return type(value).__name__


def type_matches(found: str, wanted: str) -> bool:
    return wanted == "any" or found == wanted or (wanted == "number" and found == "integer")


class _Parts(dict):
    """Per-batch arrays of one task, by name, joined at its end; and how the task picks documents to scan
    for PII."""

    def __init__(self, pii_fraction: float, pii_chooser: np.random.Generator):
        super().__init__()
        self.pii_fraction = pii_fraction
        self.pii_chooser = pii_chooser


class DocumentProfiler:
    """Measure documents as configured by a checks file's ``metrics`` section.

    Built once per worker: it loads the language-id model, the tokenizer (if any), the evaluation n-grams and
    the PII detectors. ``work_dir`` receives the MinHash band keys and signatures of each task.
    """

    def __init__(self, metrics: MetricsSpec, data: DataSpec, work_dir: str | Path):
        from curation.classify.tokens import WORDS, TokenCounter

        self.metrics = metrics
        self.data = data
        self.work_dir = Path(work_dir)
        self.token_counter = TokenCounter(metrics.tokens)
        self.words_are_tokens = metrics.tokens == WORDS
        self.language_model = None
        if metrics.language.enabled and metrics.language.source in ("auto", "model"):
            from curation.filters.langid import LanguageIdentifier

            self.language_model = LanguageIdentifier(
                label_only=True, model_path=metrics.language.model_path, max_chars=metrics.language.max_chars
            )
        self.hasher = self.banding = None
        if metrics.near_duplicates.enabled:
            self.hasher, self.banding = near_duplicate_hashing(metrics)
        self.pii = None
        if metrics.pii.enabled:
            from curation.filters.pii import PIIRedactor

            spec = metrics.pii
            self.pii = PIIRedactor(
                emails=spec.emails, phones=spec.phones, ips=spec.ips, phone_regions=spec.phone_regions
            )
        self.decontaminator = None
        if metrics.contamination.enabled:
            from curation.dedup.decontamination import Decontaminate

            spec = metrics.contamination
            self.decontaminator = Decontaminate(
                texts=spec.texts or None,
                paths=spec.paths or None,
                ngram=spec.ngram,
                text_field=spec.text_field,
                id_field=spec.id_field,
                action="annotate",
                max_recorded=1,
            )

    def profile(
        self, task: int, shard: str, records: Iterable[Record], *, pii_fraction: float = 1.0, seed: int = 0
    ) -> ShardProfile:
        """Measure every document of ``records`` (one read task); count its quarantined and skipped records.

        ``pii_fraction``: the share of documents the PII detectors scan, chosen by a generator seeded with
        ``(seed, task)``, so the choice does not depend on which worker measures the task.
        """
        profile = ShardProfile(task, shard)
        parts = _Parts(pii_fraction, np.random.default_rng([seed, task]))
        batch: list[Document] = []
        for record in records:
            if type(record) is Document:
                batch.append(record)
                if len(batch) >= BATCH_DOCUMENTS:
                    self._measure(batch, profile, parts)
                    batch = []
            elif isinstance(record, Quarantined):
                profile.unreadable = profile.unreadable or UnreadableRecords(shard)
                profile.unreadable.add(record)
            elif isinstance(record, Skipped):
                profile.skipped[record.reason] += 1
        if batch:
            self._measure(batch, profile, parts)
        self._finish(profile, parts)
        return profile

    # ---- one batch -------------------------------------------------------------------------------------

    def _measure(self, batch: list[Document], profile: ShardProfile, parts: _Parts) -> None:
        first = len(profile.ids)
        texts = [doc.text for doc in batch]
        keep = self.metrics.examples
        profile.ids.extend(doc.id for doc in batch)
        tokens = np.asarray(self.token_counter.count(texts), dtype=np.int64)
        words = tokens if self.words_are_tokens else np.fromiter((len(t.split()) for t in texts), np.int64, len(texts))
        empty = np.fromiter((not t.strip() for t in texts), bool, len(texts))
        parts.setdefault("tokens", []).append(tokens)
        parts.setdefault("empty", []).append(empty)
        parts.setdefault("short", []).append(~empty & (words < self.metrics.short_document_words))
        if self.metrics.language.enabled:
            for offset, language in enumerate(self._languages(batch, texts, empty, profile)):
                if not empty[offset]:
                    profile.languages.add(language, int(tokens[offset]), first + offset, keep)
        if self.metrics.exact_duplicates.enabled:
            from curation.dedup.exact import text_hashes

            parts.setdefault("exact", []).append(text_hashes(texts, self.metrics.exact_duplicates.normalisation))
        if self.hasher is not None:
            from curation.dedup.lsh import band_keys

            signatures, shingle_counts = self.hasher.signatures(texts)
            parts.setdefault("signatures", []).append(signatures)
            parts.setdefault("keys", []).append(band_keys(signatures, self.banding).T.copy())
            parts.setdefault("shingled", []).append(shingle_counts > 0)
        if self.pii is not None:
            scanned = parts.pii_chooser.random(len(texts)) < parts.pii_fraction
            found = [self.pii.count(text) if chosen else {} for text, chosen in zip(texts, scanned, strict=True)]
            parts.setdefault("pii_scanned", []).append(scanned)
            for kind in PII_KINDS:
                parts.setdefault(f"pii_{kind}", []).append(np.fromiter((kind in f for f in found), bool, len(found)))
        if self.decontaminator is not None:
            parts.setdefault("contaminated", []).append(self._contamination(batch, profile, first))
        if self.metrics.quality.enabled:
            parts.setdefault("quality", []).append(self._quality(batch))
        if self.metrics.shares.enabled:
            for column in self.metrics.shares.columns:
                for offset, doc in enumerate(batch):
                    if column in doc.metadata:
                        counts = profile.shares.setdefault(column, ValueCounts())
                        counts.add(_share_value(doc.metadata[column]), int(tokens[offset]), first + offset, keep)
        for column, wanted in self.metrics.required_columns.items():
            missing, wrong, types = self._schema_column(batch, profile.shard, column, wanted)
            parts.setdefault(f"missing:{column}", []).append(missing)
            parts.setdefault(f"wrong:{column}", []).append(wrong)
            profile.schema_types.setdefault(column, Counter()).update(types)

    def _languages(
        self, batch: list[Document], texts: list[str], empty: np.ndarray, profile: ShardProfile
    ) -> list[str]:
        """The language of each document: its column (``column``/``auto``) or the model's (``model``/``auto``
        for documents without the column); counts which source said so."""
        spec = self.metrics.language
        languages = [UNKNOWN_LANGUAGE] * len(texts)
        unlabelled = []
        for i, doc in enumerate(batch):
            if empty[i]:
                continue  # no language: empty documents have their own metric
            label = doc.metadata.get(spec.column) if spec.source != "model" else None
            if isinstance(label, str) and label:
                languages[i] = label
                profile.language_sources["column"] += 1
            elif self.language_model is not None:
                unlabelled.append(i)
        if unlabelled:
            profile.language_sources["model"] += len(unlabelled)
            for i, (language, _script, _score) in zip(
                unlabelled, self.language_model.identify([texts[i] for i in unlabelled]), strict=True
            ):
                languages[i] = language
        return languages

    def _contamination(self, batch: list[Document], profile: ShardProfile, first: int) -> np.ndarray:
        probes = [Document(text=doc.text, id=doc.id) for doc in batch]
        self.decontaminator.filter_batch(probes)
        flags = np.zeros(len(probes), dtype=bool)
        for offset, probe in enumerate(probes):
            matches = probe.metadata.get("contamination")
            if matches:
                flags[offset] = True
                profile.contamination_sources[matches[0]["source"]] += 1
                if len(profile.contamination_examples) < self.metrics.examples:
                    profile.contamination_examples.append((first + offset, matches[0]["source"], matches[0]["ngram"]))
        return flags

    def _quality(self, batch: list[Document]) -> np.ndarray:
        name = self.metrics.quality.field
        scores = np.full(len(batch), np.nan)
        for offset, doc in enumerate(batch):
            value = doc.metadata.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                scores[offset] = value
        return scores

    def _schema_column(
        self, batch: list[Document], shard: str, column: str, wanted: str
    ) -> tuple[np.ndarray, np.ndarray, Counter[str]]:
        missing = np.zeros(len(batch), dtype=bool)
        wrong = np.zeros(len(batch), dtype=bool)
        types: Counter[str] = Counter()
        invented_id = f"{shard}#"
        for offset, doc in enumerate(batch):
            if column == self.data.text_field:
                value: Any = doc.text
            elif column == self.data.id_field:
                value = None if doc.id.startswith(invented_id) else doc.id  # the reader names id-less records
            else:
                value = doc.metadata.get(column)
            found = value_type(value)
            if found is None:
                missing[offset] = True
                types["null or missing"] += 1
                continue
            types[found] += 1
            wrong[offset] = not type_matches(found, wanted)
        return missing, wrong, types

    # ---- end of the task -------------------------------------------------------------------------------

    def _finish(self, profile: ShardProfile, parts: _Parts) -> None:
        n = profile.documents

        def joined(name: str, empty: np.ndarray) -> np.ndarray:
            return np.concatenate(parts[name]) if parts.get(name) else empty

        profile.tokens = joined("tokens", np.empty(0, np.int64))
        profile.empty = joined("empty", np.empty(0, bool))
        profile.short = joined("short", np.empty(0, bool))
        profile.exact_hashes = joined("exact", np.empty((0, 2), np.uint64))
        profile.contaminated = joined("contaminated", np.zeros(n, bool))
        profile.quality = joined("quality", np.full(n, np.nan))
        if self.pii is not None:
            profile.pii_scanned = joined("pii_scanned", np.zeros(0, bool))
            for kind in PII_KINDS:
                profile.pii[kind] = joined(f"pii_{kind}", np.zeros(0, bool))
        for column in self.metrics.required_columns:
            profile.schema_missing[column] = joined(f"missing:{column}", np.zeros(0, bool))
            profile.schema_wrong_type[column] = joined(f"wrong:{column}", np.zeros(0, bool))
        if self.hasher is not None:
            num_perm, bands = self.hasher.num_perm, self.banding.bands
            signatures = joined("signatures", np.empty((0, num_perm), np.uint32))
            keys = np.concatenate(parts["keys"], axis=1) if parts.get("keys") else np.empty((bands, 0), np.uint64)
            profile.shingled = joined("shingled", np.empty(0, bool))
            keys_path = self.work_dir / f"task-{profile.task:07d}.keys.npy"
            signatures_path = self.work_dir / f"task-{profile.task:07d}.signatures.npy"
            np.save(keys_path, keys)
            np.save(signatures_path, signatures)
            profile.minhash_files = (str(keys_path), str(signatures_path))


def near_duplicate_hashing(metrics: MetricsSpec):
    """The MinHash family and LSH banding a check uses: ``minhash_dedup``'s, from the same settings."""
    from curation.dedup.lsh import Banding, banding_for_threshold
    from curation.dedup.minhash_stage import MinHashDedup
    from curation.dedup.signatures import MinHasher

    spec = metrics.near_duplicates
    hasher = MinHasher(num_perm=spec.num_perm, seed=spec.seed, ngram=spec.ngram, shingle=spec.shingle)
    bands, rows = banding_for_threshold(MinHashDedup.candidate_threshold(spec.threshold, "signature"), spec.num_perm)
    return hasher, Banding(bands, rows)


def _share_value(value: Any) -> str:
    if value is None:
        return MISSING_VALUE
    return value if isinstance(value, str) else str(value)
