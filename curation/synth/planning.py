"""Which documents to ask about: quality tiers, eligibility, balanced per-topic sampling.

Every candidate document ends with exactly one decision: selected, or not, with the reason, checked in
this order:

``no_topic``               the document has no ``topic_id``;
``low_confidence_topic``   its topic assignment is flagged low-confidence (``topic_low_confidence``);
``below_min_quality``      its quality score is below ``min_quality`` (or missing when one is set);
``no_template_applies``    no template applies to its quality tier, language and topic, or it is shorter
                           than every applicable template's minimum input;
``over_topic_quota``       its topic's quota was filled by documents ranked before it;
``over_document_budget``   ``max_documents`` was reached.

Within a topic documents are ranked by a hash of (seed, id): a uniform random order that is the same on
every run and machine and does not change when other documents are added. With ``max_documents`` the
selection is balanced: topics take turns, one document each, in order of topic id.

The topic is any grouping field: ``topic_id`` by default, or e.g. ``domain`` (text values are their own
names).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from curation.synth.templates import Template

SELECTED = ""
REASONS = (
    "no_topic",
    "low_confidence_topic",
    "below_min_quality",
    "no_template_applies",
    "over_topic_quota",
    "over_document_budget",
)
UNSCORED = "unscored"


@dataclass(frozen=True)
class Candidate:
    """What planning needs to know about one document (no text)."""

    stem: str
    position: int
    id: str
    topic_id: int | str | None
    topic_name: str | None
    quality: float | None
    language: str | None
    tokens: int
    low_confidence: bool


@dataclass
class TopicPlan:
    """Per topic: eligible documents, the quota, the documents selected."""

    name: str | None
    eligible: int = 0
    quota: int = 0
    selected: int = 0


@dataclass
class Plan:
    """A decision per (stem, position): ``""`` when selected, else the reason; per-topic figures."""

    decisions: dict[tuple[str, int], str] = field(default_factory=dict)
    topics: dict[int | str, TopicPlan] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        reasons: dict[str, int] = defaultdict(int)
        for reason in self.decisions.values():
            reasons[reason or "selected"] += 1
        return {
            "documents": len(self.decisions),
            "decisions": dict(sorted(reasons.items())),
            "topics": {
                str(t): {"name": p.name, "eligible": p.eligible, "quota": p.quota, "selected": p.selected}
                for t, p in sorted(self.topics.items(), key=lambda item: topic_order(item[0]))
            },
        }


def quality_tier(score: float | None, tiers: dict[str, float]) -> str:
    """The highest tier whose minimum ``score`` reaches (``tiers``: name -> minimum); ``unscored`` without one."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return UNSCORED
    for name, minimum in sorted(tiers.items(), key=lambda item: -item[1]):
        if score >= minimum:
            return name
    return min(tiers.items(), key=lambda item: item[1])[0] if tiers else UNSCORED


def topic_order(topic: int | str) -> tuple[int, int, str]:
    """Topic ids in numeric order, then named groups (a ``domain`` used as the topic) in text order."""
    return (0, topic, "") if isinstance(topic, int) else (1, 0, str(topic))


def rank_key(seed: int, document_id: str) -> bytes:
    return hashlib.blake2b(f"{seed}\x00{document_id}".encode(), digest_size=8).digest()


def applicable_templates(candidate: Candidate, tier: str, templates: Sequence[Template]) -> list[Template]:
    return [
        t
        for t in templates
        if t.applies(tier, candidate.language, candidate.topic_id, candidate.topic_name)
        and t.fits_input(candidate.tokens)
    ]


def make_plan(
    candidates: Sequence[Candidate],
    templates: Sequence[Template],
    *,
    per_topic: int,
    topic_quotas: dict[str, int] | None = None,
    min_quality: float | None = None,
    tiers: dict[str, float] | None = None,
    skip_low_confidence: bool = True,
    max_documents: int | None = None,
    seed: int = 0,
) -> Plan:
    """Decide for every candidate (see the module docstring)."""
    tiers = tiers or {}
    quotas = {str(k): int(v) for k, v in (topic_quotas or {}).items()}
    plan = Plan()
    by_topic: dict[int | str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        key = (candidate.stem, candidate.position)
        if candidate.topic_id is None:
            plan.decisions[key] = "no_topic"
            continue
        topic = plan.topics.setdefault(candidate.topic_id, TopicPlan(candidate.topic_name))
        if skip_low_confidence and candidate.low_confidence:
            plan.decisions[key] = "low_confidence_topic"
        elif min_quality is not None and (candidate.quality is None or candidate.quality < min_quality):
            plan.decisions[key] = "below_min_quality"
        elif not applicable_templates(candidate, quality_tier(candidate.quality, tiers), templates):
            plan.decisions[key] = "no_template_applies"
        else:
            topic.eligible += 1
            by_topic[candidate.topic_id].append(candidate)
    chosen: dict[int | str, list[Candidate]] = {}
    for topic_id, members in by_topic.items():
        topic = plan.topics[topic_id]
        quota = quotas.get(str(topic_id), quotas.get(topic.name or "", per_topic))
        topic.quota = quota
        ranked = sorted(members, key=lambda c: (rank_key(seed, c.id), c.stem, c.position))
        chosen[topic_id] = ranked[:quota]
        for candidate in ranked[quota:]:
            plan.decisions[(candidate.stem, candidate.position)] = "over_topic_quota"
    selected = _balanced(chosen, max_documents)
    for topic_id, members in chosen.items():
        for candidate in members:
            key = (candidate.stem, candidate.position)
            if key in selected:
                plan.decisions[key] = SELECTED
                plan.topics[topic_id].selected += 1
            else:
                plan.decisions[key] = "over_document_budget"
    return plan


def _balanced(chosen: dict[int | str, list[Candidate]], budget: int | None) -> set[tuple[str, int]]:
    """Topics take turns (by topic id), one document each, until ``budget`` documents are taken."""
    if budget is None:
        return {(c.stem, c.position) for members in chosen.values() for c in members}
    taken: set[tuple[str, int]] = set()
    depth = 0
    while len(taken) < budget:
        progressed = False
        for topic_id in sorted(chosen, key=topic_order):
            members = chosen[topic_id]
            if depth < len(members) and len(taken) < budget:
                taken.add((members[depth].stem, members[depth].position))
                progressed = True
        if not progressed:
            break
        depth += 1
    return taken
