"""The request cache: one SQLite file that remembers every request sent and every answer received.

A row is keyed on (source id, template id, template version, rollout, payload hash), where the payload is
what decides an answer: model, sampling parameters and the messages as sent. A changed template, model,
seed or sampling parameter therefore makes a new key, and an unchanged one finds its answer.

Each request goes through the cache twice, each time in its own committed transaction:

1. ``claim`` before it is sent: the row becomes ``pending`` and its ``sends`` count goes up (and, with a
   budget, the file-wide count of sends is checked and raised in the same transaction);
2. ``answer`` (or ``fail``) when it is settled: the completion is stored and the row becomes ``answered``.

SQLite runs in write-ahead-log mode with ``synchronous=NORMAL``: a commit is durable once the call
returns, against a killed process (a power cut may lose the last commits, never corrupt the file). So a
run killed at any moment and started again finds every answer it received; the requests it finds still
``pending`` were in flight at the kill (sent, answer never received) and are the only ones sent again.
Several worker processes may share the file: writers take turns (``busy_timeout``).

SQLite needs a local file system; for output on an object store, give the cache a local path.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import orjson

from curation.synth.backends.base import Completion

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    source_id TEXT NOT NULL,
    template_id TEXT NOT NULL,
    template_version TEXT NOT NULL,
    rollout INTEGER NOT NULL,
    payload_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'answered', 'failed')),
    sends INTEGER NOT NULL DEFAULT 0,
    response BLOB,
    failure TEXT,
    detail TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (source_id, template_id, template_version, rollout, payload_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, value) VALUES ('sends', 0);
"""
BUSY_TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class RequestKey:
    """What identifies one request: its source, template (id and version), rollout and payload hash."""

    source_id: str
    template_id: str
    template_version: str
    rollout: int
    payload_hash: str

    def as_tuple(self) -> tuple[str, str, str, int, str]:
        return (self.source_id, self.template_id, self.template_version, self.rollout, self.payload_hash)


@dataclass(frozen=True)
class CacheEntry:
    """A stored row: ``state`` pending / answered / failed, with the answer or the failure reason."""

    state: str
    sends: int
    completion: Completion | None
    failure: str | None
    detail: str | None


class Claim(Enum):
    """The outcome of ``claim``: sent for the first time, sent again after an interruption, or refused."""

    FIRST = "first"
    AFTER_INTERRUPTION = "after_interruption"
    RETRY_OF_FAILED = "retry_of_failed"
    OVER_BUDGET = "over_budget"


class RequestCache:
    """The cache file at ``path`` (created with its folder when missing).

    ``max_sends``: a budget for the whole file; once this many requests have been sent (by any run or
    process), ``claim`` refuses further ones, which callers count as skipped.
    """

    def __init__(self, path: str | Path, max_sends: int | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_sends = max_sends
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self._connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.executescript(SCHEMA)

    def __getstate__(self):
        raise TypeError("a RequestCache holds an open SQLite connection; pass its path to other processes")

    def lookup(self, key: RequestKey) -> CacheEntry | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT state, sends, response, failure, detail FROM requests WHERE source_id=? AND template_id=? "
                "AND template_version=? AND rollout=? AND payload_hash=?",
                key.as_tuple(),
            ).fetchone()
        if row is None:
            return None
        state, sends, response, failure, detail = row
        completion = Completion.from_dict(orjson.loads(response)) if response is not None else None
        return CacheEntry(state, sends, completion, failure, detail)

    def claim(self, key: RequestKey) -> Claim:
        """Record that ``key`` is about to be sent (committed before this returns)."""
        now = time.time()
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                if self.max_sends is not None:
                    (sent,) = connection.execute("SELECT value FROM counters WHERE name='sends'").fetchone()
                    if sent >= self.max_sends:
                        connection.execute("ROLLBACK")
                        return Claim.OVER_BUDGET
                row = connection.execute(
                    "SELECT state FROM requests WHERE source_id=? AND template_id=? AND template_version=? "
                    "AND rollout=? AND payload_hash=?",
                    key.as_tuple(),
                ).fetchone()
                if row is None:
                    connection.execute(
                        "INSERT INTO requests (source_id, template_id, template_version, rollout, payload_hash, "
                        "state, sends, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 1, ?)",
                        (*key.as_tuple(), now),
                    )
                    claim = Claim.FIRST
                else:
                    if row[0] == "answered":
                        raise RuntimeError(f"request {key} is already answered; it must not be sent again")
                    connection.execute(
                        "UPDATE requests SET state='pending', sends=sends+1, updated_at=? WHERE source_id=? "
                        "AND template_id=? AND template_version=? AND rollout=? AND payload_hash=?",
                        (now, *key.as_tuple()),
                    )
                    claim = Claim.AFTER_INTERRUPTION if row[0] == "pending" else Claim.RETRY_OF_FAILED
                connection.execute("UPDATE counters SET value=value+1 WHERE name='sends'")
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return claim

    def answer(self, key: RequestKey, completion: Completion) -> None:
        """Store the answer of a claimed request (committed before this returns)."""
        self._settle(key, "answered", orjson.dumps(completion.to_dict()), None, None)

    def fail(self, key: RequestKey, reason: str, detail: str) -> None:
        """Record that a claimed request failed for good in this run (a later run may send it again)."""
        self._settle(key, "failed", None, reason, detail[:2000])

    def _settle(self, key: RequestKey, state: str, response: bytes | None, failure: str | None, detail: str | None):
        with self._lock:
            self._connection.execute(
                "UPDATE requests SET state=?, response=?, failure=?, detail=?, updated_at=? WHERE source_id=? "
                "AND template_id=? AND template_version=? AND rollout=? AND payload_hash=?",
                (state, response, failure, detail, time.time(), *key.as_tuple()),
            )

    def counts(self) -> dict[str, int]:
        """Rows by state, total sends, and sends beyond the first (resends of interrupted or failed requests)."""
        with self._lock:
            states = Counter(dict(self._connection.execute("SELECT state, COUNT(*) FROM requests GROUP BY state")))
            sends, resent = self._connection.execute(
                "SELECT COALESCE(SUM(sends), 0), COALESCE(SUM(MAX(sends - 1, 0)), 0) FROM requests"
            ).fetchone()
        return {
            "answered": states.get("answered", 0),
            "failed": states.get("failed", 0),
            "pending": states.get("pending", 0),
            "sends": int(sends),
            "sends_beyond_first": int(resent),
        }

    def close(self) -> None:
        with self._lock:
            self._connection.close()
