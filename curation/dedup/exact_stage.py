"""``exact_dedup``: remove documents whose normalised text equals another's (one copy per cluster stays)."""

from __future__ import annotations

from typing import Any

import numpy as np
from datatrove.io import DataFolder

from curation.dedup import storage
from curation.dedup.clusters import KeepPolicy
from curation.dedup.exact import DEFAULT_NORMALISATION, NORMALISATION_VERSION, check_normalisation, text_hashes
from curation.dedup.global_dedup import Action, ClusterDedupStage


class ExactDedup(ClusterDedupStage):
    """Exact duplicates under a configurable normalisation, found corpus-wide; the kept copy is chosen by policy."""

    name = "🫂 exact dedup"
    reason = "exact_duplicate"
    metadata_prefix = "exact_dedup"

    def __init__(
        self,
        normalisation: list[str] | None = None,
        partitions: int = 4,
        keep: KeepPolicy = "quality",
        quality_field: str = "quality_score",
        action: Action = "drop",
        index_path: str | None = None,
        removed_path: str | None = None,
        batch_size: int = 4096,
    ):
        """
        Args:
            normalisation: steps applied before hashing, in order (see ``curation.dedup.exact``); default
                ``[lowercase, collapse_whitespace]``; ``[]`` compares texts byte for byte.
            partitions: hash partitions, one global task each (more partitions, less memory per task).
            keep, quality_field, action, index_path, removed_path, batch_size: see ``ClusterDedupStage``.
        """
        super().__init__(keep, quality_field, action, index_path, removed_path, batch_size)
        self.normalisation = check_normalisation(DEFAULT_NORMALISATION if normalisation is None else normalisation)
        if partitions < 1:
            raise ValueError(f"partitions must be at least 1, got {partitions}")
        self._partitions = partitions

    @property
    def partitions(self) -> int:
        return self._partitions

    def index_params(self) -> dict[str, Any]:
        return {
            "normalisation": self.normalisation,
            "normalisation_version": NORMALISATION_VERSION,
            "partitions": self._partitions,
            "hash": "xxh3-128",
        }

    def _describe_run(self) -> str:
        return f"exact dedup on text normalised by {self.normalisation or 'nothing'}"

    def _new_state(self) -> dict[str, Any]:
        return {"hashes": []}

    def _collect_batch(self, texts: list[str], hints: list[Any], first_position: int, state: dict[str, Any]) -> None:
        state["hashes"].append(text_hashes(texts, self.normalisation))

    def _finish_collect(self, folder: DataFolder, stem: str, state: dict[str, Any], count: int) -> None:
        hashes = np.concatenate(state["hashes"]) if state["hashes"] else np.empty((0, 2), dtype=np.uint64)
        partition_of = hashes[:, 0] % np.uint64(self._partitions)
        for partition in range(self._partitions):
            positions = np.flatnonzero(partition_of == partition).astype(np.uint32)
            storage.save_arrays(
                folder, f"buckets/p{partition:03d}/{stem}.npz", positions=positions, hash=hashes[positions]
            )
