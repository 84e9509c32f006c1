"""A persistent dedup index: the state of earlier runs, kept so later runs can dedup against it.

After a run, each shard's document ids, bucket files (only documents the run kept) and, for MinHash, its
signatures are copied under ``generations/<name>/`` in the index folder, laid out exactly as in a run's work
folder; ``index.json`` lists the committed generations and the parameters they were made with. A later run
loads the bucket files of every generation next to its own, so a new document that collides with an indexed
one is found without reading any old shard. Indexed documents are never dropped: they are published.

One run at a time may commit to an index (the manifest update is a read-modify-rename).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from datatrove.io import DataFolder, get_datafolder

from curation.dedup import storage

MANIFEST = "index.json"
FORMAT_VERSION = 1


class IndexMismatchError(ValueError):
    """The index was built with parameters that make its state incomparable with this stage's."""


@dataclass(frozen=True)
class Source:
    """Where one shard's dedup state lives: this run's work folder or one generation of an index."""

    folder: DataFolder
    prefix: str
    stem: str
    label: str
    indexed: bool

    def path(self, kind: str, suffix: str, partition: int | None = None) -> str:
        middle = f"{kind}/p{partition:03d}" if partition is not None else kind
        return f"{self.prefix}{middle}/{self.stem}{suffix}"


class DedupIndex:
    """The index folder at ``path`` (any fsspec URL); cheap to create, reads lazily."""

    def __init__(self, path: str):
        self.path = path
        self.folder = get_datafolder(path)

    def manifest(self) -> dict[str, Any] | None:
        if not self.folder.exists(MANIFEST):
            return None
        return storage.load_json(self.folder, MANIFEST)

    def check_compatible(self, stage: str, params: dict[str, Any]) -> None:
        """Raise ``IndexMismatchError`` unless the index is empty or was built by the same kind of stage with
        the same parameters."""
        manifest = self.manifest()
        if manifest is None:
            return
        if manifest.get("stage") != stage or manifest.get("params") != params:
            raise IndexMismatchError(
                f"the dedup index at {self.path} was built by {manifest.get('stage')!r} with "
                f"{manifest.get('params')}, but this stage is {stage!r} with {params}; "
                "use the same parameters, or a new index_path"
            )

    def sources(self, exclude_generation: str | None = None) -> list[Source]:
        """Every indexed shard, oldest generation first (a run's own earlier commit excluded)."""
        manifest = self.manifest() or {"generations": []}
        found = []
        for generation in manifest["generations"]:
            if generation["name"] == exclude_generation:
                continue
            prefix = f"generations/{generation['name']}/"
            for stem in generation["stems"]:
                found.append(Source(self.folder, prefix, stem, f"index:{generation['name']}/{stem}", True))
        return found

    def generation_prefix(self, generation: str) -> str:
        return f"generations/{generation}/"

    def record_generation(
        self, generation: str, stems: list[str], documents: int, stage: str, params: dict[str, Any]
    ) -> None:
        """Add a fully copied generation to the manifest (idempotent: a generation is listed once)."""
        manifest = self.manifest() or {"format": FORMAT_VERSION, "stage": stage, "params": params, "generations": []}
        if any(entry["name"] == generation for entry in manifest["generations"]):
            return
        manifest["generations"].append(
            {
                "name": generation,
                "stems": stems,
                "documents": documents,
                "committed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )
        storage.save_json(self.folder, MANIFEST, manifest)
