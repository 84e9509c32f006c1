"""Token counts from a tokenizer, counted once per shard and kept on disk.

When a mixture names a tokenizer instead of a token column, every document of every input shard must be
tokenised, which costs far more than reading metadata. The counts of a shard are stored as one ``.npy``
file keyed by the tokenizer's identity (the SHA-256 of its ``tokenizer.json``, or its name) and by the
shard's fingerprint, so rerunning a mixture, or planning another one over the same inputs, reads them back.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

from curation.classify.tokens import WORDS, TokenCounter

DEFAULT_CACHE_ENV = "XDG_CACHE_HOME"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/curation/token-counts`` (``~/.cache/...`` when the variable is unset)."""
    root = os.environ.get(DEFAULT_CACHE_ENV) or str(Path.home() / ".cache")
    return Path(root) / "curation" / "token-counts"


def tokenizer_identity(tokenizer: str) -> str:
    """A short key that changes whenever the tokenizer's vocabulary or rules change."""
    if tokenizer == WORDS:
        return WORDS
    path = Path(tokenizer).expanduser()
    file = path / "tokenizer.json" if path.is_dir() else path
    if file.is_file():
        return "sha256-" + hashlib.sha256(file.read_bytes()).hexdigest()[:24]
    return "hub-" + hashlib.sha256(tokenizer.encode()).hexdigest()[:24]


class TokenCountCache:
    """Per-shard token counts for one tokenizer: ``get`` returns cached counts or None; ``put`` stores them."""

    def __init__(self, tokenizer: str, cache_dir: str | None = None):
        self.tokenizer = tokenizer
        self.identity = tokenizer_identity(tokenizer)
        self.folder = (Path(cache_dir).expanduser() if cache_dir else default_cache_dir()) / self.identity
        self._counter: TokenCounter | None = None

    def path_for(self, shard_fingerprint: str) -> Path:
        return self.folder / f"{shard_fingerprint}.npy"

    def get(self, shard_fingerprint: str, documents: int | None) -> np.ndarray | None:
        """Cached counts, or None; ``documents`` (when known) guards against a cache of another shape."""
        path = self.path_for(shard_fingerprint)
        try:
            counts = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if counts.ndim != 1 or (documents is not None and len(counts) != documents):
            return None
        return counts

    def put(self, shard_fingerprint: str, counts: np.ndarray) -> None:
        """Store under a temporary name, then rename: a concurrent reader never sees half a file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path_for(shard_fingerprint)
        temp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:10]}")
        with temp.open("wb") as handle:
            np.save(handle, counts, allow_pickle=False)
        os.replace(temp, target)

    def count(self, texts: list[str]) -> np.ndarray:
        if self._counter is None:
            self._counter = TokenCounter(self.tokenizer)
        return np.asarray(self._counter.count(texts), dtype=np.int64)
