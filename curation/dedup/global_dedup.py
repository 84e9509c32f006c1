"""The shared shape of our corpus-wide dedup stages: keys per shard, buckets per partition, clusters, apply.

A subclass decides what the bucket keys of a document are (a hash of its normalised text, or its MinHash
bands); everything else is here:

- ``collect`` (per shard): ``docs/<stem>.parquet`` (ids and quality scores) and one bucket file per key
  partition, ``buckets/pNNN/<stem>.npz`` (document positions and their keys);
- wave 1, one task per partition: documents with equal keys become edges, ``edges/pNNN.npz``;
- wave 2, one task: connected components of all edges are the clusters; a policy picks the document each
  keeps; ``decisions/<stem>.parquet`` lists, per shard, every clustered document, its cluster and the id of
  the kept one;
- ``apply`` (per shard): drops (or annotates) the duplicates, with a reason;
- with a persistent index, the run holds the index's lock from before it reads the index until it has
  published, and publishes only in the finalize waves, once every output shard is committed: each shard's
  state is copied into a fresh generation folder, then the manifest records the generation (see ``index``).
  A crash before that leaves the index as it was: no document of an uncommitted output is ever "seen".

Every task reads and writes files only, names its output deterministically and writes it atomically, so it
can be rerun after a crash and run on any worker that sees the folders (a Dask cluster included).
"""

from __future__ import annotations

import math
import uuid
from abc import abstractmethod
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder
from loguru import logger

from curation.dedup import storage
from curation.dedup.clusters import (
    KEEP_POLICIES,
    KeepPolicy,
    choose_keepers,
    components,
    equal_key_edges,
    make_nodes,
    node_positions,
    node_sources,
    unique_edges,
)
from curation.dedup.index import DedupIndex, Source
from curation.global_stage import GlobalStage, GlobalStageError, GlobalTask, ShardContext

Action = Literal["drop", "annotate"]
DONE_MARKER = "decisions/_done.json"


class ClusterDedupStage(GlobalStage):
    """Base class: subclasses define the keys (``_collect_batch``, ``_finish_collect``) and the reason names."""

    reason = "duplicate"
    """Drop reason for a duplicate of a document of this run (``dropped_<reason>`` in the stats)."""
    protected_suffix = "_of_index"
    """Added to ``reason`` when the kept copy is one that is never dropped (an indexed document)."""
    path_params: ClassVar[dict[str, str]] = {"index_path": "write", "removed_path": "write"}
    """Parameters naming folders this stage writes (see ``curation.recipe.paths``)."""
    metadata_prefix = "dedup"
    """Metadata keys this stage writes: ``<prefix>_cluster``, ``<prefix>_cluster_size``, ``<prefix>_duplicate_of``."""

    def __init__(
        self,
        keep: KeepPolicy = "quality",
        quality_field: str = "quality_score",
        action: Action = "drop",
        index_path: str | None = None,
        removed_path: str | None = None,
        batch_size: int = 4096,
    ):
        """
        Args:
            keep: which document a cluster keeps: ``quality`` (highest ``quality_field`` score, then smallest
                id), ``smallest_id``, or ``first`` (input order).
            quality_field: metadata field holding a quality score (a number); missing scores rank lowest.
            action: ``drop`` duplicates (with a reason), or ``annotate`` them and keep them.
            index_path: folder (any fsspec URL) of a persistent index: documents duplicating the indexed corpus
                are removed too, and this run's kept documents are added to it.
            removed_path: folder to which one JSONL file per shard lists the removed documents (id, reason,
                cluster, id of the kept document); the same records are always in the work folder.
            batch_size: documents hashed per call of the compiled code.
        """
        super().__init__()
        if keep not in KEEP_POLICIES:
            raise ValueError(f"unknown keep policy {keep!r}; use one of {', '.join(KEEP_POLICIES)}")
        if action not in ("drop", "annotate"):
            raise ValueError(f"unknown action {action!r}; use 'drop' or 'annotate'")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.keep = keep
        self.quality_field = quality_field
        self.action = action
        self.index_path = index_path
        self.removed_path = removed_path
        self.batch_size = batch_size

    # ---- what subclasses provide -------------------------------------------------------------------------

    @property
    @abstractmethod
    def partitions(self) -> int:
        """Number of bucket partitions (one wave-1 task each)."""

    @abstractmethod
    def index_params(self) -> dict[str, Any]:
        """Parameters that must match for two runs' keys to be comparable."""

    @abstractmethod
    def _new_state(self) -> dict[str, Any]:
        """Per-shard accumulator filled by ``_collect_batch``."""

    @abstractmethod
    def _collect_batch(self, texts: list[str], hints: list[Any], first_position: int, state: dict[str, Any]) -> None:
        """Compute the keys (and anything else) of a batch of documents (``hints``: ``_key_hint`` of each)."""

    def _key_hint(self, document: Document) -> Any:
        """What besides its text decides a document's keys (read from it as it passes); None by default."""
        return None

    @abstractmethod
    def _finish_collect(self, folder: DataFolder, stem: str, state: dict[str, Any], count: int) -> None:
        """Write the shard's bucket files (one per partition) and any extra state."""

    def _edge_similarity(self, edges: np.ndarray, sources: list[Source]) -> np.ndarray | None:
        """Optional check of candidate pairs: a similarity per edge, or None to accept all edges."""
        return None

    def _verification_threshold(self) -> float:
        return 0.0

    def _extra_index_files(self, source: Source) -> list[str]:
        """Paths (relative to a source) copied unchanged into the index besides docs and buckets."""
        return []

    def _describe_run(self) -> str:
        return type(self).__name__

    # ---- collect -----------------------------------------------------------------------------------------

    def collect(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        ids: list[str] = []
        quality: list[float] = []
        texts: list[str] = []
        hints: list[Any] = []
        state = self._new_state()
        for document in data:
            ids.append(str(document.id))
            quality.append(self._quality(document))
            texts.append(document.text)
            hints.append(self._key_hint(document))
            self.stat_update("collected")
            yield document
            if len(texts) >= self.batch_size:
                with self.track_time(unit="batch"):
                    self._collect_batch(texts, hints, len(ids) - len(texts), state)
                texts, hints = [], []
        if texts:
            with self.track_time(unit="batch"):
                self._collect_batch(texts, hints, len(ids) - len(texts), state)
        self._finish_collect(context.workdir, context.stem, state, len(ids))
        # the docs table is written last: its presence means the shard's whole state is there
        storage.save_table(
            context.workdir,
            f"docs/{context.stem}.parquet",
            {"id": pa.array(ids, pa.string()), "quality": pa.array(quality, pa.float64())},
        )

    def _quality(self, document: Document) -> float:
        value = document.metadata.get(self.quality_field)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return math.nan
        return float(value)

    # ---- global waves ------------------------------------------------------------------------------------

    def _index(self) -> DedupIndex | None:
        return DedupIndex(self.index_path) if self.index_path else None

    def generation_name(self, workdir: DataFolder, stems: list[str]) -> str:
        """Deterministic name of this run's index generation: rerunning the same run reuses it."""
        digest = xxhash.xxh3_64_hexdigest("\n".join([str(workdir.path), *stems]).encode())
        return f"g-{digest}"

    def index_owner(self, workdir: DataFolder) -> str:
        """How this run is named in the index lock: its stage work folder (one per output folder)."""
        return str(workdir.path)

    def global_waves(self, workdir: DataFolder, shard_stems: list[str]) -> list[list[GlobalTask]]:
        stems = sorted(shard_stems)
        missing = [stem for stem in stems if not workdir.exists(f"docs/{stem}.parquet")]
        if missing:
            raise RuntimeError(
                f"{type(self).__name__}: collect did not finish for {len(missing)} shard(s) "
                f"(first: {missing[0]!r}); rerun the collect phase for them"
            )
        index = self._index()
        indexed: list[list[str]] = []
        generations: list[str] = []
        generation = self.generation_name(workdir, stems)
        if index is not None:
            owner = self.index_owner(workdir)
            index.acquire(owner)  # held until this run publishes: nobody publishes what this run does not see
            try:
                index.check_compatible(type(self).__name__, self.index_params())
            except GlobalStageError:
                index.release(owner)
                raise
            indexed = [[s.prefix, s.stem] for s in index.sources(exclude_generation=generation)]
            generations = [entry["name"] for entry in index.generations() if entry["name"] != generation]
        logger.info(f"{self._describe_run()}; {len(stems)} shard(s), {len(indexed)} indexed shard(s)")
        params = {"stems": stems, "indexed": indexed, "generations": generations}
        return [
            [GlobalTask(f"buckets-p{p:03d}", {**params, "partition": p}) for p in range(self.partitions)],
            [GlobalTask("clusters", params)],
        ]

    def finalize_waves(self, workdir: DataFolder, shard_stems: list[str]) -> list[list[GlobalTask]]:
        """With an index: copy each shard's state into a new generation folder, then publish it (see ``index``).

        Nothing when the generation is already published (and the lock given back).
        """
        index = self._index()
        if index is None:
            return []
        stems = sorted(shard_stems)
        generation = self.generation_name(workdir, stems)
        done = storage.load_json(workdir, DONE_MARKER) if workdir.exists(DONE_MARKER) else {}
        attempt = done.get("attempt")
        if attempt is None:  # the work folder was cleared, or made by a version that published earlier
            if index.is_published(generation):
                return []
            raise GlobalStageError(
                f"{type(self).__name__}: cannot publish to the dedup index at {index.path}: the cluster decisions "
                f"are missing from {workdir.path}; run again with --force"
            )
        path = f"generations/{generation}/{attempt}/"
        commit = GlobalTask("index-commit", {"stems": stems, "generation": generation, "path": path})
        if index.is_published(generation, path):
            return [[commit]] if index.holds_lock(self.index_owner(workdir)) else []
        copies = [GlobalTask(f"index-copy-{stem}", {"stem": stem, "path": path}) for stem in stems]
        return [copies, [commit]]

    def _sources(self, workdir: DataFolder, params: dict[str, Any]) -> list[Source]:
        """This run's shards (in ``stems`` order) then the indexed ones; a node's source is its list position."""
        run = [Source(workdir, "", stem, stem, False) for stem in params["stems"]]
        index = self._index()
        if index is None:
            return run
        return run + [
            Source(index.folder, prefix, stem, f"index:{prefix.split('/')[1]}/{stem}", True)
            for prefix, stem in params["indexed"]
        ]

    def run_global_task(self, task: GlobalTask, workdir: DataFolder) -> None:
        if task.key.startswith("buckets-"):
            self._bucket_task(task.params, workdir)
        elif task.key == "clusters":
            self._cluster_task(task.params, workdir)
        elif task.key.startswith("index-copy-"):
            self._index_copy_task(task.params, workdir)
        elif task.key == "index-commit":
            self._index_commit_task(task.params, workdir)
        else:
            raise ValueError(f"{type(self).__name__} has no global task {task.key!r}")

    def _bucket_task(self, params: dict[str, Any], workdir: DataFolder) -> None:
        """Edges between documents sharing a key, one key column (band) at a time."""
        partition = params["partition"]
        sources = self._sources(workdir, params)
        run_sources = len(params["stems"])
        nodes: list[np.ndarray] = []
        keys: dict[str, list[np.ndarray]] = {}
        for slot, source in enumerate(sources):
            arrays = storage.load_arrays(source.folder, source.path("buckets", ".npz", partition))
            nodes.append(make_nodes(slot, arrays.pop("positions")))
            for name, values in arrays.items():
                keys.setdefault(name, []).append(values)
        all_nodes = np.concatenate(nodes) if nodes else np.empty(0, dtype=np.uint64)
        found = []
        for name in sorted(keys):
            column = np.concatenate(keys.pop(name))
            edges = equal_key_edges(column, all_nodes)
            del column
            # pairs of two indexed documents decide nothing: both are kept whatever happens
            touches_run = (node_sources(edges[:, 0]) < run_sources) | (node_sources(edges[:, 1]) < run_sources)
            found.append(edges[touches_run])
        edges = unique_edges(np.concatenate(found)) if found else np.empty((0, 2), dtype=np.uint64)
        storage.save_arrays(workdir, f"edges/p{partition:03d}.npz", edges=edges)

    def _cluster_task(self, params: dict[str, Any], workdir: DataFolder) -> None:
        sources = self._sources(workdir, params)
        parts = [storage.load_arrays(workdir, f"edges/p{p:03d}.npz")["edges"] for p in range(self.partitions)]
        edges = unique_edges(np.concatenate(parts))
        candidates = len(edges)
        similarity = self._edge_similarity(edges, sources)
        if similarity is not None:
            edges = edges[similarity >= self._verification_threshold()]
        clusters = components(edges)
        ids, quality = self._node_metadata(clusters.nodes, sources)
        slots = node_sources(clusters.nodes)
        protected = slots >= len(params["stems"])
        keeper = choose_keepers(clusters.labels, clusters.nodes, ids, quality, protected, self.keep)
        sizes = np.bincount(clusters.labels)[clusters.labels] if len(clusters.labels) else np.empty(0, np.int64)
        positions = node_positions(clusters.nodes)
        cluster_names = np.array(
            [f"{sources[s].label}:{p}" for s, p in zip(slots[keeper], positions[keeper], strict=True)], dtype=object
        )
        written = []
        for slot in np.unique(slots[slots < len(params["stems"])]):
            rows = np.flatnonzero(slots == slot)
            duplicate = keeper[rows] != rows
            storage.save_table(
                workdir,
                f"decisions/{sources[slot].stem}.parquet",
                {
                    "position": pa.array(positions[rows], pa.int64()),
                    "duplicate": pa.array(duplicate, pa.bool_()),
                    "cluster": pa.array(cluster_names[rows].tolist(), pa.string()),
                    "cluster_size": pa.array(sizes[rows], pa.int64()),
                    "kept_id": pa.array(ids[keeper[rows]].tolist(), pa.string()),
                    "kept_indexed": pa.array(protected[keeper[rows]], pa.bool_()),
                },
            )
            written.append(sources[slot].stem)
        summary = {
            "attempt": uuid.uuid4().hex[:16],  # names this decision's index generation folder
            "index_generations": params.get("generations", []),
            "stems_with_decisions": written,
            "candidate_pairs": candidates,
            "verified_pairs": len(edges),
            "clusters": clusters.count,
            "duplicates": int((keeper != np.arange(len(keeper))).sum()),
        }
        storage.save_json(workdir, DONE_MARKER, summary)
        logger.info(
            f"{type(self).__name__}: {candidates:,} candidate pairs, {len(edges):,} kept after checking, "
            f"{clusters.count:,} clusters, {summary['duplicates']:,} duplicates"
        )

    def _node_metadata(self, nodes: np.ndarray, sources: list[Source]) -> tuple[np.ndarray, np.ndarray]:
        """Document ids and quality scores of ``nodes``, reading each source's docs table once."""
        ids = np.empty(len(nodes), dtype=object)
        quality = np.full(len(nodes), np.nan)
        slots = node_sources(nodes)
        positions = node_positions(nodes)
        for slot in np.unique(slots):
            rows = np.flatnonzero(slots == slot)
            table = storage.load_table(sources[slot].folder, sources[slot].path("docs", ".parquet"))
            ids[rows] = np.asarray(table.column("id").to_pylist(), dtype=object)[positions[rows]]
            quality[rows] = table.column("quality").to_numpy(zero_copy_only=False)[positions[rows]]
        return ids, quality

    def _index_copy_task(self, params: dict[str, Any], workdir: DataFolder) -> None:
        """Copy one shard's state into the new generation folder; bucket rows of dropped documents are left out.

        Nothing reads that folder until the manifest names it, so a crash midway leaves the index unchanged.
        """
        index = self._index()
        assert index is not None
        stem = params["stem"]
        source = Source(workdir, "", stem, stem, False)
        target = Source(index.folder, params["path"], stem, stem, True)
        dropped = self._dropped_positions(workdir, stem)
        for partition in range(self.partitions):
            arrays = storage.load_arrays(workdir, source.path("buckets", ".npz", partition))
            keep = ~np.isin(arrays["positions"], dropped)
            storage.save_arrays(
                index.folder, target.path("buckets", ".npz", partition), **{k: v[keep] for k, v in arrays.items()}
            )
        for relative in self._extra_index_files(source):
            storage.write_bytes(index.folder, target.prefix + relative, storage.read_bytes(workdir, relative))
        storage.write_bytes(
            index.folder, target.path("docs", ".parquet"), storage.read_bytes(workdir, source.path("docs", ".parquet"))
        )

    def _index_commit_task(self, params: dict[str, Any], workdir: DataFolder) -> None:
        """Publish the generation: the manifest names it, under the lock, which is then given back."""
        index = self._index()
        assert index is not None
        documents = 0
        for stem in params["stems"]:
            total = storage.load_table(workdir, f"docs/{stem}.parquet", ["id"]).num_rows
            documents += total - len(self._dropped_positions(workdir, stem))
        done = storage.load_json(workdir, DONE_MARKER)
        entry = {"name": params["generation"], "path": params["path"], "stems": params["stems"], "documents": documents}
        index.publish(
            self.index_owner(workdir), entry, type(self).__name__, self.index_params(), done["index_generations"]
        )

    def _dropped_positions(self, workdir: DataFolder, stem: str) -> np.ndarray:
        decisions = self._decisions(workdir, stem)
        if decisions is None:
            return np.empty(0, dtype=np.int64)
        return np.asarray(decisions["position"])[np.asarray(decisions["duplicate"])]

    # ---- apply -------------------------------------------------------------------------------------------

    def _decisions(self, workdir: DataFolder, stem: str) -> dict[str, np.ndarray] | None:
        if not workdir.exists(DONE_MARKER):
            raise RuntimeError(
                f"{type(self).__name__}: no cluster decisions in {workdir.path}; the global phase has not "
                "finished (run the recipe again to complete it)"
            )
        done = storage.load_json(workdir, DONE_MARKER)
        if stem not in set(done["stems_with_decisions"]):
            return None
        table = storage.load_table(workdir, f"decisions/{stem}.parquet")
        return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}

    def apply(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        decisions = self._decisions(context.workdir, context.stem)
        expected_ids = storage.load_table(context.workdir, f"docs/{context.stem}.parquet", ["id"]).column("id")
        expected_ids = expected_ids.to_pylist()
        by_position: dict[int, int] = {}
        if decisions is not None:
            by_position = {int(position): row for row, position in enumerate(decisions["position"])}
        removed: list[dict[str, Any]] = []
        position = -1
        for position, document in enumerate(data):
            if position >= len(expected_ids) or str(document.id) != expected_ids[position]:
                raise RuntimeError(
                    f"{type(self).__name__}: shard {context.stem!r} changed between collect and apply (document "
                    f"{position} is {document.id!r}, collect saw "
                    f"{expected_ids[position] if position < len(expected_ids) else 'no document'!r})"
                )
            row = by_position.get(position)
            if row is None:
                yield document
                continue
            self._annotate(document, decisions, row)
            if not decisions["duplicate"][row]:
                self.stat_update("kept_cluster_representative")
                yield document
                continue
            reason = self.reason + (self.protected_suffix if decisions["kept_indexed"][row] else "")
            if self.action == "annotate":
                self.stat_update(f"annotated_{reason}")
                yield document
                continue
            self.stat_update(f"dropped_{reason}")
            removed.append(
                {
                    "id": str(document.id),
                    "reason": reason,
                    "cluster": str(decisions["cluster"][row]),
                    "duplicate_of": str(decisions["kept_id"][row]),
                }
            )
        if position + 1 != len(expected_ids):
            raise RuntimeError(
                f"{type(self).__name__}: shard {context.stem!r} had {len(expected_ids)} documents at collect "
                f"but {position + 1} at apply"
            )
        self._write_removed(context, removed)

    def _annotate(self, document: Document, decisions: dict[str, np.ndarray], row: int) -> None:
        document.metadata[f"{self.metadata_prefix}_cluster"] = str(decisions["cluster"][row])
        document.metadata[f"{self.metadata_prefix}_cluster_size"] = int(decisions["cluster_size"][row])
        if decisions["duplicate"][row]:
            document.metadata[f"{self.metadata_prefix}_duplicate_of"] = str(decisions["kept_id"][row])

    def _write_removed(self, context: ShardContext, removed: list[dict[str, Any]]) -> None:
        import orjson

        payload = b"".join(orjson.dumps(record) + b"\n" for record in removed)
        storage.write_bytes(context.workdir, f"removed/{context.stem}.jsonl", payload)
        if self.removed_path:
            from datatrove.io import get_datafolder

            storage.write_bytes(get_datafolder(self.removed_path), f"{context.stem}.jsonl", payload)
