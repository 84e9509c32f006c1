"""Choosing documents until a token target is met: seeded, in whole passes, never above the repetition cap.

A unit (a source, or a cell of one, in one stage) has a pool of eligible documents, each with a token
count and the number of times earlier stages already used it. The pool is put in a seeded random order
once. Pass ``k`` takes every document used at most ``k`` times so far, giving it its ``(k + 1)``-th use,
for ``k`` from the least-used level up to ``max_repetitions - 1``: no document is used again while another
of the pool has been used fewer times. Whole passes are taken while they fit in the target; the last pass is
partial and takes, in the same order, each document that still fits (greedy fit); if the target is still
not reached, one last move closes the gap: a swap of a taken document for a slightly longer untaken one, or
the smallest untaken document when overshooting by it lands closer. The realised count therefore differs
from the target by at most half the pool's smallest document, and with documents of varied lengths it is
usually exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@njit(cache=True)
def _greedy_fit(tokens: np.ndarray, remaining: np.int64) -> tuple[np.ndarray, np.int64]:  # pragma: no cover
    """Take, in order, each entry that still fits; return the taken mask and the tokens still missing."""
    taken = np.zeros(tokens.shape[0], dtype=np.bool_)
    for i in range(tokens.shape[0]):
        if remaining == 0:
            break
        if tokens[i] <= remaining:
            taken[i] = True
            remaining -= tokens[i]
    return taken, remaining


def _close_gap(tokens: np.ndarray, taken: np.ndarray, short: int, target: int, limit: int | None) -> np.ndarray:
    """Bring a greedy fit that is ``short`` tokens under the target closer, by the best single move.

    Two moves are considered: add the smallest untaken document (overshooting), or swap one taken document
    for an untaken one whose token count is larger by as close to ``short`` as possible. The move with the
    smallest remaining gap is made if it beats stopping; ties go to the earliest document in the order.
    A move never takes the unit past ``limit``.
    """
    untaken = np.flatnonzero(~taken)
    chosen = np.flatnonzero(taken)
    if not len(untaken):
        return taken
    ceiling = np.inf if limit is None else limit - target  # the most tokens a move may overshoot by
    best_gap, move = short, None
    smallest = untaken[np.argmin(tokens[untaken])]
    over = int(tokens[smallest]) - short
    if over < best_gap and over <= ceiling:
        best_gap, move = over, (None, smallest)
    if len(chosen):
        by_size = untaken[np.argsort(tokens[untaken], kind="stable")]
        sizes = tokens[by_size]
        wanted = tokens[chosen] + short
        right = np.clip(np.searchsorted(sizes, wanted), 0, len(sizes) - 1)
        left = np.clip(right - 1, 0, len(sizes) - 1)
        candidates = np.stack([left, right], axis=1)
        change = sizes[candidates] - tokens[chosen][:, None]  # tokens a swap adds
        gap = np.abs(short - change).astype(np.float64)
        gap[(change <= 0) | (change - short > ceiling)] = np.inf
        flat = int(np.argmin(gap))
        if gap.flat[flat] < best_gap:
            row, side = divmod(flat, 2)
            best_gap, move = int(gap.flat[flat]), (chosen[row], by_size[candidates[row, side]])
    if move is not None:
        taken = taken.copy()
        out, into = move
        if out is not None:
            taken[out] = False
        taken[into] = True
    return taken


@dataclass
class Chosen:
    """Documents chosen for a unit: pool positions (one entry per use) and each use's repetition index."""

    positions: np.ndarray
    repetitions: np.ndarray
    tokens: int


def capacity(tokens: np.ndarray, allowance: np.ndarray) -> int:
    """Tokens the pool can give at most: each document's tokens times its allowance."""
    return int(np.dot(tokens.astype(np.int64), allowance.astype(np.int64)))


def choose(
    tokens: np.ndarray,
    used: np.ndarray,
    max_repetitions: int,
    target: int,
    rng: np.random.Generator,
    limit: int | None = None,
) -> Chosen:
    """Choose documents of a pool for ``target`` tokens.

    Args:
        tokens: token count per pool document (shape ``(n,)``).
        used: times each document was already used by earlier stages (shape ``(n,)``).
        max_repetitions: the source's cap on uses per document over the whole mixture.
        target: tokens wanted; must not exceed ``capacity`` (the planner checks first).
        rng: the unit's seeded generator.
        limit: most tokens the unit may take (a ``max_share`` cap); the closing overshoot never passes it.

    Returns:
        positions into the pool (a document used twice appears twice) and, for each, its repetition index
        over the whole mixture (0 for a document's first use), plus the tokens chosen.
    """
    uses = used.astype(np.int64)
    if target > capacity(tokens, np.maximum(max_repetitions - uses, 0)):
        raise ValueError("target exceeds the pool's capacity")
    order = rng.permutation(len(tokens))
    ordered_tokens = tokens[order].astype(np.int64)
    ordered_uses = uses[order]
    remaining = int(target)
    positions: list[np.ndarray] = []
    repetitions: list[np.ndarray] = []
    level = int(uses.min()) if len(uses) else max_repetitions
    while remaining > 0 and level < max_repetitions:
        members = np.flatnonzero(ordered_uses <= level)  # documents that would get their (level + 1)-th use
        pass_tokens = int(ordered_tokens[members].sum())
        if pass_tokens <= remaining:
            chosen = members
            remaining -= pass_tokens
        else:
            member_tokens = ordered_tokens[members]
            taken, left = _greedy_fit(member_tokens, np.int64(remaining))
            if left > 0:
                taken = _close_gap(member_tokens, taken, int(left), target, limit)
            chosen = members[taken]
            remaining = 0
        positions.append(order[chosen])
        repetitions.append(np.full(len(chosen), level, dtype=np.int64))
        level += 1
    chosen_positions = np.concatenate(positions) if positions else np.empty(0, dtype=np.int64)
    chosen_repetitions = np.concatenate(repetitions) if repetitions else np.empty(0, dtype=np.int64)
    return Chosen(
        chosen_positions.astype(np.int64),
        chosen_repetitions.astype(np.uint16),
        int(tokens[chosen_positions].astype(np.int64).sum()),
    )
