"""Cut a tokenised window into token-budget batches and stage them in reused host buffers.

Rows are sorted by length, longest first, within the window: neighbours have similar lengths, so padding
to each batch's longest row wastes little, and the largest batch comes first (an out-of-memory error shows
up at once, not after an hour). A batch holds as many rows as fit ``max_batch_tokens`` padded tokens.

Host buffers form a small ring: the feeder fills a free buffer, the model thread copies it to the device
and hands it back with the copy's CUDA event; the feeder waits on that event before writing into the
buffer again. On a GPU the buffers are pinned, so copies are asynchronous DMA; on CPU the model reads the
buffer in place and returns it when the forward pass is done.
"""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class BatchPlan:
    """Which rows of a window form one batch (positions in the window's row order) and its padded length."""

    rows: np.ndarray
    length: int


def plan_batches(
    lengths: np.ndarray,
    max_batch_tokens: int,
    max_batch_size: int,
    pad_to_multiple: int = 1,
    max_padding: float | None = None,
) -> list[BatchPlan]:
    """Longest-first batches whose padded size (rows x longest row) stays within ``max_batch_tokens``.

    With ``max_padding``, a batch also stops growing before its padding would exceed that fraction of its
    real tokens (the rows are sorted, so this only splits where lengths fall off steeply).
    """
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    plans: list[BatchPlan] = []
    start = 0
    while start < len(order):
        longest = _round_up(int(sorted_lengths[start]), pad_to_multiple)
        count = max(1, min(max_batch_size, max_batch_tokens // longest, len(order) - start))
        if max_padding is not None and count > 1:
            real = np.cumsum(sorted_lengths[start : start + count])
            padded = longest * np.arange(1, count + 1)
            fits = padded <= (1.0 + max_padding) * real
            count = max(1, int(np.argmin(fits)) if not fits.all() else count)
        plans.append(BatchPlan(rows=order[start : start + count], length=longest))
        start += count
    return plans


def _round_up(value: int, multiple: int) -> int:
    return max(1, -(-value // multiple) * multiple)


class HostBuffer:
    """One reusable staging area: flat token ids and row lengths, pinned when the device is a GPU."""

    def __init__(self, capacity_tokens: int, capacity_rows: int, pinned: bool):
        self.ids = torch.empty(capacity_tokens, dtype=torch.int64, pin_memory=pinned)
        self.lengths = torch.empty(capacity_rows, dtype=torch.int64, pin_memory=pinned)
        self.capacity_tokens = capacity_tokens
        self.capacity_rows = capacity_rows
        self.copied: torch.cuda.Event | None = None

    def wait_until_free(self) -> None:
        """Block until the last device copy out of this buffer has finished."""
        if self.copied is not None:
            self.copied.synchronize()
            self.copied = None

    def fill(self, rows: list[list[int]], length: int, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Write ``rows`` padded to ``length``; return views ``(ids[B, length], lengths[B])`` of this buffer."""
        count = len(rows)
        if count * length > self.capacity_tokens or count > self.capacity_rows:
            raise ValueError(f"a batch of {count}x{length} does not fit a {self.capacity_tokens}-token host buffer")
        row_lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=count)
        flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=int(row_lengths.sum()))
        ids = self.ids[: count * length].view(count, length)
        grid = ids.numpy()
        grid.fill(pad_id)
        grid[np.arange(length)[None, :] < row_lengths[:, None]] = flat
        lengths = self.lengths[:count]
        lengths.numpy()[:] = row_lengths
        return ids, lengths


class HostBufferRing:
    """A fixed set of host buffers passed between the feeder thread and the model thread."""

    def __init__(self, count: int, capacity_tokens: int, capacity_rows: int, pinned: bool):
        self._free: queue.Queue[HostBuffer] = queue.Queue()
        for _ in range(count):
            self._free.put(HostBuffer(capacity_tokens, capacity_rows, pinned))

    def acquire(self, stop: threading.Event) -> HostBuffer | None:
        """A free buffer, or None once ``stop`` is set (so a cancelled feeder does not wait forever)."""
        while not stop.is_set():
            try:
                buffer = self._free.get(timeout=0.1)
            except queue.Empty:
                continue
            buffer.wait_until_free()
            return buffer
        return None

    def release(self, buffer: HostBuffer, copied: torch.cuda.Event | None = None) -> None:
        buffer.copied = copied
        self._free.put(buffer)
