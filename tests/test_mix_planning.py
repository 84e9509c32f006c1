"""Token arithmetic of mixtures: largest-remainder targets, natural shares under caps, the seeded sampler."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from curation.mix.apportion import CapsTooLowError, as_fraction, largest_remainder, natural_shares
from curation.mix.sampling import capacity, choose


def test_largest_remainder_sums_to_the_budget_exactly_and_breaks_ties_in_order():
    assert largest_remainder(100, [Fraction(1, 3)] * 3) == [34, 33, 33]
    # quotas 1.5, 3.5, 5.0: the two .5 remainders tie for the one token left, the earlier share gets it
    assert largest_remainder(10, [as_fraction(0.15), as_fraction(0.35), as_fraction(0.5)]) == [2, 3, 5]
    assert largest_remainder(300_001, [as_fraction(0.35), as_fraction(0.5), as_fraction(0.15)]) == [
        105_000,
        150_001,
        45_000,
    ]
    rng = np.random.default_rng(3)
    for _ in range(200):
        shares = [Fraction(int(x)) for x in rng.integers(1, 1000, size=rng.integers(1, 9))]
        total = int(rng.integers(0, 10**9))
        targets = largest_remainder(total, shares)
        assert sum(targets) == total
        weight = sum(shares)
        assert all(abs(t - total * s / weight) < 1 for t, s in zip(targets, shares, strict=True))


def test_shares_are_taken_as_written_not_as_binary_floats():
    assert as_fraction(0.1) == Fraction(1, 10)
    assert largest_remainder(30, [as_fraction(0.1), as_fraction(0.2), as_fraction(0.7)]) == [3, 6, 21]


def test_natural_shares_follow_tokens_and_spill_a_capped_source_over_the_others():
    # 600 : 300 : 100 tokens would be 0.6 / 0.3 / 0.1; the first is capped at 0.5, and its 0.1 goes to the
    # others in proportion 3 : 1 -> 0.375 and 0.125
    shares = natural_shares([600, 300, 100], [Fraction(1, 2), Fraction(1), Fraction(1)])
    assert shares == [Fraction(1, 2), Fraction(3, 8), Fraction(1, 8)]
    assert natural_shares([0, 5], [Fraction(1), Fraction(1)]) == [0, 1]
    with pytest.raises(CapsTooLowError) as caught:
        natural_shares([600, 300], [Fraction(1, 2), Fraction(3, 10)])
    assert caught.value.total == Fraction(4, 5)


def _pool(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(20, 800, size=n).astype(np.uint32)


def test_sampler_meets_the_target_within_half_the_smallest_document_and_never_passes_the_cap():
    tokens = _pool(500)
    for target in (1, 999, 50_000, int(tokens.sum()), int(tokens.sum()) * 2 + 777, int(tokens.sum()) * 3):
        used = np.zeros(len(tokens), dtype=np.uint16)
        chosen = choose(tokens, used, 3, target, np.random.default_rng(7))
        assert abs(chosen.tokens - target) <= tokens.min() // 2
        uses = np.bincount(chosen.positions, minlength=len(tokens))
        assert uses.max() <= 3
        # no document is used k+1 times while another is used fewer than k times
        assert uses.max() - uses.min() <= 1 or target < tokens.sum()
        for position in np.unique(chosen.positions):
            assert sorted(chosen.repetitions[chosen.positions == position].tolist()) == list(range(uses[position]))


def test_sampler_uses_the_least_used_documents_first():
    tokens = _pool(400, seed=1)
    used = np.zeros(len(tokens), dtype=np.uint16)
    used[:200] = 1  # taken by an earlier stage
    fresh = int(tokens[200:].sum())
    chosen = choose(tokens, used, 2, fresh - 1000, np.random.default_rng(0))
    assert chosen.positions.min() >= 200
    assert set(chosen.repetitions.tolist()) == {0}
    chosen = choose(tokens, used, 2, fresh + 1000, np.random.default_rng(0))
    assert set(np.flatnonzero(np.bincount(chosen.positions, minlength=400)[200:] == 0)) == set()
    assert (chosen.repetitions[chosen.positions < 200] == 1).all()


def test_sampler_is_deterministic_per_seed_and_respects_the_limit():
    tokens = _pool(300, seed=2)
    used = np.zeros(len(tokens), dtype=np.uint16)
    first = choose(tokens, used, 1, 40_000, np.random.default_rng(11))
    again = choose(tokens, used, 1, 40_000, np.random.default_rng(11))
    other = choose(tokens, used, 1, 40_000, np.random.default_rng(12))
    assert np.array_equal(first.positions, again.positions)
    assert not np.array_equal(np.sort(first.positions), np.sort(other.positions))
    for seed in range(30):
        limited = choose(tokens, used, 1, 40_000, np.random.default_rng(seed), limit=40_000)
        assert limited.tokens <= 40_000


def test_sampler_refuses_a_target_above_capacity():
    tokens = np.array([10, 20, 30], dtype=np.uint32)
    used = np.array([0, 1, 2], dtype=np.uint16)
    assert capacity(tokens, used, 2) == 2 * 10 + 20
    with pytest.raises(ValueError, match="capacity"):
        choose(tokens, used, 2, 41, np.random.default_rng(0))
    exact = choose(tokens, used, 2, 40, np.random.default_rng(0))
    assert exact.tokens == 40
    assert sorted(exact.positions.tolist()) == [0, 0, 1]
