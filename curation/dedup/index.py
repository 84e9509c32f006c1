"""A persistent dedup index: the state of earlier runs, kept so later runs can dedup against it.

Each published run is a *generation*: each shard's document ids, bucket files (only the documents the run
kept) and, for MinHash, its signatures, laid out exactly as in a run's work folder under
``generations/<name>/<attempt>/``. ``index.json`` (the manifest) lists the published generations, where
each lives, and the parameters they were made with. A later run loads the bucket files of every generation
next to its own, so a new document that collides with an indexed one is found without reading any old shard.
Indexed documents are never dropped: they are published.

How a run uses the index, so that it never records documents that are not in a committed output and never
loses another run's generation:

1. before it reads the index, the run takes the index's lock (``index.lock``: which run, process, host and
   since when). A second run on the same index is refused with a message naming the holder. The lock is
   the run's until it publishes, across a crash and a rerun into the same output folder; a lock whose
   process is gone (checked on the same host) is taken over;
2. the run decides its duplicates against the generations it read, and commits its output;
3. only then it publishes: its state is copied into a fresh ``<attempt>`` folder nobody reads yet, and the
   manifest, re-read under the lock, gains (or has replaced) the run's entry, written under a temporary
   name and renamed over the old one, so a reader sees the old manifest or the new one, never a mixture.
   A publish is refused if generations the run did not dedup against appeared meanwhile (a lock taken over
   from a run that then came back): its output would duplicate theirs.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from datatrove.io import DataFolder, get_datafolder
from loguru import logger

from curation.dedup import storage
from curation.global_stage import GlobalStageError

MANIFEST = "index.json"
LOCK = "index.lock"
FORMAT_VERSION = 2
"""2: generation entries name their folder (``path``). Manifests of version 1 are read as well."""


class IndexMismatchError(GlobalStageError, ValueError):
    """The index was built with parameters that make its state incomparable with this stage's."""


class IndexLockedError(GlobalStageError):
    """Another run holds the index: it has read it and has not published yet."""


class IndexChangedError(GlobalStageError):
    """Generations the run did not dedup against were published while it ran: publishing would duplicate them."""


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

    # ---- reading ---------------------------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any] | None:
        if not self.folder.exists(MANIFEST):
            return None
        return storage.load_json(self.folder, MANIFEST)

    def generations(self) -> list[dict[str, Any]]:
        """The published generations, oldest first (empty for a new index)."""
        return list((self.manifest() or {}).get("generations", []))

    def check_compatible(self, stage: str, params: dict[str, Any], manifest: dict[str, Any] | None = None) -> None:
        """Raise ``IndexMismatchError`` unless the index is empty or was built by the same kind of stage with
        the same parameters."""
        manifest = self.manifest() if manifest is None else manifest
        if manifest is None:
            return
        if manifest.get("stage") != stage or manifest.get("params") != params:
            raise IndexMismatchError(
                f"the dedup index at {self.path} was built by {manifest.get('stage')!r} with "
                f"{manifest.get('params')}, but this stage is {stage!r} with {params}; "
                "use the same parameters, or a new index_path"
            )

    @staticmethod
    def generation_prefix(entry: dict[str, Any]) -> str:
        """The folder (relative to the index) of a manifest entry's state."""
        return entry.get("path") or f"generations/{entry['name']}/"

    def sources(self, exclude_generation: str | None = None) -> list[Source]:
        """Every indexed shard, oldest generation first (a run's own earlier publish excluded)."""
        found = []
        for entry in self.generations():
            if entry["name"] == exclude_generation:
                continue
            prefix = self.generation_prefix(entry)
            for stem in entry["stems"]:
                found.append(Source(self.folder, prefix, stem, f"index:{entry['name']}/{stem}", True))
        return found

    # ---- the lock --------------------------------------------------------------------------------------------

    def lock_holder(self) -> dict[str, Any] | None:
        """Who holds the lock (``owner``, ``host``, ``pid``, ``since``), or None."""
        try:
            return storage.load_json(self.folder, LOCK)
        except (FileNotFoundError, ValueError):
            return None

    def acquire(self, owner: str) -> None:
        """Take the lock for the run identified by ``owner`` (its work folder).

        Taking it again under the same owner is allowed: the same run in a worker process, or its rerun after
        a crash. A lock held by a process that no longer exists on this host is taken over. Raises
        ``IndexLockedError`` naming the holder otherwise.
        """
        record = _lock_record(owner)
        for _ in range(5):
            if storage.create_exclusive(self.folder, LOCK, record):
                return
            held = self.lock_holder()
            if held is None:
                time.sleep(0.05)  # released, or being written on a store without atomic creation: look again
                continue
            if held.get("owner") == owner:
                storage.write_bytes(self.folder, LOCK, record, durable=True)
                return
            if not _holder_alive(held):
                logger.warning(
                    f"dedup index {self.path}: taking over the lock of a run that is gone ({_describe(held)})"
                )
                self._break(held)
                continue
            raise IndexLockedError(
                f"the dedup index at {self.path} is in use by {_describe(held)}: that run has read the index and "
                "not yet published to it. Wait for it to finish (or rerun it into the same output folder to "
                f"complete it); if it was abandoned on another machine, delete {self.path.rstrip('/')}/{LOCK}"
            )
        raise IndexLockedError(f"could not take the lock of the dedup index at {self.path}: it keeps changing hands")

    def holds_lock(self, owner: str) -> bool:
        held = self.lock_holder()
        return held is not None and held.get("owner") == owner

    def release(self, owner: str) -> None:
        """Give the lock back if ``owner`` holds it."""
        if self.holds_lock(owner):
            self.folder.rm(LOCK)

    def _break(self, held: dict[str, Any]) -> None:
        """Remove a dead holder's lock, unless someone replaced it since it was read (then put that back)."""
        aside = f"{LOCK}.stale-{uuid.uuid4().hex[:12]}"
        try:
            self.folder.mv(LOCK, aside)
        except FileNotFoundError:
            return
        moved = storage.load_json(self.folder, aside)
        if moved != held:
            storage.create_exclusive(self.folder, LOCK, storage.read_bytes(self.folder, aside))
        self.folder.rm(aside)

    # ---- publishing --------------------------------------------------------------------------------------------

    def publish(
        self,
        owner: str,
        entry: dict[str, Any],
        stage: str,
        params: dict[str, Any],
        deduplicated_against: list[str],
    ) -> None:
        """Record ``entry`` (``name``, ``path``, ``stems``, ``documents``) as a published generation.

        Under the lock, which it takes if needed (same owner) and releases at the end. An entry of the same
        name is replaced (a run redone with ``--force``) and its old folder removed; the same entry twice is a
        no-op. Raises ``IndexChangedError`` when the manifest lists a generation that is neither the run's own
        nor in ``deduplicated_against``.
        """
        self.acquire(owner)
        manifest = self.manifest() or {"format": FORMAT_VERSION, "stage": stage, "params": params, "generations": []}
        self.check_compatible(stage, params, manifest)
        known = set(deduplicated_against) | {entry["name"]}
        unseen = [g["name"] for g in manifest["generations"] if g["name"] not in known]
        if unseen:
            raise IndexChangedError(
                f"the dedup index at {self.path} gained generation(s) {', '.join(unseen)} after this run "
                "deduplicated against it, so its output may repeat their documents; it was not published. Run "
                "it again with --force (it then deduplicates against them), or use another index_path"
            )
        previous = next((g for g in manifest["generations"] if g["name"] == entry["name"]), None)
        if previous is None or self.generation_prefix(previous) != entry["path"]:
            record = {**entry, "run": owner, "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            manifest["generations"] = [g for g in manifest["generations"] if g["name"] != entry["name"]] + [record]
            manifest["format"] = FORMAT_VERSION
            storage.save_json(self.folder, MANIFEST, manifest, durable=True)
            old_folder = self.generation_prefix(previous) if previous is not None else None
            if old_folder and not entry["path"].startswith(old_folder) and self.folder.exists(old_folder):
                self.folder.rm(old_folder, recursive=True)  # the manifest no longer leads any reader there
        self.release(owner)

    def is_published(self, name: str, path: str | None = None) -> bool:
        """Whether generation ``name`` is in the manifest (at ``path``, when given)."""
        for entry in self.generations():
            if entry["name"] == name:
                return path is None or self.generation_prefix(entry) == path
        return False


def _lock_record(owner: str) -> bytes:
    import json

    pid = os.getpid()
    record = {
        "owner": owner,
        "host": socket.gethostname(),
        "pid": pid,
        "process_start": _process_start(pid),
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return json.dumps(record, indent=1, sort_keys=True).encode()


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (Linux clock ticks since boot), to tell a reused pid apart; None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()
    except (OSError, IndexError):
        return None


def _holder_alive(held: dict[str, Any]) -> bool:
    """False only when the holder's process is provably gone: on this host, and no such process (or a new one
    with its pid). A holder on another host is assumed alive."""
    if held.get("host") != socket.gethostname():
        return True
    pid = held.get("pid")
    if not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = held.get("process_start")
    return started is None or _process_start(pid) in (None, started)


def _describe(held: dict[str, Any]) -> str:
    return (
        f"the run with work folder {held.get('owner')} (process {held.get('pid')} on {held.get('host')}, "
        f"since {held.get('since')})"
    )
