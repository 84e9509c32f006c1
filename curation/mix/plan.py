"""The plan: how many tokens each source (or cell) gets in each stage, and which documents provide them.

Stages are planned in file order. For each stage the budget is divided among its units with exact
largest-remainder apportionment (``apportion``); each unit then draws its documents with the seeded
sampler (``sampling``), which uses every eligible document once before any twice and never goes beyond the
source's ``max_repetitions`` counted over the whole mixture. A source's tokens in a stage never exceed
``ceil(max_share * budget)``. When any unit cannot be met the planner reports every shortfall at once
(which stage and source, how many tokens short, which cap would allow it) and nothing is written.

Memory is that of the candidate pool: a few compact numpy columns per candidate document, sorted by source
so that each source is a contiguous slice.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from curation.mix.apportion import CapsTooLowError, as_fraction, largest_remainder, natural_shares
from curation.mix.model import ANY, MAX_REPETITIONS, NATURAL, Mixture, StageSpec
from curation.mix.sampling import capacity, choose, tokens_by_use
from curation.mix.scan import BELOW_QUALITY, CONTAMINATED, ShardScan


class InfeasibleMixtureError(ValueError):
    """At least one target cannot be met; ``shortfalls`` says which, by how much, and what would allow it."""

    def __init__(self, shortfalls: list[str]):
        self.shortfalls = shortfalls
        super().__init__("the mixture cannot be met; nothing was written\n" + "\n".join(f"  {s}" for s in shortfalls))


@dataclass
class CandidatePool:
    """Every document some source selects, as parallel arrays sorted by source (then shard, then row)."""

    shard: np.ndarray
    row: np.ndarray
    source: np.ndarray
    tokens: np.ndarray
    domain: np.ndarray | None
    tier: np.ndarray | None
    eligible: np.ndarray | None
    bounds: np.ndarray
    """``bounds[s]:bounds[s + 1]`` is source ``s``'s slice."""

    @classmethod
    def from_scans(cls, scans: list[ShardScan], sources: int) -> CandidatePool:
        """Concatenate the scans' candidates (releasing each scan's arrays as it goes) and sort by source."""

        def gather(name: str, dtype) -> np.ndarray | None:
            pieces = [getattr(scan, name) for scan in scans]
            if any(piece is None for piece in pieces):
                return None
            joined = np.concatenate(pieces).astype(dtype, copy=False) if pieces else np.empty(0, dtype)
            for scan in scans:
                setattr(scan, name, None)
            return joined

        shard = np.concatenate(
            [np.full(len(scan.rows), scan.shard_index, dtype=np.uint32) for scan in scans] or [np.empty(0, np.uint32)]
        )
        source = gather("source", np.int16)
        order = np.argsort(source, kind="stable")
        columns = {"shard": shard[order]}
        del shard
        for name, dtype in (("rows", np.uint32), ("tokens", np.uint32), ("domain", np.int16), ("tier", np.int8)):
            values = gather(name, dtype)
            columns[name] = None if values is None else values[order]
        eligible = gather("eligible", np.uint32)
        source = source[order]
        bounds = np.searchsorted(source, np.arange(sources + 1), side="left")
        return cls(
            shard=columns["shard"],
            row=columns["rows"],
            source=source,
            tokens=columns["tokens"],
            domain=columns["domain"],
            tier=columns["tier"],
            eligible=None if eligible is None else eligible[order],
            bounds=bounds,
        )

    def __len__(self) -> int:
        return len(self.row)

    @property
    def nbytes(self) -> int:
        arrays = (self.shard, self.row, self.source, self.tokens, self.domain, self.tier, self.eligible)
        return sum(a.nbytes for a in arrays if a is not None)


@dataclass
class UnitPlan:
    """One unit of a stage (a source, or one cell of it) with its target and what was chosen."""

    source: str
    cell: str | None
    share: Fraction
    target_tokens: int
    pool_documents: int = 0
    pool_tokens: int = 0
    realised_tokens: int = 0
    documents: int = 0
    unique_documents: int = 0
    most_uses: int = 0
    """The most times any document of this unit has been used so far in the mixture (this stage included)."""


@dataclass
class StagePlan:
    index: int
    name: str
    budget: int
    mode: str
    units: list[UnitPlan]
    source_caps: dict[str, int]
    """source -> most tokens it may have in this stage: ``ceil(max_share * budget)``."""
    excluded: dict[str, dict[str, int]] = field(default_factory=dict)
    """source -> requirement -> candidates the stage's requirements excluded."""
    positions: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    repetitions: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint16))
    unit_of: np.ndarray = field(default_factory=lambda: np.empty(0, np.int16))

    @property
    def realised_tokens(self) -> int:
        return sum(unit.realised_tokens for unit in self.units)


@dataclass
class SourceUsage:
    name: str
    max_repetitions: int
    max_share: float
    candidates: int
    candidate_tokens: int
    tokens_used: int = 0
    documents_used: int = 0
    most_uses: int = 0

    @property
    def epochs(self) -> float:
        return self.tokens_used / self.candidate_tokens if self.candidate_tokens else 0.0


@dataclass
class MixPlan:
    stages: list[StagePlan]
    sources: list[SourceUsage]


def unit_seed(seed: int, *labels: str) -> np.random.Generator:
    """A generator for one purpose of the plan, derived from the mixture's seed and stable names (so that
    reordering sources in the file does not change any other source's sample)."""
    digest = hashlib.sha256("\x1f".join(labels).encode()).digest()
    return np.random.default_rng(np.random.SeedSequence([seed, int.from_bytes(digest[:16], "little")]))


class Planner:
    """Plans a mixture over a candidate pool; ``plan()`` returns a ``MixPlan`` or raises with every shortfall."""

    def __init__(self, mixture: Mixture, pool: CandidatePool, excluded: dict[tuple[int, int, str], int]):
        self.mixture = mixture
        self.pool = pool
        self.excluded = excluded
        self.names = list(mixture.sources)
        self.tiers = list(mixture.quality_tiers)
        self.used = np.zeros(len(pool), dtype=np.uint16)
        self.shortfalls: list[str] = []
        self.cell_domains: list[str] = []
        for stage in mixture.stages:
            if isinstance(stage.shares, dict):
                for share in stage.shares.values():
                    for key in share if isinstance(share, dict) else ():
                        domain = key.rpartition("/")[0]
                        if domain != ANY and domain not in self.cell_domains:
                            self.cell_domains.append(domain)

    def plan(self) -> MixPlan:
        usage = []
        for code, name in enumerate(self.names):
            start, stop = self.pool.bounds[code], self.pool.bounds[code + 1]
            spec = self.mixture.sources[name]
            usage.append(
                SourceUsage(
                    name,
                    spec.max_repetitions,
                    spec.max_share,
                    int(stop - start),
                    int(self.pool.tokens[start:stop].sum(dtype=np.int64)),
                )
            )
        stages = [self._stage(index, stage) for index, stage in enumerate(self.mixture.stages)]
        if self.shortfalls:
            raise InfeasibleMixtureError(self.shortfalls)
        for code, entry in enumerate(usage):
            start, stop = self.pool.bounds[code], self.pool.bounds[code + 1]
            entry.most_uses = int(self.used[start:stop].max()) if stop > start else 0
            for stage in stages:
                for unit in stage.units:
                    if unit.source == entry.name:
                        entry.tokens_used += unit.realised_tokens
                        entry.documents_used += unit.documents
            assert entry.most_uses <= entry.max_repetitions, "the sampler exceeded a repetition cap"
        return MixPlan(stages, usage)

    # -- one stage ---------------------------------------------------------------------------------------

    def _units(self, stage: StageSpec) -> list[tuple[int, str | None, Fraction]]:
        if isinstance(stage.shares, dict):
            units = []
            for name, share in stage.shares.items():
                code = self.names.index(name)
                if isinstance(share, dict):
                    units += [(code, key, as_fraction(value)) for key, value in share.items()]
                else:
                    units.append((code, None, as_fraction(share)))
            return units
        return [(code, None, Fraction(0)) for code in range(len(self.names))]

    def _stage(self, index: int, stage: StageSpec) -> StagePlan:
        units = self._units(stage)
        mode = "explicit"
        if stage.shares == NATURAL:
            mode = NATURAL
            weights = [
                int(self.pool.tokens[self._members(index, code, cell)].sum(dtype=np.int64)) for code, cell, _ in units
            ]
            caps = [as_fraction(self.mixture.sources[self.names[code]].max_share) for code, _, _ in units]
            try:
                shares = natural_shares(weights, caps)
            except CapsTooLowError as error:
                names = ", ".join(f"{self.names[units[i][0]]} ({float(caps[i]):g})" for i in error.capped)
                self.shortfalls.append(
                    f"stage {stage.name}: natural shares: the sources with eligible tokens are capped at "
                    f"{names}, {float(error.total):g} of the budget in all; raise a max_share so the caps sum to 1"
                )
                shares = [Fraction(0)] * len(units)
            units = [(code, cell, share) for (code, cell, _), share in zip(units, shares, strict=True)]
        budget = stage.tokens
        if sum(share for _, _, share in units) > 0:
            targets = largest_remainder(budget, [share for _, _, share in units])
        else:
            targets = [0] * len(units)
        caps = {
            self.names[code]: math.ceil(as_fraction(self.mixture.sources[self.names[code]].max_share) * budget)
            for code, _, _ in units
        }
        plan = StagePlan(index, stage.name, budget, mode, [], caps, self._excluded(index, units))
        realised_by_source: dict[str, int] = {}
        positions, repetitions, unit_of = [], [], []
        for number, ((code, cell, share), target) in enumerate(zip(units, targets, strict=True)):
            pool_members = self._members(index, code, cell)
            name = self.names[code]
            unit = UnitPlan(name, cell, share, target)
            unit.pool_documents = len(pool_members)
            unit.pool_tokens = int(self.pool.tokens[pool_members].sum(dtype=np.int64))
            plan.units.append(unit)
            if target == 0:
                continue
            spec = self.mixture.sources[name]
            tokens = self.pool.tokens[pool_members]
            used = self.used[pool_members]
            available = capacity(tokens, used, spec.max_repetitions)
            if available < target:
                self.shortfalls.append(
                    self._shortfall(index, stage, unit, spec.max_repetitions, used, tokens, available)
                )
                continue
            later = sum(t for (c, _, _), t in zip(units[number + 1 :], targets[number + 1 :], strict=True) if c == code)
            limit = max(target, caps[name] - realised_by_source.get(name, 0) - later)
            rng = unit_seed(self.mixture.seed, "sample", stage.name, name, cell or "")
            chosen = choose(tokens, used, spec.max_repetitions, target, rng, limit=limit)
            for taken in chosen.passes:  # a document appears at most once per pass
                self.used[pool_members[taken]] += 1
            picked = pool_members[chosen.positions]
            unit.realised_tokens = chosen.tokens
            unit.documents = len(picked)
            unit.unique_documents = chosen.unique
            unit.most_uses = int(self.used[pool_members].max()) if len(pool_members) else 0
            realised_by_source[name] = realised_by_source.get(name, 0) + chosen.tokens
            positions.append(picked)
            repetitions.append(chosen.repetitions)
            unit_of.append(np.full(len(picked), number, dtype=np.int16))
        if positions:
            plan.positions = np.concatenate(positions)
            plan.repetitions = np.concatenate(repetitions)
            plan.unit_of = np.concatenate(unit_of)
        return plan

    def _members(self, stage: int, code: int, cell: str | None) -> np.ndarray:
        """Pool positions of the documents a unit may draw from in ``stage``."""
        start, stop = int(self.pool.bounds[code]), int(self.pool.bounds[code + 1])
        mask = np.ones(stop - start, dtype=bool)
        if self.pool.eligible is not None:
            mask &= ((self.pool.eligible[start:stop] >> np.uint32(stage)) & np.uint32(1)).astype(bool)
        if cell is not None:
            domain, _, tier = cell.rpartition("/")
            if domain != ANY:
                mask &= self.pool.domain[start:stop] == self.cell_domains.index(domain)
            if tier != ANY:
                mask &= self.pool.tier[start:stop] == self.tiers.index(tier)
        return start + np.flatnonzero(mask)

    def _excluded(self, stage: int, units) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for code in sorted({code for code, _, _ in units}):
            for reason in (BELOW_QUALITY, CONTAMINATED):
                count = self.excluded.get((stage, code, reason), 0)
                if count:
                    result.setdefault(self.names[code], {})[reason] = count
        return result

    def _shortfall(self, index: int, stage: StageSpec, unit: UnitPlan, cap: int, used, tokens, available: int) -> str:
        where = f"stage {stage.name}, source {unit.source}" + (f" cell {unit.cell}" if unit.cell else "")
        short = unit.target_tokens - available
        head = (
            f"{where}: needs {unit.target_tokens:,} tokens ({float(unit.share):.4g} of {stage.tokens:,}), "
            f"can give {available:,}: {short:,} tokens short"
        )
        if unit.pool_tokens == 0:
            excluded = self._excluded(index, [(self.names.index(unit.source), None, 0)])
            reasons = ", ".join(f"{n:,} {r}" for r, n in excluded.get(unit.source, {}).items())
            return (
                f"{head}; no eligible document"
                + (f" (excluded by the stage's requirements: {reasons})" if reasons else "")
                + "; no cap allows it: widen the selection, relax the requirements, or lower the share"
            )
        by_use = tokens_by_use(tokens, used, int(used.max()) if len(used) else 0)
        prior = round(float(np.dot(by_use, np.arange(len(by_use)))))
        detail = f"{unit.pool_documents:,} eligible documents, {unit.pool_tokens:,} tokens, max_repetitions {cap}"
        if prior:
            detail += f", {prior:,} token-uses already taken by earlier stages"
        needed = math.ceil((unit.target_tokens + prior) / unit.pool_tokens)
        needed = max(needed, int(used.max()) + 1 if len(used) else 1)
        fits = Fraction(available, stage.tokens)
        allow = (
            f"max_repetitions: {needed} would allow it"
            if needed <= MAX_REPETITIONS
            else f"no max_repetitions up to {MAX_REPETITIONS} allows it"
        )
        return f"{head} ({detail}); {allow}, or a share of at most {float(fits):.4g}"
