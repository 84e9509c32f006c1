"""Layout of the corpus: what kind of record goes on which line of which shard.

All proportions are fixed by quotas rather than sampled independently, so a corpus of any size has
the promised mix (~70% English, ~15% junk, ~3% exact and ~5% near duplicates, a few malformed lines)
and tests can use tight bounds. The plan is made before any text is written so that every record's
position, and therefore its id, is known up front and each record can use its own random stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from curation.sample.duplicates import EXACT_VARIANTS
from curation.sample.junk import JUNK_QUALITIES
from curation.sample.lexicon import DOMAINS
from curation.sample.malformed import MALFORMED_REASONS

LANGUAGE_SHARES: dict[str, float] = {"en": 0.7, "de": 0.1, "fr": 0.1, "es": 0.1}
JUNK_SHARE = 0.15
EXACT_DUP_SHARE = 0.03
NEAR_DUP_SHARE = 0.05
MIN_RECORDS = 40
"""Smallest corpus that still holds every kind of record (and enough originals to copy)."""

KINDS = ("good", "junk", "exact", "near", "malformed")


@dataclass(frozen=True)
class Slot:
    """One line of one shard, with the ground truth decided by the plan."""

    position: int
    """0-based index over the whole corpus (shard-major), also the number in the record id."""
    shard: int
    line: int
    """1-based line number inside the shard."""
    kind: str
    language: str | None = None
    domain: str | None = None
    quality: str | None = None
    """Junk quality for junk slots."""
    variant: str | None = None
    """Exact-duplicate variant, or malformed reason."""


def quota(shares: dict[str, float], n: int, rng: random.Random) -> list[str]:
    """`n` labels in the given proportions (largest-remainder rounding), shuffled."""
    exact = {label: share * n / sum(shares.values()) for label, share in shares.items()}
    counts = {label: int(value) for label, value in exact.items()}
    by_remainder = sorted(shares, key=lambda label: exact[label] - counts[label], reverse=True)
    for label in by_remainder[: n - sum(counts.values())]:
        counts[label] += 1
    labels = [label for label, count in counts.items() for _ in range(count)]
    rng.shuffle(labels)
    return labels


def _kind_counts(total: int, shards: int) -> dict[str, int]:
    malformed = max(len(MALFORMED_REASONS), min(shards, total // 50))
    exact = max(1, round(EXACT_DUP_SHARE * total))
    near = max(1, round(NEAR_DUP_SHARE * total))
    junk = max(len(JUNK_QUALITIES), round(JUNK_SHARE * total))
    good = total - malformed - exact - near - junk
    return {"good": good, "junk": junk, "exact": exact, "near": near, "malformed": malformed}


def _kinds_in_order(shards: int, per_shard: int, counts: dict[str, int], rng: random.Random) -> list[str]:
    """Kinds by position: malformed lines spread round-robin over shards, the rest shuffled."""
    total = shards * per_shard
    malformed_at: set[int] = set()
    for i in range(counts["malformed"]):
        shard = i % shards
        while True:
            position = shard * per_shard + rng.randrange(per_shard)
            if position not in malformed_at:
                malformed_at.add(position)
                break
    others = [kind for kind in KINDS[:-1] for _ in range(counts[kind])]
    rng.shuffle(others)
    # Every duplicate needs an earlier original: make the first well-formed record a good one.
    first_good = others.index("good")
    others[0], others[first_good] = others[first_good], others[0]
    stream = iter(others)
    return ["malformed" if p in malformed_at else next(stream) for p in range(total)]


def corpus_plan(shards: int, docs_per_shard: int, seed: int) -> list[Slot]:
    """The full layout of a corpus, deterministic in (shards, docs_per_shard, seed)."""
    if shards < 1 or docs_per_shard < 1:
        raise ValueError("shards and docs_per_shard must be positive")
    if shards * docs_per_shard < MIN_RECORDS:
        raise ValueError(f"a sample corpus needs at least {MIN_RECORDS} records")
    rng = random.Random(f"plan:{seed}")
    counts = _kind_counts(shards * docs_per_shard, shards)
    kinds = _kinds_in_order(shards, docs_per_shard, counts, rng)

    good_languages = iter(quota(LANGUAGE_SHARES, counts["good"], rng))
    junk_languages = iter(quota(LANGUAGE_SHARES, counts["junk"], rng))
    junk_qualities = iter(quota(dict.fromkeys(JUNK_QUALITIES, 1.0), counts["junk"], rng))
    exact_variants = iter(quota(dict.fromkeys(EXACT_VARIANTS, 1.0), counts["exact"], rng))
    reasons = MALFORMED_REASONS
    malformed_reasons = iter(reasons[i % len(reasons)] for i in range(counts["malformed"]))
    domain_decks: dict[str, list[str]] = {}

    def next_domain(language: str) -> str:
        """Domains cycle per language so each language covers every domain evenly."""
        deck = domain_decks.setdefault(language, [])
        if not deck:
            deck.extend(DOMAINS)
            rng.shuffle(deck)
        return deck.pop()

    slots = []
    for position, kind in enumerate(kinds):
        shard, line = divmod(position, docs_per_shard)
        slot = Slot(position, shard, line + 1, kind)
        if kind == "good":
            language = next(good_languages)
            slot = Slot(position, shard, line + 1, kind, language, next_domain(language), "good")
        elif kind == "junk":
            quality = next(junk_qualities)
            slot = Slot(position, shard, line + 1, kind, next(junk_languages), rng.choice(DOMAINS), quality)
        elif kind == "exact":
            slot = Slot(position, shard, line + 1, kind, quality="good", variant=next(exact_variants))
        elif kind == "near":
            slot = Slot(position, shard, line + 1, kind, quality="good")
        else:
            slot = Slot(position, shard, line + 1, kind, variant=next(malformed_reasons))
        slots.append(slot)
    return slots
