"""Cut a tokenised window into token-budget batches and stage them in reused host buffers.

Rows are sorted by length, longest first, within the window: neighbours have similar lengths, so padding
to each batch's longest row wastes little, and the largest batch comes first (an out-of-memory error shows
up at once, not after an hour). A batch holds as many rows as fit ``max_batch_tokens`` padded tokens.
With static shapes, a batch's length is one of a few buckets and its row count what the budget holds at
that length, so a compiled model sees a fixed set of shapes.

Host buffers form a small ring: the feeder fills a free buffer, the model thread copies it to the device
and hands it back with the copy's CUDA event; the feeder waits on that event before writing into the
buffer again. On a GPU the buffers are pinned, so copies are asynchronous DMA; on CPU the model reads the
buffer in place and returns it when the forward pass is done.
"""

from __future__ import annotations

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
    buckets: tuple[int, ...] | None = None,
) -> list[BatchPlan]:
    """Longest-first batches whose padded size (rows x longest row) stays within ``max_batch_tokens``.

    With ``max_padding``, a batch also stops growing before its padding would exceed that fraction of its
    real tokens (the rows are sorted, so this only splits where lengths fall off steeply). With ``buckets``
    (static shapes), a batch's length is the smallest bucket holding its longest row, and ``max_padding``
    is not applied (the shape, not the padding, is what is fixed).
    """
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    plans: list[BatchPlan] = []
    start = 0
    while start < len(order):
        longest = int(sorted_lengths[start])
        longest = bucket_for(longest, buckets) if buckets else _round_up(longest, pad_to_multiple)
        count = max(1, min(max_batch_size, max_batch_tokens // longest, len(order) - start))
        if max_padding is not None and count > 1 and not buckets:
            real = np.cumsum(sorted_lengths[start : start + count])
            padded = longest * np.arange(1, count + 1)
            fits = padded <= (1.0 + max_padding) * real
            count = max(1, int(np.argmin(fits)) if not fits.all() else count)
        plans.append(BatchPlan(rows=order[start : start + count], length=longest))
        start += count
    return plans


def bucket_for(length: int, buckets: tuple[int, ...]) -> int:
    """The smallest of the sorted ``buckets`` holding ``length`` (the largest when none does)."""
    index = int(np.searchsorted(np.asarray(buckets), length, side="left"))
    return buckets[min(index, len(buckets) - 1)]


def static_rows(length: int, max_batch_tokens: int, max_batch_size: int) -> int:
    """Rows of every static-shape batch of ``length``: what the token budget holds."""
    return max(1, min(max_batch_size, max_batch_tokens // length))


def _round_up(value: int, multiple: int) -> int:
    return max(1, -(-value // multiple) * multiple)


class HostBuffer:
    """One reusable staging area: flat token ids and row lengths, pinned when the device is a GPU.

    ``memory`` (optional) is an int64 array to stage in instead of allocating: a shared-memory block that a
    model process reads (``curation.inference.service``); it holds the ids, then the row lengths.
    """

    def __init__(self, capacity_tokens: int, capacity_rows: int, pinned: bool, memory: np.ndarray | None = None):
        if memory is None:
            self.ids = torch.empty(capacity_tokens, dtype=torch.int64, pin_memory=pinned)
            self.lengths = torch.empty(capacity_rows, dtype=torch.int64, pin_memory=pinned)
        else:
            self.ids = torch.from_numpy(memory[:capacity_tokens])
            self.lengths = torch.from_numpy(memory[capacity_tokens : capacity_tokens + capacity_rows])
        self.capacity_tokens = capacity_tokens
        self.capacity_rows = capacity_rows
        self.copied: torch.cuda.Event | None = None
        self.index = 0
        """This buffer's place in its ring (a model process names shared buffers by it)."""

    def wait_until_free(self) -> None:
        """Block until the last device copy out of this buffer has finished."""
        if self.copied is not None:
            self.copied.synchronize()
            self.copied = None

    def fill(
        self,
        flat: np.ndarray,
        starts: np.ndarray,
        row_lengths: np.ndarray,
        length: int,
        pad_id: int,
        rows: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Write the rows ``flat[starts[i] : starts[i] + row_lengths[i]]`` padded to ``length``, in one
        vectorised gather; return views ``(ids[B, length], lengths[B])`` of this buffer.

        ``rows`` (static shapes) pads the batch with rows of one padding token up to that many rows.
        """
        count = len(starts) if rows is None else rows
        if count * length > self.capacity_tokens or count > self.capacity_rows or len(starts) > count:
            raise ValueError(f"a batch of {count}x{length} does not fit a {self.capacity_tokens}-token host buffer")
        ids = self.ids[: count * length].view(count, length)
        grid = ids.numpy()
        lengths = self.lengths[:count]
        lengths_view = lengths.numpy()
        lengths_view[: len(starts)] = row_lengths
        lengths_view[len(starts) :] = 1
        real = len(starts)
        if real and int(row_lengths.min()) == length:
            grid[:real] = flat[starts[:, None] + np.arange(length)[None, :]]
        else:
            grid[:real].fill(pad_id)
            columns = np.arange(length)
            keep = columns[None, :] < row_lengths[:, None]
            grid[:real][keep] = flat[(starts[:, None] + columns[None, :])[keep]]
        grid[real:].fill(pad_id)
        return ids, lengths


class HostBufferRing:
    """A fixed set of host buffers passed between the feeder thread and the model thread."""

    def __init__(
        self,
        count: int,
        capacity_tokens: int,
        capacity_rows: int,
        pinned: bool,
        memory: list[np.ndarray] | None = None,
    ):
        self._free: queue.Queue[HostBuffer] = queue.Queue()
        self.buffers: list[HostBuffer] = []
        for index in range(count):
            buffer = HostBuffer(capacity_tokens, capacity_rows, pinned, None if memory is None else memory[index])
            buffer.index = index
            self.buffers.append(buffer)
            self._free.put(buffer)

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
