"""From shard profiles to the metrics of the whole data (or of the sample), with example documents.

``MetricsBuilder`` takes the ``ShardProfile`` of every read task in task order (so the figures do not depend
on how many workers measured them) and ``finish`` returns a ``Metrics``: nested values (the paths checks
name), example document ids per metric, and details (what was read, unreadable shards, how duplicates were
estimated). Rates are fractions of the checked documents; on a sample they are estimates of the data's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from curation.checks.catalog import find_metric, quantile_name
from curation.checks.config import MetricsSpec
from curation.checks.duplicates import DuplicateClusters, exact_clusters, near_clusters
from curation.checks.profile import (
    MISSING_VALUE,
    PII_KINDS,
    ShardProfile,
    UnreadableRecords,
    ValueCounts,
    near_duplicate_hashing,
)
from curation.checks.sampling import SamplePlan

SHARE_FAMILIES = ("language_share", "language_token_share", "share", "token_share")
STAGE_COUNT_FAMILIES = ("stage_count", "stage_count_rate")
"""Counts stages keep besides drops (summary.json's ``totals.stages[].counts``), per stage: a count a stage
never incremented is 0 (a term list without a hit), a stage the run does not have is unavailable."""


class MetricUnavailable(LookupError):
    """A metric a check names cannot be given for this data (no such column, no documents, no summary)."""


@dataclass
class Metrics:
    """The measured values (nested, addressed by dotted paths), example ids per metric, and details."""

    values: dict[str, Any]
    examples: dict[str, list[str]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    """Metric group or path -> why it has no value."""

    def value(self, name: str) -> float:
        """The value of metric ``name``; ``MetricUnavailable`` saying why when there is none."""
        return resolve(self.values, name, self.unavailable)

    def examples_for(self, name: str, too_small: bool = False) -> list[str]:
        """Example documents behind a metric; for a share that is too small, documents of the other values."""
        if name in self.examples and not too_small:
            return self.examples[name]
        prefix, _, _ = name.rpartition(".")
        if too_small and prefix.split(".", 1)[0] in SHARE_FAMILIES:
            others = [
                example
                for key, shown in self.examples.items()
                if key.rpartition(".")[0] == prefix and key != name
                for example in shown
            ]
            return others[: max(1, len(self.examples.get(name, [])) or 5)]
        return self.examples.get(name, [])

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": self.values,
            "examples": self.examples,
            "details": self.details,
            "unavailable": self.unavailable,
        }


def resolve(values: dict[str, Any], name: str, unavailable: dict[str, str] | None = None) -> float:
    """Walk a dotted path through nested values; keys may themselves hold dots (``share.url.example.org``)."""
    unavailable = unavailable or {}
    node: Any = values
    rest = name
    while True:
        if isinstance(node, dict) and rest in node:
            found = node[rest]
            if isinstance(found, (int, float)) and not isinstance(found, bool):
                return float(found)
            raise MetricUnavailable(f"{name} is a group of metrics; name one of its values")
        head, _, tail = rest.partition(".")
        if isinstance(node, dict) and tail and isinstance(node.get(head), dict):
            parent = node[head]
            if "." not in tail and tail not in parent and _is_zero_when_absent(name):
                return 0.0  # a value never seen has a share of zero; a count never kept is zero
            node, rest = parent, tail
            continue
        break
    reason = unavailable.get(name)
    info = find_metric(name)
    if reason is None and info is not None:
        reason = unavailable.get(info.prefix or info.name) or unavailable.get(info.group)
    if reason is None and info is not None and info.prefix in STAGE_COUNT_FAMILIES:
        reason = f"the run's summary.json has no stage {name.split('.')[1]!r}"
    if reason is None and info is not None and info.prefix in ("share", "token_share"):
        column = name.split(".")[1]
        reason = f"no column {column!r} in the checked documents"
    raise MetricUnavailable(reason or f"{name} was not computed")


def _is_zero_when_absent(name: str) -> bool:
    info = find_metric(name)
    return info is not None and info.prefix in (*SHARE_FAMILIES, *STAGE_COUNT_FAMILIES)


class MetricsBuilder:
    """Merge shard profiles (in task order) and compute the metrics at the end."""

    def __init__(self, metrics: MetricsSpec):
        self.spec = metrics
        self.checked = 0
        self.ids: list[str] = []
        self.arrays: dict[str, list[np.ndarray]] = {}
        self.key_files: list[str] = []
        self.signature_files: list[str] = []
        self.minhash_offsets: list[int] = []
        self.languages = ValueCounts()
        self.language_sources: Counter[str] = Counter()
        self.shares: dict[str, ValueCounts] = {}
        self.schema_types: dict[str, Counter[str]] = {}
        self.contamination_sources: Counter[str] = Counter()
        self.contamination_examples: list[tuple[int, str, str]] = []
        self.unreadable: list[UnreadableRecords] = []
        self.failures: list[dict[str, str]] = []
        self.skipped: Counter[str] = Counter()
        self.empty_shards: list[str] = []
        """Shards without a record (a run that filtered everything writes one): readable, not reported."""

    def add_unreadable(self, records: UnreadableRecords) -> None:
        """Quarantined records seen outside the measured tasks (the count pass of a sample)."""
        if records.records:
            self.unreadable.append(records)

    def add(self, profile: ShardProfile) -> None:
        first = self.checked
        self.checked += profile.documents
        self.ids.extend(profile.ids)
        for name in ("tokens", "empty", "short", "exact_hashes", "contaminated", "quality"):
            self.arrays.setdefault(name, []).append(getattr(profile, name))
        if profile.minhash_files is not None:
            self.arrays.setdefault("shingled", []).append(profile.shingled)
        for kind, flags in profile.pii.items():
            self.arrays.setdefault(f"pii_{kind}", []).append(flags)
        if profile.pii:
            self.arrays.setdefault("pii_scanned", []).append(profile.pii_scanned)
        self.language_sources.update(profile.language_sources)
        for column in self.spec.required_columns:
            self.arrays.setdefault(f"missing:{column}", []).append(
                profile.schema_missing.get(column, np.zeros(0, bool))
            )
            self.arrays.setdefault(f"wrong:{column}", []).append(
                profile.schema_wrong_type.get(column, np.zeros(0, bool))
            )
            self.schema_types.setdefault(column, Counter()).update(profile.schema_types.get(column, {}))
        if profile.minhash_files is not None:
            self.minhash_offsets.append(first)
            self.key_files.append(profile.minhash_files[0])
            self.signature_files.append(profile.minhash_files[1])
        _merge_counts(self.languages, profile.languages, first, self.spec.examples)
        for column, counts in profile.shares.items():
            _merge_counts(self.shares.setdefault(column, ValueCounts()), counts, first, self.spec.examples)
        self.contamination_sources.update(profile.contamination_sources)
        for position, source, ngram in profile.contamination_examples:
            if len(self.contamination_examples) < self.spec.examples:
                self.contamination_examples.append((first + position, source, ngram))
        if profile.unreadable is not None and profile.unreadable.records:
            self.unreadable.append(profile.unreadable)
        if profile.failure:
            self.failures.append({"shard": profile.shard, "error": profile.failure})
        self.skipped.update(profile.skipped)

    def _array(self, name: str, empty: np.ndarray) -> np.ndarray:
        parts = self.arrays.get(name)
        return np.concatenate(parts) if parts else empty

    def finish(self, plan: SamplePlan, run_summary: dict[str, Any] | None = None) -> Metrics:
        """All metrics; ``plan`` says how many documents the data holds and how many were checked."""
        n = self.checked
        population = plan.population if plan.is_sample and plan.population is not None else n
        keep = self.spec.examples
        values: dict[str, Any] = {"documents": population, "documents_checked": n}
        examples: dict[str, list[str]] = {}
        details: dict[str, Any] = {"sample": plan.to_dict()}
        unavailable: dict[str, str] = {}
        tokens = self._array("tokens", np.empty(0, np.int64))
        total_tokens = int(tokens.sum())
        values["tokens"] = round(float(tokens.mean()) * population) if n and population != n else total_tokens
        details["tokens"] = (
            "whitespace-separated words" if self.spec.tokens == "words" else f"tokenizer {self.spec.tokens}"
        )
        if n:
            values["tokens_per_document"] = _statistics(tokens.astype(np.float64), self.spec.quantiles)
        else:
            for group in ("documents", "language", "exact_duplicates", "near_duplicates", "pii", "contamination"):
                unavailable[group] = "no documents were read"
            unavailable["quality"] = unavailable["schema"] = unavailable["shares"] = "no documents were read"
            for name in ("tokens_per_document", "empty_rate", "short_rate"):
                unavailable[name] = "no documents were read"

        if n:
            empty = self._array("empty", np.empty(0, bool))
            short = self._array("short", np.empty(0, bool))
            values["empty_rate"] = float(empty.mean())
            values["short_rate"] = float(short.mean())
            examples["empty_rate"] = self._ids(np.flatnonzero(empty)[:keep])
            examples["short_rate"] = self._ids(np.flatnonzero(short)[:keep])
            self._language(values, examples, details, unavailable, total_tokens)
            self._duplicates(values, examples, details, population)
            self._quality(values, examples, unavailable)
            self._pii(values, examples, details, unavailable)
            self._contamination(values, examples, details)
            self._shares(values, examples, total_tokens)
            self._schema(values, examples, details)

        unreadable = [records for records in self.unreadable if not records.only_empty]
        values["unreadable_shards"] = len({records.shard for records in unreadable}) + len(self.failures)
        values["unreadable_records"] = sum(records.records for records in unreadable)
        details["unreadable"] = [
            {"shard": r.shard, "records": r.records, "by_reason": dict(r.by_reason), "first": r.first}
            for r in unreadable
        ] + [{"shard": f["shard"], "records": None, "by_reason": {"check_error": 1}, "first": f} for f in self.failures]
        examples["unreadable_shards"] = examples["unreadable_records"] = [
            f"{r.shard}: " + ", ".join(f"{reason} x{count}" for reason, count in r.by_reason.items())
            for r in unreadable[:keep]
        ] + [f"{f['shard']}: {f['error']}" for f in self.failures[:keep]]
        details["empty_shards"] = sorted({r.shard for r in self.unreadable if r.only_empty} | set(self.empty_shards))
        if self.skipped:
            details["skipped_records"] = dict(self.skipped)
        self._run_summary(values, details, unavailable, run_summary)
        return Metrics(values, examples, details, unavailable)

    # ---- groups ----------------------------------------------------------------------------------------

    def _ids(self, positions) -> list[str]:
        return [self.ids[int(position)] for position in positions]

    def _language(self, values, examples, details, unavailable, total_tokens: int) -> None:
        spec = self.spec.language
        if not spec.enabled:
            return
        counts = self.languages
        n = sum(counts.documents.values())
        if not n:
            unavailable["language"] = "every checked document is empty"
            return
        values["language_share"] = {k: v / n for k, v in counts.documents.most_common()}
        values["language_token_share"] = {
            k: (counts.tokens[k] / total_tokens if total_tokens else 0.0) for k, _ in counts.documents.most_common()
        }
        for language, positions in counts.examples.items():
            examples[f"language_share.{language}"] = self._ids(positions)
            examples[f"language_token_share.{language}"] = examples[f"language_share.{language}"]
        sources = []
        if self.language_sources["column"]:
            sources.append(f"{self.language_sources['column']:,} documents from column {spec.column!r}")
        if self.language_sources["model"]:
            sources.append(
                f"{self.language_sources['model']:,} identified by fastText ({spec.model_path or 'lid.176'}) "
                f"from their first {spec.max_chars or 'all'} characters"
            )
        details["language"] = "; ".join(sources) or "no document had a language"
        if spec.expected:
            expected = set(spec.expected)
            unexpected = sum(count for language, count in counts.documents.items() if language not in expected)
            values["unexpected_language_rate"] = unexpected / n
            examples["unexpected_language_rate"] = [
                f"{self.ids[position]} ({language})"
                for language, positions in counts.examples.items()
                if language not in expected
                for position in positions
            ][: self.spec.examples]

    def _duplicates(self, values, examples, details, population: int) -> None:
        n, keep = self.checked, self.spec.examples
        sampled = population != n
        notes: dict[str, Any] = {}
        if self.spec.exact_duplicates.enabled:
            clusters = exact_clusters(
                self._array("exact_hashes", np.empty((0, 2), np.uint64)), ~self._array("empty", np.empty(0, bool))
            )
            values["exact_duplicate_rate"] = clusters.rate(n, population)
            examples["exact_duplicate_rate"] = [
                f"{self.ids[copy]} (copy of {self.ids[kept]})" for copy, kept in clusters.examples(keep)
            ]
            notes["exact"] = _cluster_note(clusters, sampled, self.spec.exact_duplicates.normalisation)
        if self.spec.near_duplicates.enabled:
            hasher, banding = near_duplicate_hashing(self.spec)
            clusters = near_clusters(
                self.key_files,
                self.signature_files,
                self.minhash_offsets,
                self._array("shingled", np.empty(0, bool)),
                banding,
                self.spec.near_duplicates.threshold,
            )
            values["near_duplicate_rate"] = clusters.rate(n, population)
            examples["near_duplicate_rate"] = [
                f"{self.ids[copy]} (near copy of {self.ids[kept]}{_similarity_note(clusters, copy, kept)})"
                for copy, kept in clusters.examples(keep)
            ]
            notes["near"] = _cluster_note(clusters, sampled, None) | {
                "method": f"{banding.describe()}; {hasher.ngram}-{hasher.shingle} shingles; pairs verified at "
                f"{self.spec.near_duplicates.threshold} (signature agreement)"
            }
        if notes:
            details["duplicates"] = notes

    def _quality(self, values, examples, unavailable) -> None:
        spec = self.spec.quality
        if not spec.enabled:
            return
        scores = self._array("quality", np.empty(0, np.float64))
        present = ~np.isnan(scores)
        if not present.any():
            unavailable["quality"] = f"no numeric column {spec.field!r} in the checked documents"
            return
        statistics = _statistics(scores[present], self.spec.quantiles)
        statistics["missing_rate"] = float(1.0 - present.mean())
        values["quality"] = statistics
        lowest = np.flatnonzero(present)[np.argsort(scores[present], kind="stable")[: self.spec.examples]]
        shown = [f"{self.ids[i]} ({spec.field} {scores[i]:.3f})" for i in lowest]
        for name in statistics:
            examples[f"quality.{name}"] = shown
        examples["quality.missing_rate"] = self._ids(np.flatnonzero(~present)[: self.spec.examples])

    def _pii(self, values, examples, details, unavailable) -> None:
        if not self.spec.pii.enabled:
            return
        scanned = self._array("pii_scanned", np.zeros(self.checked, bool))
        if not scanned.any():
            unavailable["pii"] = "no document was scanned for PII"
            return
        flags = {kind: self._array(f"pii_{kind}", np.zeros(self.checked, bool)) for kind in PII_KINDS}
        any_kind = np.zeros(self.checked, dtype=bool)
        for kind, found in flags.items():
            values[f"pii_{kind}_rate"] = float(found[scanned].mean())
            examples[f"pii_{kind}_rate"] = self._ids(np.flatnonzero(found)[: self.spec.examples])
            any_kind |= found
        rate = float(any_kind[scanned].mean())
        values["pii_rate"] = rate
        count = int(scanned.sum())
        margin = 1.96 * (max(rate * (1 - rate), 1.0 / count) / count) ** 0.5
        details["pii"] = {
            "scanned": count,
            "of": self.checked,
            "statement": f"PII detectors ran on {count:,} of {self.checked:,} checked documents"
            + (" (a seeded random subset)" if count < self.checked else "")
            + f"; 95% margin of the rate about ±{margin:.2%}",
        }
        examples["pii_rate"] = [
            f"{self.ids[i]} ({', '.join(kind for kind in PII_KINDS if flags[kind][i])})"
            for i in np.flatnonzero(any_kind)[: self.spec.examples]
        ]

    def _contamination(self, values, examples, details) -> None:
        if not self.spec.contamination.enabled:
            return
        flags = self._array("contaminated", np.zeros(self.checked, bool))
        values["contamination_rate"] = float(flags.mean())
        examples["contamination_rate"] = [
            f"{self.ids[position]} (shares {self.spec.contamination.ngram} words with {source}: {ngram[:80]!r})"
            for position, source, ngram in self.contamination_examples
        ]
        details["contamination"] = {
            "documents": int(flags.sum()),
            "by_evaluation_text": dict(self.contamination_sources.most_common(50)),
        }

    def _shares(self, values, examples, total_tokens: int) -> None:
        if not self.spec.shares.enabled or not self.shares:
            return
        n = self.checked
        values["share"], values["token_share"] = {}, {}
        for column, counts in self.shares.items():
            documents = dict(counts.documents.most_common())
            tokens = {value: counts.tokens[value] for value in documents}
            missing = n - sum(documents.values())
            if missing:
                documents[MISSING_VALUE] = missing
            values["share"][column] = {value: count / n for value, count in documents.items()}
            values["token_share"][column] = {
                value: (count / total_tokens if total_tokens else 0.0) for value, count in tokens.items()
            }
            for value, positions in counts.examples.items():
                examples[f"share.{column}.{value}"] = examples[f"token_share.{column}.{value}"] = self._ids(positions)

    def _schema(self, values, examples, details) -> None:
        required = self.spec.required_columns
        if not required:
            return
        n, keep = self.checked, self.spec.examples
        invalid = np.zeros(n, dtype=bool)
        missing_columns = wrong_columns = 0
        shown: list[str] = []
        summary: list[str] = []
        per_column = {}
        for column, wanted in required.items():
            missing = self._array(f"missing:{column}", np.zeros(n, bool))
            wrong = self._array(f"wrong:{column}", np.zeros(n, bool))
            missing_columns += bool(missing.any())
            wrong_columns += bool(wrong.any())
            invalid |= missing | wrong
            types = self.schema_types.get(column, Counter())
            if missing.any():
                summary.append(f"column {column!r}: missing or null in {missing.mean():.1%} of documents")
                shown += [f"{self.ids[i]} (no {column})" for i in np.flatnonzero(missing)[:keep]]
            if wrong.any():
                summary.append(f"column {column!r}: not {wanted} in {wrong.mean():.1%} of documents ({dict(types)})")
                shown += [f"{self.ids[i]} ({column} is not {wanted})" for i in np.flatnonzero(wrong)[:keep]]
            per_column[column] = {
                "type": wanted,
                "missing_rate": float(missing.mean()),
                "wrong_type_rate": float(wrong.mean()),
                "types_seen": dict(types),
            }
        values["schema"] = {
            "missing_columns": missing_columns,
            "wrong_type_columns": wrong_columns,
            "violations": missing_columns + wrong_columns,
            "invalid_document_rate": float(invalid.mean()),
        }
        for name in values["schema"]:
            examples[f"schema.{name}"] = summary + shown[:keep]
        details["schema"] = per_column

    def _run_summary(self, values, details, unavailable, summary: dict[str, Any] | None) -> None:
        if summary is None:
            for name in ("quarantine_rate", *STAGE_COUNT_FAMILIES):
                unavailable[name] = "the data folder has no summary.json (not the output of a run)"
            return
        totals = summary.get("totals", {})
        self._stage_counts(values, totals.get("stages") or [])
        records_in = totals.get("records_in") or 0
        quarantined = totals.get("quarantined") or 0
        if not records_in:
            unavailable["quarantine_rate"] = "summary.json counts no input records"
            return
        values["quarantine_rate"] = quarantined / records_in
        details["run"] = {
            "recipe": summary.get("recipe", {}).get("name"),
            "records_in": records_in,
            "kept": totals.get("kept"),
            "dropped": totals.get("dropped"),
            "quarantined": quarantined,
            "quarantined_by_reason": totals.get("quarantined_by_reason", {}),
        }

    @staticmethod
    def _stage_counts(values, stages: list[dict[str, Any]]) -> None:
        """``stage_count.<stage>.<count>`` and its rate over the documents the stage read, for every stage."""
        counts: dict[str, dict[str, float]] = {}
        rates: dict[str, dict[str, float]] = {}
        for stage in stages:
            name, own, read = stage.get("name"), stage.get("counts") or {}, stage.get("in") or 0
            if not isinstance(name, str):
                continue
            counts[name] = {key: value for key, value in own.items() if isinstance(value, (int, float))}
            rates[name] = {key: value / read for key, value in counts[name].items()} if read else {}
        values["stage_count"] = counts
        values["stage_count_rate"] = rates


def _merge_counts(into: ValueCounts, part: ValueCounts, first: int, keep: int) -> None:
    into.documents.update(part.documents)
    into.tokens.update(part.tokens)
    for value, positions in part.examples.items():
        shown = into.examples.setdefault(value, [])
        shown.extend(first + p for p in positions[: max(0, keep - len(shown))])


def _statistics(values: np.ndarray, quantiles: list[float]) -> dict[str, float]:
    result = {"mean": float(values.mean())}
    for quantile, figure in zip(quantiles, np.quantile(values, quantiles), strict=True):
        result[quantile_name(quantile)] = float(figure)
    return result


def _cluster_note(clusters: DuplicateClusters, sampled: bool, normalisation) -> dict[str, Any]:
    note: dict[str, Any] = {
        "clusters": clusters.count,
        "documents_in_clusters": len(clusters.nodes),
        "removable_checked": clusters.removable,
    }
    if normalisation is not None:
        note["normalisation"] = list(normalisation)
    if sampled:
        note["pairs_in_sample"] = clusters.pairs
        note["estimator"] = "duplicate pairs in the sample scaled to the data (exact when copies come in pairs)"
    return note


def _similarity_note(clusters: DuplicateClusters, a: int, b: int) -> str:
    """``, similarity 0.83`` when the two documents were a verified pair (not only joined through others)."""
    similarity = (clusters.similarity or {}).get((min(a, b), max(a, b)))
    return f", similarity {similarity:.2f}" if similarity is not None else ""


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
