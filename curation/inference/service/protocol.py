"""What a worker and a model process say to each other, and how a shared buffer is laid out.

Messages are small tuples over a ``multiprocessing.connection`` (a Unix socket with an auth key). A
shared buffer is one ``SharedMemory`` block per staged batch: ``int64`` token ids (``tokens`` of them),
``int64`` row lengths (``rows``), then ``float32`` outputs (``rows`` x ``width``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ATTACH = "attach"
"""(ATTACH, specs, options) -> (ATTACHED, key, infos, pad_token_id, width, summary) or (FAILED, message)"""
BUFFERS = "buffers"
"""(BUFFERS, key, names, tokens, rows, width, budget) -> nothing (the process opens the blocks)"""
RUN = "run"
"""(RUN, key, buffer, rows, length, pad_to_multiple) -> (DONE, buffer, layout) or (FAILED, message, kind)"""
REPORT = "report"
"""(REPORT, key) -> (REPORTED, report)"""
ATTACHED, DONE, FAILED, REPORTED = "attached", "done", "failed", "reported"
OUT_OF_MEMORY = "out_of_memory"


@dataclass(frozen=True)
class BufferLayout:
    """Where the parts of one shared buffer lie (in elements of their own dtype)."""

    tokens: int
    rows: int
    width: int

    @property
    def nbytes(self) -> int:
        return 8 * (self.tokens + self.rows) + 4 * self.rows * max(1, self.width)

    def staging(self, buffer) -> np.ndarray:
        """The int64 part: ids, then row lengths."""
        return np.ndarray((self.tokens + self.rows,), dtype=np.int64, buffer=buffer)

    def outputs(self, buffer) -> np.ndarray:
        """The float32 part: one row of ``width`` values per batch row."""
        return np.ndarray(
            (self.rows, max(1, self.width)), dtype=np.float32, buffer=buffer, offset=8 * (self.tokens + self.rows)
        )


DEVICE_KINDS = {
    "probabilities": "probabilities",
    "label": "probabilities",
    "logits": "logits",
    "score": "logits",
    "embedding": "embedding",
    "loss": "loss",
}
"""Which tensor the device gives for each requested output (a label comes from the probabilities)."""


def device_layout(infos) -> list[tuple[str, str, int, int]]:
    """(model, device kind, first column, width) of every tensor a batch gives back, in a fixed order."""
    layout = []
    column = 0
    for info in infos:
        for kind in sorted({DEVICE_KINDS[o] for o in info.outputs if o in DEVICE_KINDS}):
            width = int(np.prod(info.widths.get(kind, ()), dtype=np.int64)) if info.widths.get(kind) else 1
            layout.append((info.name, kind, column, width))
            column += width
    return layout
