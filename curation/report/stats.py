"""Counts that reconcile: per stage, per shard and per run.

Every input record ends in exactly one place: kept (written), dropped by a stage (with a reason), or
quarantined by the reader (with a reason). For a shard and for the run:

    records_in + added = kept + dropped + quarantined

where ``added`` is non-zero only if some stage emits more documents than it receives (e.g. splitting).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

UNSPECIFIED_REASON = "unspecified"
TOP_LEVEL_ROUTE = "."


@dataclass
class StageCounts:
    """One stage's traffic: documents in and out, drops by reason, and its own (exclusive) seconds."""

    name: str
    docs_in: int = 0
    docs_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    """The stage's own counts besides drops (``redacted_email``, ``no_word_list``, ``<list>_hits``...)."""

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    @property
    def added(self) -> int:
        """Documents a stage created beyond its input (0 for filters)."""
        return max(0, self.docs_out + self.dropped_total - self.docs_in)

    def merge(self, other: StageCounts) -> None:
        self.docs_in += other.docs_in
        self.docs_out += other.docs_out
        self.dropped.update(other.dropped)
        self.seconds += other.seconds
        self.counts.update(other.counts)

    def to_dict(self) -> dict[str, Any]:
        row = {
            "name": self.name,
            "in": self.docs_in,
            "out": self.docs_out,
            "dropped": dict(sorted(self.dropped.items())),
            "seconds": round(self.seconds, 4),
        }
        if self.counts:
            row["counts"] = dict(sorted(self.counts.items()))
        return row

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageCounts:
        return cls(
            data["name"],
            data["in"],
            data["out"],
            Counter(data.get("dropped", {})),
            data.get("seconds", 0.0),
            Counter(data.get("counts", {})),
        )


@dataclass
class ShardResult:
    """What processing one input shard produced; stored in its completion marker."""

    source: str
    stem: str
    records_in: int = 0
    kept: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    stages: list[StageCounts] = field(default_factory=list)
    outputs: dict[str, int] = field(default_factory=dict)
    output_tokens: dict[str, int] = field(default_factory=dict)
    quarantine_file: str | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    """Documents and tokens written per value of the metadata fields stages ask to count (``summary_groups``):
    ``{field: {value: {"documents": n, "tokens": n}}}``."""
    observations: dict[str, Any] | None = None
    """What the report shows beyond counts (``curation.report.observe``): per-stage metric histograms, drop
    examples, characters and tokens; output composition and lengths. None in markers of older runs."""

    @property
    def dropped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for stage in self.stages:
            total.update(stage.dropped)
        return total

    @property
    def added(self) -> int:
        return sum(stage.added for stage in self.stages)

    def reconciles(self) -> bool:
        return self.records_in + self.added == (self.kept + sum(self.dropped.values()) + sum(self.quarantined.values()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "stem": self.stem,
            "records_in": self.records_in,
            "kept": self.kept,
            "dropped": dict(sorted(self.dropped.items())),
            "quarantined": dict(sorted(self.quarantined.items())),
            "added": self.added,
            "reconciled": self.reconciles(),
            "stages": [stage.to_dict() for stage in self.stages],
            "outputs": self.outputs,
            "output_tokens": self.output_tokens,
            "quarantine_file": self.quarantine_file,
            "seconds": round(self.seconds, 4),
            "extra": self.extra,
            "groups": self.groups,
            "observations": self.observations,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardResult:
        return cls(
            source=data["source"],
            stem=data["stem"],
            records_in=data["records_in"],
            kept=data["kept"],
            quarantined=Counter(data.get("quarantined", {})),
            stages=[StageCounts.from_dict(stage) for stage in data.get("stages", [])],
            outputs=dict(data.get("outputs", {})),
            output_tokens=dict(data.get("output_tokens", {})),
            quarantine_file=data.get("quarantine_file"),
            seconds=data.get("seconds", 0.0),
            extra=dict(data.get("extra", {})),
            groups=dict(data.get("groups", {})),
            observations=data.get("observations"),
        )


@dataclass
class RunTotals:
    """Shard results merged into the run's view: stage rows line up by position in the pipeline."""

    shards: int = 0
    records_in: int = 0
    kept: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    stages: list[StageCounts] = field(default_factory=list)
    outputs: dict[str, int] = field(default_factory=dict)
    output_tokens: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    groups: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def add(self, result: ShardResult) -> None:
        self.shards += 1
        self.records_in += result.records_in
        self.kept += result.kept
        self.quarantined.update(result.quarantined)
        self.seconds += result.seconds
        self.outputs.update(result.outputs)
        self.output_tokens.update(result.output_tokens)
        for name, values in result.groups.items():
            merged = self.groups.setdefault(name, {})
            for value, counts in values.items():
                entry = merged.setdefault(value, {"documents": 0, "tokens": 0})
                entry["documents"] += counts.get("documents", 0)
                entry["tokens"] += counts.get("tokens", 0)
        for position, stage in enumerate(result.stages):
            if position == len(self.stages):
                self.stages.append(StageCounts(stage.name))
            self.stages[position].merge(stage)

    @property
    def dropped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for stage in self.stages:
            total.update(stage.dropped)
        return total

    @property
    def added(self) -> int:
        return sum(stage.added for stage in self.stages)

    def reconciles(self) -> bool:
        return self.records_in + self.added == (self.kept + sum(self.dropped.values()) + sum(self.quarantined.values()))

    def routes(self) -> dict[str, dict[str, int]]:
        """Output files grouped by route (their folder; ``.`` at the top): files, documents, tokens."""
        routes: dict[str, dict[str, int]] = {}
        for path, rows in sorted(self.outputs.items()):
            route = path.rpartition("/")[0] or TOP_LEVEL_ROUTE
            entry = routes.setdefault(route, {"files": 0, "documents": 0, "tokens": 0})
            entry["files"] += 1
            entry["documents"] += max(rows, 0)
            entry["tokens"] += self.output_tokens.get(path, 0)
        return routes

    def grouped(self) -> dict[str, dict[str, dict[str, int]]]:
        """Documents and tokens per value of each counted field, largest first (see ``ShardResult.groups``)."""
        return {
            name: dict(sorted(values.items(), key=lambda item: (-item[1]["documents"], _natural(item[0]))))
            for name, values in sorted(self.groups.items())
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "shards": self.shards,
            "records_in": self.records_in,
            "kept": self.kept,
            "dropped": sum(self.dropped.values()),
            "dropped_by_reason": dict(sorted(self.dropped.items())),
            "quarantined": sum(self.quarantined.values()),
            "quarantined_by_reason": dict(sorted(self.quarantined.items())),
            "added": self.added,
            "reconciled": self.reconciles(),
            "stages": [stage.to_dict() for stage in self.stages],
            "worker_seconds": round(self.seconds, 3),
        }


def _natural(value: str) -> tuple[int, int | str]:
    """Sort key putting numeric values (topic ids) in numeric order, before other strings."""
    return (0, int(value)) if value.lstrip("-").isdigit() else (1, value)
