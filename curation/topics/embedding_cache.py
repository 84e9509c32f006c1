"""Embeddings kept on disk so that a second pass over the same documents does not run the encoder again.

A cache folder belongs to one encoder (``manifest.json`` holds its identity and dimension; another encoder
is refused). Entries are keyed by the text itself (xxh3-128 of its UTF-8 bytes), so a document keeps its
embedding whatever its id, shard or position. Each stream (one shard through ``topic_embed``) writes one
file, ``<key of its first document>.npz``, holding its keys (``(n, 2)`` uint64) and its embeddings
(``(n, d)`` float16); a later stream starting with the same document finds it, serves every document whose
key is in it, and embeds only the rest. Memory is one shard's entries at a time.

Files are written under a temporary name and renamed, so a killed run leaves whole files or none.
"""

from __future__ import annotations

import io
import json

import numpy as np
import xxhash
from datatrove.io import DataFolder, get_datafolder

from curation.dedup import storage

MANIFEST = "manifest.json"


class EmbeddingCacheError(ValueError):
    """A cache folder written by another encoder (or with another dimension)."""


def text_key(text: str) -> tuple[int, int]:
    """The cache key of a text: its xxh3-128 as two 64-bit halves."""
    digest = xxhash.xxh3_128_intdigest(text.encode("utf-8"))
    return digest >> 64, digest & 0xFFFFFFFFFFFFFFFF


class EmbeddingCache:
    """One encoder's float16 embeddings in ``folder`` (see the module docstring)."""

    def __init__(self, folder: str | DataFolder, encoder: dict[str, str | None], dimension: int):
        self.folder = get_datafolder(folder)
        self.encoder = encoder
        self.dimension = dimension
        self._checked = False

    def _check_manifest(self) -> None:
        if self._checked:
            return
        wanted = {"encoder_fingerprint": self.encoder["fingerprint"], "dimension": self.dimension}
        if self.folder.exists(MANIFEST):
            found = json.loads(storage.read_bytes(self.folder, MANIFEST))
            if {key: found.get(key) for key in wanted} != wanted:
                raise EmbeddingCacheError(
                    f"embedding cache {self.folder.path} holds embeddings of encoder "
                    f"{found.get('encoder_name')!r} ({found.get('dimension')} dimensions), not of "
                    f"{self.encoder['tag']!r} ({self.dimension}); use another cache_path for this encoder"
                )
        else:
            manifest = wanted | {"encoder_name": self.encoder["name"], "encoder_tag": self.encoder["tag"]}
            storage.write_bytes(self.folder, MANIFEST, json.dumps(manifest, indent=1).encode())
        self._checked = True

    @staticmethod
    def file_for(first_key: tuple[int, int]) -> str:
        return f"{first_key[0]:016x}{first_key[1]:016x}.npz"

    def lookup(self, first_key: tuple[int, int]) -> dict[tuple[int, int], np.ndarray]:
        """The entries of the stream that started with ``first_key``: key -> float16 vector (empty if none)."""
        self._check_manifest()
        path = self.file_for(first_key)
        if not self.folder.exists(path):
            return {}
        with np.load(io.BytesIO(storage.read_bytes(self.folder, path)), allow_pickle=False) as archive:
            keys, vectors = archive["keys"], archive["embeddings"]
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(keys) != len(vectors):
            return {}  # a damaged or foreign file: recompute rather than trust it
        return {(int(high), int(low)): vectors[row] for row, (high, low) in enumerate(keys)}

    def store(self, keys: list[tuple[int, int]], vectors: np.ndarray) -> None:
        """Save one stream's entries (its first key names the file)."""
        if not keys:
            return
        self._check_manifest()
        buffer = io.BytesIO()
        np.savez(buffer, keys=np.asarray(keys, dtype=np.uint64).reshape(-1, 2), embeddings=vectors.astype(np.float16))
        storage.write_bytes(self.folder, self.file_for(keys[0]), buffer.getvalue())
