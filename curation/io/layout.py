"""The output directory's bookkeeping: staging, atomic commit of a shard, completion markers, recovery.

Layout of an output directory::

    <stem>.parquet                 curated shards (or routed: <domain>/<stem>.parquet)
    _markers/<stem>.done.json      completion marker: the shard's counts and output files
    _quarantine/<stem>.jsonl       quarantined records of that shard, if any
    summary.json                   the run's summary
    report.html                    the visual run report (``curation.report.html``)
    _work/...                      state of global stages (dedup); intermediate shards until the run completes
    .staging/<token>/...           work in progress; never read, removed on the next run

A shard is written entirely under ``.staging`` and then committed: a ``.pending.json`` journal lists the
files about to appear, the files are renamed into place, the marker is written (itself via a temporary
name), and the journal is removed. A crash at any point leaves either a committed shard or a journal the
next run uses to delete the half-moved files (and, when the shard was being redone, the files of
its previous commit), so output is never partial or duplicated.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import orjson
from datatrove.io import DataFolder

MARKERS_DIR = "_markers"
QUARANTINE_DIR = "_quarantine"
STAGING_DIR = ".staging"
WORK_DIR = "_work"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
DONE_SUFFIX = ".done.json"
PENDING_SUFFIX = ".pending.json"
RUN_OWN_NAMES = frozenset(
    name.casefold() for name in (MARKERS_DIR, QUARANTINE_DIR, STAGING_DIR, WORK_DIR, SUMMARY_FILE, REPORT_FILE)
)
"""Top-level names the run writes itself; no output file or routing folder may take one (compared casefolded,
as case-insensitive filesystems do)."""


class OutputLayout:
    """Paths and atomic operations on one output folder (local or any fsspec URL)."""

    def __init__(self, folder: DataFolder):
        self.folder = folder

    @staticmethod
    def marker_path(stem: str) -> str:
        return f"{MARKERS_DIR}/{stem}{DONE_SUFFIX}"

    @staticmethod
    def pending_path(stem: str) -> str:
        return f"{MARKERS_DIR}/{stem}{PENDING_SUFFIX}"

    @staticmethod
    def quarantine_path(stem: str) -> str:
        return f"{QUARANTINE_DIR}/{stem}.jsonl"

    def is_complete(self, stem: str) -> bool:
        return self.folder.exists(self.marker_path(stem))

    def read_marker(self, stem: str) -> dict[str, Any] | None:
        try:
            with self.folder.open(self.marker_path(stem), "rb") as handle:
                return orjson.loads(handle.read())
        except FileNotFoundError:
            return None

    def new_staging(self) -> str:
        """A fresh, private staging directory (relative to the output folder) for one shard attempt."""
        path = f"{STAGING_DIR}/{uuid.uuid4().hex}"
        self.folder.makedirs(path, exist_ok=True)
        return path

    def staging_folder(self, staging: str) -> DataFolder:
        return DataFolder(self.folder._join(staging), fs=self.folder.fs)

    def discard_staging(self, staging: str) -> None:
        if self.folder.exists(staging):
            self.folder.rm(staging, recursive=True)

    def write_json_atomically(self, path: str, payload: Any) -> None:
        """Write ``payload`` as JSON under a temporary name, then rename: readers never see half a file."""
        head, _, tail = path.rpartition("/")
        temp = f"{head}/.{tail}.tmp-{uuid.uuid4().hex[:10]}" if head else f".{tail}.tmp-{uuid.uuid4().hex[:10]}"
        with self.folder.open(temp, "wb") as handle:
            handle.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str))
        self.folder.mv(temp, path)

    def commit(self, stem: str, staging: str, files: Iterable[str], marker: dict[str, Any]) -> None:
        """Move a shard's staged files into place and mark it complete (see the module docstring)."""
        files = list(files)
        previous = self.read_marker(stem)
        # The journal also names the files of the commit being replaced (--force): once its marker is gone
        # they belong to no complete shard, and recovery must remove them with the half-moved new ones.
        replaced = previous.get("files", []) if previous else []
        self.write_json_atomically(self.pending_path(stem), {"stem": stem, "files": files, "replaced": replaced})
        if previous:
            self.folder.rm(self.marker_path(stem))  # a crash from here on must read as "not complete"
        for relative in files:
            target_parent = self.folder._parent(self.folder._join(relative))
            self.folder.fs.makedirs(target_parent, exist_ok=True)
            self.folder.mv(f"{staging}/{relative}", relative)
        if previous:
            for stale in set(previous.get("files", [])) - set(files):
                if self.folder.exists(stale):
                    self.folder.rm(stale)
        self.write_json_atomically(self.marker_path(stem), marker | {"files": files})
        self.folder.rm(self.pending_path(stem))
        self.discard_staging(staging)

    def recover(self) -> list[str]:
        """Undo half-committed shards of a crashed run and clear stale staging; return the stems undone."""
        undone: list[str] = []
        if self.folder.exists(MARKERS_DIR):
            for path in self.folder.find(MARKERS_DIR):
                if not path.endswith(PENDING_SUFFIX):
                    continue
                with self.folder.open(path, "rb") as handle:
                    journal = orjson.loads(handle.read())
                stem = journal["stem"]
                if not self.is_complete(stem):
                    for relative in {*journal.get("files", []), *journal.get("replaced", [])}:
                        if self.folder.exists(relative):
                            self.folder.rm(relative)
                    undone.append(stem)
                self.folder.rm(path)
        if self.folder.exists(STAGING_DIR):
            self.folder.rm(STAGING_DIR, recursive=True)
        return undone

    def discard_all_staging(self) -> None:
        """Remove every staging directory; only safe once no job of this output can still be running."""
        if self.folder.exists(STAGING_DIR):
            self.folder.rm(STAGING_DIR, recursive=True)

    def remove_empty_staging(self) -> None:
        """Tidy up after a run: the staging root goes once no shard attempt is using it."""
        if self.folder.exists(STAGING_DIR) and not self.folder.ls(STAGING_DIR):
            self.folder.rm(STAGING_DIR, recursive=True)

    def completed_stems(self) -> set[str]:
        """Stems of every shard with a completion marker."""
        if not self.folder.exists(MARKERS_DIR):
            return set()
        prefix = f"{MARKERS_DIR}/"
        return {
            path[len(prefix) : -len(DONE_SUFFIX)]
            for path in self.folder.find(MARKERS_DIR)
            if path.endswith(DONE_SUFFIX) and not path.rpartition("/")[2].startswith(".")
        }
