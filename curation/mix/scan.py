"""The scan: one pass over an input shard's metadata, keeping per document only what planning needs.

For every document a source selects, the scan keeps its row (4 bytes), source (2), token count (4) and,
only where the mixture uses them, its cell (domain and quality tier: 3) and the stages it is eligible for
(4): 10 to 17 bytes per candidate (the plan adds a 4-byte shard index), so 10M documents plan in ~200 MB.
Text is read only where it must be: to count tokens with a tokenizer (once; see ``token_cache``) and to
check documents against a stage's evaluation texts with the ``decontaminate`` stage's 13-gram matcher.

A scan is a job (``ScanJob.run``): any executor can run it, and the result depends only on the shard.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datatrove.data import Document

from curation.mix.inputs import InputReadError, InputShard, MetadataBatches, fingerprint
from curation.mix.model import DecontaminationSpec, Mixture, Range
from curation.mix.selection import CompiledSelection, SelectionTypeError, compile_conditions
from curation.mix.token_cache import TokenCountCache

CONTAMINATION_COUNT = "contamination_count"
"""Written by ``decontaminate`` with ``action: annotate``: a document with a count above 0 is contaminated."""
BELOW_QUALITY = "below_min_quality"
CONTAMINATED = "contaminated"
MAX_TOKENS = np.iinfo(np.uint32).max
TEXT_BATCH_ROWS = 4096
METADATA_BATCH_ROWS = 65536


class ScanError(ValueError):
    """A shard could not be scanned as the mixture asks (an unreadable file, a value of the wrong type)."""


@dataclass(frozen=True)
class SourceRules:
    code: int
    name: str
    inputs: frozenset[str]
    selection: CompiledSelection


@dataclass(frozen=True)
class StageRules:
    """What a stage requires of its documents, and which sources it draws from."""

    index: int
    name: str
    sources: frozenset[int]
    min_quality: float | None
    decontamination: str | None


@dataclass(frozen=True)
class ScanSpec:
    """Everything a scan needs, compiled once from the mixture and shipped with every scan job."""

    sources: tuple[SourceRules, ...]
    stages: tuple[StageRules, ...]
    tiers: tuple[tuple[str, Range], ...]
    cell_domains: tuple[str, ...]
    quality_column: str
    domain_column: str
    token_column: str
    tokenizer: str | None
    token_cache: str | None
    decontaminations: tuple[tuple[str, DecontaminationSpec], ...]

    @property
    def needs_eligibility(self) -> bool:
        return any(s.min_quality is not None or s.decontamination for s in self.stages)

    @classmethod
    def from_mixture(cls, mixture: Mixture) -> ScanSpec:
        tiers = mixture.quality_tiers
        quality = mixture.columns.quality
        sources = tuple(
            SourceRules(
                code=code,
                name=name,
                inputs=frozenset(mixture.source_inputs(name)),
                selection=CompiledSelection(
                    compile_conditions(spec.include, quality, tiers, f"sources.{name}.include", any_of=False),
                    compile_conditions(spec.exclude, quality, tiers, f"sources.{name}.exclude", any_of=True),
                ),
            )
            for code, (name, spec) in enumerate(mixture.sources.items())
        )
        codes = {rules.name: rules.code for rules in sources}
        domains: dict[str, None] = {}
        decontaminations: dict[str, DecontaminationSpec] = {}
        stages = []
        for index, stage in enumerate(mixture.stages):
            if isinstance(stage.shares, dict):
                used = frozenset(codes[name] for name in stage.shares)
                for share in stage.shares.values():
                    if isinstance(share, dict):
                        for key in share:
                            domain = key.rpartition("/")[0]
                            if domain != "*":
                                domains.setdefault(domain, None)
            else:
                used = frozenset(codes.values())
            key = None
            if stage.require.decontaminate is not None:
                key = stage.require.decontaminate.key()
                decontaminations[key] = stage.require.decontaminate
            stages.append(StageRules(index, stage.name, used, stage.require.min_quality, key))
        return cls(
            sources=sources,
            stages=tuple(stages),
            tiers=tuple(tiers.items()),
            cell_domains=tuple(domains),
            quality_column=quality,
            domain_column=mixture.columns.domain,
            token_column=mixture.tokens.column,
            tokenizer=mixture.tokens.tokenizer,
            token_cache=mixture.tokens.cache,
            decontaminations=tuple(decontaminations.items()),
        )


@dataclass
class ShardScan:
    """What one shard contributes to the plan: its candidates' compact columns and the counts to report."""

    shard_index: int
    fingerprint: str
    documents: int
    rows: np.ndarray
    source: np.ndarray
    tokens: np.ndarray
    domain: np.ndarray | None
    tier: np.ndarray | None
    eligible: np.ndarray | None
    columns: frozenset[str]
    quarantined: int = 0
    token_counts: str = "column"
    """``column``, ``counted`` (tokenised now) or ``cached``."""
    excluded: Counter = field(default_factory=Counter)
    """(stage index, source code, reason) -> documents a stage's requirements excluded."""
    overlaps: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    """(source a, source b) -> [documents selected by both, first such row]."""
    missing_tokens: dict[int, list[int]] = field(default_factory=dict)
    """source -> [candidates without a usable token count, first such row]."""
    checked_for_contamination: Counter = field(default_factory=Counter)
    """decontamination key -> documents compared with its evaluation texts."""


@dataclass(frozen=True)
class ScanJob:
    spec: ScanSpec
    shard: InputShard

    @property
    def key(self) -> str:
        return f"scan-{self.shard.index}"

    def run(self) -> ShardScan:
        try:
            return _Scanner(self.spec, self.shard).scan()
        except (SelectionTypeError, InputReadError) as error:
            raise ScanError(f"{self.shard.label}: {error}") from error


class _Scanner:
    def __init__(self, spec: ScanSpec, shard: InputShard):
        self.spec = spec
        self.shard = shard
        self.sources = [rules for rules in spec.sources if shard.input_name in rules.inputs]
        self.decontaminations = dict(spec.decontaminations)

    def columns(self, with_text: bool) -> set[str]:
        spec = self.spec
        names = {spec.token_column} if spec.tokenizer is None else set()
        for rules in self.sources:
            names |= rules.selection.columns
        if spec.cell_domains:
            names.add(spec.domain_column)
        if spec.tiers or any(s.min_quality is not None for s in spec.stages):
            names.add(spec.quality_column)
        if spec.decontaminations:
            names.add(CONTAMINATION_COUNT)
        if with_text:
            names.add(self.shard.text_field)
        return names

    def scan(self) -> ShardScan:
        shard_fingerprint = fingerprint(self.shard)
        counts, token_source = (None, "column")
        if self.spec.tokenizer is not None:
            counts, token_source = self._tokenizer_counts(shard_fingerprint)
        needs_text = bool(self.decontaminations) and any(
            s.decontamination and s.sources & {r.code for r in self.sources} for s in self.spec.stages
        )
        batches = MetadataBatches(
            self.shard, self.columns(needs_text), TEXT_BATCH_ROWS if needs_text else METADATA_BATCH_ROWS
        )
        result = ShardScan(
            shard_index=self.shard.index,
            fingerprint=shard_fingerprint,
            documents=0,
            rows=np.empty(0, np.uint32),
            source=np.empty(0, np.int16),
            tokens=np.empty(0, np.uint32),
            domain=None,
            tier=None,
            eligible=None,
            columns=frozenset(),
            token_counts=token_source,
        )
        parts: dict[str, list[np.ndarray]] = {name: [] for name in ("rows", "source", "tokens", "domain", "tier")}
        parts["eligible"] = []
        offset = 0
        for table in batches:
            self._batch(table, offset, counts, result, parts)
            offset += table.num_rows
        result.documents = batches.documents
        result.quarantined = batches.quarantined
        result.columns = frozenset(batches.schema_names)
        if counts is not None and len(counts) != result.documents:
            raise ScanError(f"{self.shard.label}: {result.documents} documents but {len(counts)} cached token counts")
        result.rows = _concat(parts["rows"], np.uint32)
        result.source = _concat(parts["source"], np.int16)
        result.tokens = _concat(parts["tokens"], np.uint32)
        if self.spec.cell_domains:
            result.domain = _concat(parts["domain"], np.int16)
        if self.spec.tiers:
            result.tier = _concat(parts["tier"], np.int8)
        if self.spec.needs_eligibility:
            result.eligible = _concat(parts["eligible"], np.uint32)
        return result

    def _batch(self, table: pa.Table, offset: int, counts, result: ShardScan, parts) -> None:
        rows = table.num_rows
        if not self.sources or rows == 0:
            return
        masks = np.stack([rules.selection.mask(table) for rules in self.sources])
        hits = masks.sum(axis=0)
        if (hits > 1).any():
            for i, a in enumerate(self.sources):
                for j in range(i + 1, len(self.sources)):
                    b = self.sources[j]
                    both = np.flatnonzero(masks[i] & masks[j])
                    if len(both):
                        entry = result.overlaps.setdefault((a.code, b.code), [0, offset + int(both[0])])
                        entry[0] += len(both)
        selected = np.flatnonzero(hits > 0)
        if not len(selected):
            return
        codes = np.asarray([rules.code for rules in self.sources], dtype=np.int16)
        source = codes[np.argmax(masks[:, selected], axis=0)]
        tokens = self._tokens(table, selected, offset, counts, source, result)
        parts["rows"].append((selected + offset).astype(np.uint32))
        parts["source"].append(source)
        parts["tokens"].append(tokens)
        quality = None
        if self.spec.quality_column in table.schema.names:
            column = table.column(self.spec.quality_column)
            if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                raise ScanError(f"{self.shard.label}: quality column {self.spec.quality_column!r} holds {column.type}")
            quality = np.asarray(pc.fill_null(column.cast(pa.float64()), np.nan), dtype=np.float64)[selected]
        if self.spec.cell_domains:
            parts["domain"].append(self._domain_codes(table, selected))
        if self.spec.tiers:
            tier = np.full(len(selected), -1, dtype=np.int8)
            if quality is not None:
                for code, (_, bounds) in enumerate(self.spec.tiers):
                    inside = ~np.isnan(quality)
                    if bounds.min is not None:
                        inside &= quality >= bounds.min
                    if bounds.max is not None:
                        inside &= quality < bounds.max
                    tier[inside] = code
            parts["tier"].append(tier)
        if self.spec.needs_eligibility:
            parts["eligible"].append(self._eligibility(table, selected, source, quality, result))

    def _tokens(self, table, selected, offset, counts, source, result: ShardScan) -> np.ndarray:
        if counts is not None:
            values = counts[selected + offset]
            valid = np.ones(len(selected), dtype=bool)
        elif self.spec.token_column in table.schema.names:
            column = table.column(self.spec.token_column)
            if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                raise ScanError(
                    f"{self.shard.label}: token column {self.spec.token_column!r} holds {column.type}, not integers"
                )
            raw = np.asarray(pc.fill_null(column.cast(pa.float64()), -1.0), dtype=np.float64)[selected]
            valid = (raw >= 0) & (raw <= MAX_TOKENS) & (raw == np.floor(raw))
            values = np.where(valid, raw, 0)
        else:
            values = np.zeros(len(selected))
            valid = np.zeros(len(selected), dtype=bool)
        if not valid.all():
            for code in np.unique(source[~valid]):
                first = int(selected[np.flatnonzero(~valid & (source == code))[0]]) + offset
                entry = result.missing_tokens.setdefault(int(code), [0, first])
                entry[0] += int((~valid & (source == code)).sum())
        return values.astype(np.uint32)

    def _domain_codes(self, table: pa.Table, selected: np.ndarray) -> np.ndarray:
        if self.spec.domain_column not in table.schema.names:
            return np.full(len(selected), -1, dtype=np.int16)
        column = table.column(self.spec.domain_column)
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        try:
            value_set = pa.array(list(self.spec.cell_domains)).cast(column.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
            raise ScanError(
                f"{self.shard.label}: the cells' domains cannot be compared with column "
                f"{self.spec.domain_column!r} ({column.type})"
            ) from error
        index = pc.fill_null(pc.index_in(column, value_set=value_set), -1)
        return np.asarray(index, dtype=np.int16)[selected]

    def _eligibility(self, table, selected, source, quality, result: ShardScan) -> np.ndarray:
        """One bit per stage: does the candidate meet that stage's requirements?"""
        eligible = np.zeros(len(selected), dtype=np.uint32)
        contaminated: dict[str, np.ndarray] = {}
        upstream = None
        if CONTAMINATION_COUNT in table.schema.names:
            column = table.column(CONTAMINATION_COUNT)
            if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
                upstream = np.asarray(pc.fill_null(column.cast(pa.float64()), 0.0), dtype=np.float64)[selected] > 0
        for stage in self.spec.stages:
            ok = np.ones(len(selected), dtype=bool)
            in_stage = np.isin(source, np.fromiter(stage.sources, dtype=np.int16, count=len(stage.sources)))
            if stage.min_quality is not None:
                # a missing score (NaN) compares false: it never meets a quality floor
                passes = quality >= stage.min_quality if quality is not None else np.zeros(len(selected), bool)
                self._count(result, stage.index, source, in_stage & ~passes, BELOW_QUALITY)
                ok &= passes
            if stage.decontamination is not None:
                key = stage.decontamination
                if key not in contaminated:
                    contaminated[key] = self._contaminated(table, selected, source, quality, key, upstream, result)
                dirty = contaminated[key]
                self._count(result, stage.index, source, in_stage & ok & dirty, CONTAMINATED)
                ok &= ~dirty
            eligible |= ok.astype(np.uint32) << np.uint32(stage.index)
        return eligible

    def _contaminated(self, table, selected, source, quality, key, upstream, result: ShardScan) -> np.ndarray:
        """Which candidates share an n-gram with the evaluation texts of ``key`` (or were marked upstream).

        Only candidates that could enter a stage using ``key`` and meet its quality floor are tokenised.
        """
        need = np.zeros(len(selected), dtype=bool)
        for stage in self.spec.stages:
            if stage.decontamination != key:
                continue
            candidates = np.isin(source, np.fromiter(stage.sources, dtype=np.int16, count=len(stage.sources)))
            if stage.min_quality is not None:
                candidates &= (quality >= stage.min_quality) if quality is not None else False
            need |= candidates
        dirty = upstream.copy() if upstream is not None else np.zeros(len(selected), dtype=bool)
        check = np.flatnonzero(need & ~dirty)
        if len(check):
            texts = table.column(self.shard.text_field).take(pa.array(selected[check])).to_pylist()
            documents = [Document(text=text or "", id=str(i)) for i, text in enumerate(texts)]
            _decontaminator(key, self.decontaminations[key]).filter_batch(documents)
            dirty[check] = [CONTAMINATION_COUNT in document.metadata for document in documents]
            result.checked_for_contamination[key] += len(check)
        return dirty

    @staticmethod
    def _count(result: ShardScan, stage: int, source: np.ndarray, mask: np.ndarray, reason: str) -> None:
        if mask.any():
            codes, counts = np.unique(source[mask], return_counts=True)
            for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
                result.excluded[(stage, code, reason)] += count

    def _tokenizer_counts(self, shard_fingerprint: str) -> tuple[np.ndarray, str]:
        cache = TokenCountCache(self.spec.tokenizer, self.spec.token_cache)
        batches = MetadataBatches(self.shard, {self.shard.text_field}, TEXT_BATCH_ROWS)
        cached = cache.get(shard_fingerprint, _document_count(self.shard))
        if cached is not None:
            return cached, "cached"
        pieces = [cache.count(table.column(self.shard.text_field).to_pylist()) for table in batches]
        counts = _concat(pieces, np.int64)
        cache.put(shard_fingerprint, counts)
        return counts, "counted"


def _document_count(shard: InputShard) -> int | None:
    """A Parquet shard's row count from its footer (JSONL: unknown without reading it)."""
    if shard.format != "parquet":
        return None
    import pyarrow.parquet as pq

    with shard.data_folder().open(shard.path, "rb") as handle:
        return pq.ParquetFile(handle).metadata.num_rows


_DECONTAMINATORS: dict[str, object] = {}


def _decontaminator(key: str, spec: DecontaminationSpec):
    """The ``decontaminate`` stage for these evaluation texts, built once per process."""
    if key not in _DECONTAMINATORS:
        from curation.dedup.decontamination import Decontaminate

        _DECONTAMINATORS[key] = Decontaminate(
            paths=list(spec.paths),
            ngram=spec.ngram,
            text_field=spec.text_field,
            id_field=spec.id_field,
            action="annotate",
        )
    return _DECONTAMINATORS[key]


def _concat(pieces: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(pieces).astype(dtype, copy=False) if pieces else np.empty(0, dtype=dtype)
