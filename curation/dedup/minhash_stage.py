"""``minhash_dedup``: near-duplicate removal with MinHash LSH, corpus-wide, with an optional persistent index."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from datatrove.data import Document
from datatrove.io import DataFolder

from curation.dedup import kernels, storage
from curation.dedup.clusters import KeepPolicy, node_positions, node_sources
from curation.dedup.global_dedup import Action, ClusterDedupStage
from curation.dedup.index import Source
from curation.dedup.lsh import Banding, band_keys, banding_for_threshold
from curation.dedup.scripts import script_hint
from curation.dedup.shingles import ShingleKind
from curation.dedup.signatures import MinHasher, Scheme

Verify = Literal["none", "signature", "exact"]


class MinHashDedup(ClusterDedupStage):
    """Near duplicates by MinHash LSH: bands give candidate pairs, components give clusters, one doc is kept."""

    name = "🫂 minhash dedup"
    reason = "near_duplicate"
    metadata_prefix = "minhash_dedup"

    def __init__(
        self,
        threshold: float = 0.7,
        num_perm: int = 128,
        bands: int | None = None,
        rows: int | None = None,
        ngram: int = 5,
        shingle: ShingleKind = "auto",
        script_ngrams: dict[str, int] | None = None,
        language_field: str | None = "language",
        seed: int = 1,
        scheme: Scheme = "affine32",
        verify: Verify = "signature",
        band_partitions: int | None = None,
        keep: KeepPolicy = "quality",
        quality_field: str = "quality_score",
        action: Action = "drop",
        index_path: str | None = None,
        removed_path: str | None = None,
        batch_size: int = 4096,
    ):
        """
        Args:
            threshold: Jaccard similarity of shingle sets above which documents are duplicates: the bar for
                ``verify``, and what ``bands`` x ``rows`` are tuned to when not given (see
                ``candidate_threshold``).
            num_perm: signature length (permutations).
            bands, rows: the LSH layout (``bands * rows <= num_perm``); both or neither.
            ngram: shingle length, in words (``shingle: word`` or ``auto``) or characters (``shingle: char``).
            shingle: ``auto`` (the default): word shingles, except for documents in scripts written without
                spaces (Chinese, Japanese, Thai, Khmer, Lao, Burmese, Tibetan...), which get character
                shingles of their script's length (see ``curation.dedup.scripts``); ``word``: word shingles
                for every document (what indexes built before ``auto`` existed used); ``char``: ``ngram``
                code points of the lower-cased, whitespace-collapsed text.
            script_ngrams: ``auto`` only: shingle length in code points per script (ISO 15924 code, e.g.
                ``{Hani: 4, Thai: 10}``), overriding ``scripts.SCRIPT_NGRAMS``.
            language_field: ``auto`` only: metadata field holding the document's language (``language_id``
                writes ``language``, and ``language_script`` for GlotLID-style labels); when it names a
                language or script written without spaces, that script is used; otherwise (or when None)
                the document's characters decide.
            seed: permutation seed (datasketch's ``MinHash(seed=...)``).
            scheme: ``affine32`` (datasketch 2.0's default) or ``legacy`` (datasketch before 2.0).
            verify: check each candidate pair before clustering: ``signature`` (the default: Jaccard estimated
                from the full signatures, nearly free); ``exact`` (Jaccard of the shingle-hash sets, stored at
                collect: exact, costs about 4 bytes per shingle of disk); ``none`` (every pair sharing a band).
            band_partitions: bucket tasks (bands are split among them); default one per band.
            keep, quality_field, action, index_path, removed_path, batch_size: see ``ClusterDedupStage``.
        """
        super().__init__(keep, quality_field, action, index_path, removed_path, batch_size)
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if (bands is None) != (rows is None):
            raise ValueError("give both bands and rows, or neither (they are then chosen from threshold)")
        if bands is None or rows is None:
            bands, rows = banding_for_threshold(self.candidate_threshold(threshold, verify), num_perm)
        if bands * rows > num_perm:
            raise ValueError(f"bands x rows = {bands * rows} exceeds num_perm = {num_perm}")
        if verify not in ("none", "signature", "exact"):
            raise ValueError(f"unknown verify mode {verify!r}; use 'none', 'signature' or 'exact'")
        self.threshold = threshold
        self.verify = verify
        self.language_field = language_field
        self.hasher = MinHasher(
            num_perm=num_perm, seed=seed, ngram=ngram, shingle=shingle, scheme=scheme, script_ngrams=script_ngrams
        )
        self.banding = Banding(bands, rows, bands if band_partitions is None else band_partitions)

    @property
    def partitions(self) -> int:
        return self.banding.partitions

    @staticmethod
    def candidate_threshold(threshold: float, verify: str) -> float:
        """The similarity the LSH banding is tuned to.

        Without a check, the threshold itself. With one, 0.1 lower: the buckets then propose more candidates,
        so pairs just above the threshold are rarely missed (a 16 x 8 banding finds a pair at Jaccard 0.76
        only 85% of the time, 21 x 6 does 99% of the time), and the check discards the extra candidates.
        """
        target = threshold - 0.1 if verify != "none" else threshold
        return min(max(target, 0.05), 0.95)

    def describe(self) -> str:
        """The LSH layout, its implied threshold and candidate probabilities, and the shingling."""
        if self.hasher.shingle == "auto":
            shingling = f"{self.hasher.ngram}-word shingles (characters for scripts written without spaces)"
        else:
            shingling = f"{self.hasher.ngram}-{self.hasher.shingle} shingles"
        return (
            f"{self.banding.describe()}; {shingling}, scheme {self.hasher.scheme}, "
            f"verify {self.verify} at {self.threshold}"
        )

    def _describe_run(self) -> str:
        return self.describe()

    def index_params(self) -> dict[str, Any]:
        return {
            **self.hasher.describe(),
            "bands": self.banding.bands,
            "rows": self.banding.rows,
            "partitions": self.banding.partitions,
            "verify": self.verify,
        }

    # ---- collect -----------------------------------------------------------------------------------------

    def _new_state(self) -> dict[str, Any]:
        return {"signatures": [], "counts": [], "shingle_values": [], "shingle_offsets": []}

    def _key_hint(self, document: Document) -> str | None:
        """The script named by the document's language metadata (``auto`` shingles), or None."""
        if self.hasher.shingle != "auto" or not self.language_field:
            return None
        metadata = document.metadata
        return script_hint(metadata.get(self.language_field), metadata.get(f"{self.language_field}_script"))

    def _collect_batch(self, texts: list[str], hints: list[Any], first_position: int, state: dict[str, Any]) -> None:
        document_scripts = hints if self.hasher.shingle == "auto" else None
        signatures, counts = self.hasher.signatures(texts, document_scripts)
        state["signatures"].append(signatures)
        state["counts"].append(counts)
        if self.verify == "exact":
            values, offsets = self.hasher.shingle_sets(texts, document_scripts)
            state["shingle_values"].append(values)
            state["shingle_offsets"].append(offsets)

    def _finish_collect(self, folder: DataFolder, stem: str, state: dict[str, Any], count: int) -> None:
        num_perm = self.hasher.num_perm
        signatures = np.concatenate(state["signatures"]) if count else np.empty((0, num_perm), dtype=np.uint32)
        counts = np.concatenate(state["counts"]) if count else np.empty(0, dtype=np.int64)
        with_shingles = np.flatnonzero(counts > 0).astype(np.uint32)
        for partition in range(self.banding.partitions):
            bands = self.banding.partition_bands(partition)
            keys = band_keys(signatures[with_shingles], self.banding, bands)
            arrays = {f"band{band:04d}": keys[:, column] for column, band in enumerate(bands)}
            storage.save_arrays(folder, f"buckets/p{partition:03d}/{stem}.npz", positions=with_shingles, **arrays)
        storage.save_arrays(folder, f"signatures/{stem}.npz", signatures=signatures, shingle_counts=counts)
        if self.verify == "exact":
            values, offsets = _concatenate_sets(state["shingle_values"], state["shingle_offsets"])
            storage.save_arrays(folder, f"shingles/{stem}.npz", values=values, offsets=offsets)

    def _extra_index_files(self, source: Source) -> list[str]:
        files = [source.path("signatures", ".npz")]
        if self.verify == "exact":
            files.append(source.path("shingles", ".npz"))
        return files

    # ---- candidate checks --------------------------------------------------------------------------------

    def _verification_threshold(self) -> float:
        return self.threshold

    def _edge_similarity(self, edges: np.ndarray, sources: list[Source]) -> np.ndarray | None:
        if self.verify == "none" or len(edges) == 0:
            return None
        nodes, inverse = np.unique(edges.reshape(-1), return_inverse=True)
        left, right = inverse.reshape(-1, 2).T
        if self.verify == "signature":
            signatures = self._gather_signatures(nodes, sources)
            return (signatures[left] == signatures[right]).mean(axis=1)
        values, offsets = self._gather_shingle_sets(nodes, sources)
        similarity = np.empty(len(left), dtype=np.float64)
        kernels.pair_jaccard(values, offsets, left.astype(np.int64), right.astype(np.int64), similarity)
        return similarity

    def _gather_signatures(self, nodes: np.ndarray, sources: list[Source]) -> np.ndarray:
        gathered = np.empty((len(nodes), self.hasher.num_perm), dtype=np.uint32)
        slots, positions = node_sources(nodes), node_positions(nodes)
        for slot in np.unique(slots):
            rows = np.flatnonzero(slots == slot)
            source = sources[slot]
            gathered[rows] = storage.load_arrays(source.folder, source.path("signatures", ".npz"))["signatures"][
                positions[rows]
            ]
        return gathered

    def _gather_shingle_sets(self, nodes: np.ndarray, sources: list[Source]) -> tuple[np.ndarray, np.ndarray]:
        slots, positions = node_sources(nodes), node_positions(nodes)
        pieces: list[np.ndarray] = [np.empty(0, dtype=np.uint32)] * len(nodes)
        for slot in np.unique(slots):
            rows = np.flatnonzero(slots == slot)
            source = sources[slot]
            arrays = storage.load_arrays(source.folder, source.path("shingles", ".npz"))
            values, offsets = arrays["values"], arrays["offsets"]
            for row, position in zip(rows, positions[rows], strict=True):
                pieces[row] = values[offsets[position] : offsets[position + 1]]
        lengths = np.array([len(piece) for piece in pieces], dtype=np.int64)
        offsets = np.zeros(len(nodes) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return np.concatenate(pieces) if pieces else np.empty(0, dtype=np.uint32), offsets


def _concatenate_sets(values: list[np.ndarray], offsets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Join per-batch ``(values, offsets)`` into one, shifting each batch's offsets."""
    if not values:
        return np.empty(0, dtype=np.uint32), np.zeros(1, dtype=np.int64)
    shifted = [offsets[0]]
    base = offsets[0][-1]
    for batch_offsets in offsets[1:]:
        shifted.append(batch_offsets[1:] + base)
        base += batch_offsets[-1]
    return np.concatenate(values), np.concatenate(shifted)
