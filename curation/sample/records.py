"""A generated record: the bytes of its shard line plus its ground-truth row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SOURCE = "sample"
SHARD_PATTERN = "part-{index:05d}.jsonl.gz"


def record_id(position: int) -> str:
    return f"sample-{position:06d}"


def shard_name(index: int) -> str:
    return SHARD_PATTERN.format(index=index)


@dataclass(frozen=True)
class Record:
    id: str | None
    shard: int
    line: int
    language: str | None
    domain: str | None
    quality: str | None
    text: str | None = None
    url: str | None = None
    exact_dup_of: str | None = None
    near_dup_of: str | None = None
    malformed: str | None = None
    raw: bytes | None = None
    """Exact line bytes for malformed records; well-formed records are serialised from their fields."""

    @property
    def is_junk(self) -> bool:
        return self.malformed is not None or self.quality != "good"

    def payload(self) -> dict[str, str]:
        """The JSON object of a well-formed line (also the starting point for malformed variants)."""
        if self.id is None or self.text is None or self.url is None:
            raise ValueError("payload needs id, text and url")
        return {"id": self.id, "text": self.text, "url": self.url, "source": SOURCE}

    def line_bytes(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.payload(), ensure_ascii=False).encode("utf-8")

    def truth(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "shard": shard_name(self.shard),
            "line": self.line,
            "language": self.language,
            "domain": self.domain,
            "quality": self.quality,
            "is_junk": self.is_junk,
            "exact_dup_of": self.exact_dup_of,
            "near_dup_of": self.near_dup_of,
            "malformed": self.malformed,
        }
