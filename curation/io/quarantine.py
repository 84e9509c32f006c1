"""Quarantine records: bad input that is set aside with where it came from and why, never silently lost.

A quarantine record stands for one unreadable input record (a JSON line, a Parquet row, a WARC record) or
for the unreadable remainder of a file. ``count`` says how many input records it stands for when that is
known (a Parquet file whose text column is missing stands for all its rows); otherwise it is 1, so the
counts of a run always reconcile: records in = kept + dropped + quarantined.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

SNIPPET_CHARS = 300


class QuarantineReason:
    """The reasons a reader sets a record aside; a closed vocabulary so summaries group cleanly."""

    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_a_json_object"
    INVALID_UTF8 = "invalid_utf8"
    TRUNCATED_STREAM = "truncated_stream"
    CORRUPT_STREAM = "corrupt_stream"
    MISSING_TEXT = "missing_text"
    NON_STRING_TEXT = "non_string_text"
    EMPTY_FILE = "empty_file"
    UNREADABLE_PARQUET = "unreadable_parquet"
    UNREADABLE_FILE = "unreadable_file"
    MALFORMED_WARC = "malformed_warc"
    UNDECODABLE_PAYLOAD = "undecodable_payload"
    UNSUPPORTED_CONTENT_ENCODING = "unsupported_content_encoding"
    CORRUPT_CONTENT_ENCODING = "corrupt_content_encoding"


@dataclass(slots=True)
class Quarantined:
    """One set-aside record: the source file, the position in it, the reason and a short snippet."""

    source_file: str
    reason: str
    detail: str = ""
    line: int | None = None
    byte_offset: int | None = None
    row: int | None = None
    record_id: str | None = None
    snippet: str | None = None
    count: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json_line(self) -> bytes:
        """Serialise without empty fields, so quarantine files stay readable by eye."""
        data = {key: value for key, value in asdict(self).items() if value not in (None, "", {})}
        return orjson.dumps(data) + b"\n"


def snippet_of(raw: bytes | str | None, limit: int = SNIPPET_CHARS) -> str | None:
    """Return a short, always-valid-UTF-8 excerpt of a bad record for the quarantine file."""
    if raw is None:
        return None
    text = raw.decode("utf-8", errors="backslashreplace") if isinstance(raw, bytes) else raw
    return text if len(text) <= limit else text[:limit] + "…"
