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

GAP_SEARCH = 1 << 16
"""Documents (taken, and untaken) considered for the closing swap."""


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
    for an untaken one whose token count is larger by as close to ``short`` as possible (among the first
    ``GAP_SEARCH`` of each in the random order, so the search stays cheap on any pool). The move leaving the
    smallest gap is made if it beats stopping; ties go to the earliest document in the order. A move never
    takes the unit past ``limit``.
    """
    if taken.all():
        return taken
    ceiling = np.inf if limit is None else limit - target  # the most tokens a move may overshoot by
    best_gap, move = short, None
    smallest = int(np.argmin(np.where(taken, np.iinfo(np.int64).max, tokens.astype(np.int64))))
    over = int(tokens[smallest]) - short
    if over < best_gap and over <= ceiling:
        best_gap, move = over, (None, smallest)
    untaken = np.flatnonzero(~taken)[:GAP_SEARCH]
    chosen = np.flatnonzero(taken)[:GAP_SEARCH]
    if len(chosen):
        by_size = untaken[np.argsort(tokens[untaken], kind="stable")]
        sizes = tokens[by_size].astype(np.int64)
        held = tokens[chosen].astype(np.int64)
        right = np.clip(np.searchsorted(sizes, held + short), 0, len(sizes) - 1)
        left = np.clip(right - 1, 0, len(sizes) - 1)
        candidates = np.stack([left, right], axis=1)
        change = sizes[candidates] - held[:, None]  # tokens a swap adds
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
    """Documents chosen for a unit: pool positions per pass, each pass's repetition index, tokens chosen."""

    passes: list[np.ndarray]
    """Positions taken in each pass; a document appears at most once per pass."""
    levels: list[int]
    """The repetition index of every use in the matching pass (0 for a document's first use)."""
    tokens: int
    unique: int
    """Distinct documents over all passes."""

    @property
    def positions(self) -> np.ndarray:
        return np.concatenate(self.passes) if self.passes else np.empty(0, dtype=np.int64)

    @property
    def repetitions(self) -> np.ndarray:
        if not self.passes:
            return np.empty(0, dtype=np.uint16)
        uses = [
            np.full(len(taken), level, dtype=np.uint16) for taken, level in zip(self.passes, self.levels, strict=True)
        ]
        return np.concatenate(uses)


def tokens_by_use(tokens: np.ndarray, used: np.ndarray, max_repetitions: int) -> np.ndarray:
    """``result[k]``: tokens of the documents used ``k`` times so far (``k`` up to ``max_repetitions``).

    Summed in float64, exact up to 2**53 tokens (9 quadrillion).
    """
    levels = np.minimum(used, max_repetitions)
    return np.bincount(levels, weights=tokens, minlength=max_repetitions + 1)


def capacity(tokens: np.ndarray, used: np.ndarray, max_repetitions: int) -> int:
    """Tokens the pool can still give: each document's tokens times the uses it has left."""
    by_use = tokens_by_use(tokens, used, max_repetitions)
    return round(float(np.dot(by_use, max_repetitions - np.arange(max_repetitions + 1))))


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
        tokens: token count per pool document (shape ``(n,)``, unsigned integers).
        used: times each document was already used by earlier stages (shape ``(n,)``).
        max_repetitions: the source's cap on uses per document over the whole mixture.
        target: tokens wanted; must not exceed ``capacity`` (the planner checks first).
        rng: the unit's seeded generator.
        limit: most tokens the unit may take (a ``max_share`` cap); the closing move never passes it.

    Returns:
        the positions taken in each pass (pass ``k`` gives each of its documents its ``k + 1``-th use) and
        the tokens chosen. Memory: about 10 bytes per pool document besides the inputs.
    """
    n = len(tokens)
    by_use = tokens_by_use(tokens, used, max_repetitions)
    if target > capacity(tokens, used, max_repetitions):
        raise ValueError("target exceeds the pool's capacity")
    order = np.arange(n, dtype=np.uint32 if n < 2**32 else np.int64)
    rng.shuffle(order)
    most = int(used.max()) if n else 0
    remaining = int(target)
    passes: list[np.ndarray] = []
    levels: list[int] = []
    unique = 0
    level = int(used.min()) if n else max_repetitions
    while remaining > 0 and level < max_repetitions:
        # documents used at most `level` times get their (level + 1)-th use in this pass
        members = order if level >= most else order[used[order] <= level]
        pass_tokens = round(float(by_use[: level + 1].sum()))
        if pass_tokens <= remaining:
            chosen = members
            remaining -= pass_tokens
            unique = len(members)
        else:
            member_tokens = tokens[members]
            taken, left = _greedy_fit(member_tokens, np.int64(remaining))
            if left > 0:
                taken = _close_gap(member_tokens, taken, int(left), target, limit)
            chosen = members[taken]
            remaining = 0
            unique += int(np.count_nonzero(used[chosen] == level))
        passes.append(chosen)
        levels.append(level)
        level += 1
    total = sum(int(tokens[p].sum(dtype=np.int64)) for p in passes)
    return Chosen(passes, levels, total, unique)
