"""Shares of a token budget, in exact arithmetic.

``largest_remainder`` turns shares into whole token targets that add up to the budget exactly (Hamilton's
method, as used to apportion parliament seats): each target is the floor of its quota, and the tokens
left over go one each to the largest fractional remainders. ``natural_shares`` gives every source a share
proportional to its eligible tokens, holding any source at its ``max_share`` and spreading what it gives
up over the others in proportion again (water-filling). Shares are ``Fraction``s, so the result is the same
on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction


class CapsTooLowError(ValueError):
    """Every source with tokens reached its ``max_share`` and the shares still do not reach 1."""

    def __init__(self, capped: list[int], total: Fraction):
        self.capped = capped
        self.total = total
        super().__init__(f"the max_share caps of the sources with tokens sum to {float(total):g} < 1")


def as_fraction(value: float | int | Fraction) -> Fraction:
    """A share as written (``0.3`` is 3/10, not the nearest binary float)."""
    if isinstance(value, Fraction):
        return value
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def largest_remainder(total: int, shares: Sequence[Fraction]) -> list[int]:
    """Whole targets summing to ``total`` exactly; ties go to the earlier share.

    ``shares`` are normalised by their sum first, so shares given as 0.3 + 0.7 and as 3 + 7 agree.

    Example: 100 tokens at shares 1/3, 1/3, 1/3 -> quotas 33.3 each -> floors 33, 33, 33 -> the one token
    left goes to the first (all remainders tie) -> 34, 33, 33.
    """
    if total < 0:
        raise ValueError(f"total must not be negative, got {total}")
    weight = sum(shares, Fraction(0))
    if weight <= 0:
        raise ValueError("shares must sum to a positive number")
    quotas = [total * share / weight for share in shares]
    targets = [quota.numerator // quota.denominator for quota in quotas]
    left = total - sum(targets)
    order = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - targets[i]), i))
    for index in order[:left]:
        targets[index] += 1
    return targets


def natural_shares(weights: Sequence[int], caps: Sequence[Fraction]) -> list[Fraction]:
    """Shares proportional to ``weights`` (eligible tokens), none above its cap; a zero weight gets 0.

    Raises ``CapsTooLowError`` when the caps of the sources with tokens sum to less than 1.
    """
    shares = [Fraction(0)] * len(weights)
    free = [i for i, weight in enumerate(weights) if weight > 0]
    remaining = Fraction(1)
    while free:
        pool = sum(weights[i] for i in free)
        over = [i for i in free if remaining * weights[i] / pool > caps[i]]
        if not over:
            for i in free:
                shares[i] = remaining * weights[i] / pool
            return shares
        for i in over:
            shares[i] = caps[i]
            remaining -= caps[i]
        free = [i for i in free if i not in over]
    if remaining > 0:
        with_tokens = [i for i, weight in enumerate(weights) if weight > 0]
        raise CapsTooLowError(with_tokens, sum((caps[i] for i in with_tokens), Fraction(0)))
    return shares
