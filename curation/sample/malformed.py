"""Bad input lines, one kind per reason, written byte-for-byte into the shard stream.

Readers in a real pipeline meet truncated writes, mojibake and records from other schemas; these
lines let tests check that the reader skips (and counts) them instead of crashing or inventing text.
Every line is free of newline bytes, so it occupies exactly the line recorded in the ground truth.
"""

from __future__ import annotations

import json
import random

MALFORMED_REASONS = ("malformed_json", "invalid_utf8", "missing_text", "non_string_text")


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _broken_json(record: dict[str, str], rng: random.Random) -> bytes:
    full = json.dumps(record, ensure_ascii=False)
    variant = rng.randrange(3)
    if variant == 0:  # write cut off in the middle of the text field
        return full[: rng.randint(len(full) // 3, 2 * len(full) // 3)].encode("utf-8")
    if variant == 1:  # a Python dict repr instead of JSON (single-quoted keys)
        return repr(record).encode("utf-8")
    return full.replace('", "url"', '" "url"', 1).encode("utf-8")  # missing comma between fields


def _invalid_utf8(record: dict[str, str], rng: random.Random) -> bytes:
    """A record whose text was written as Latin-1 with a stray 0xFF byte: invalid UTF-8.

    Decoding with `errors="replace"` still yields valid JSON, so a lenient reader can recover the id.
    """
    head = _dumps({"id": record["id"]})[:-1] + b', "text": "'
    body = json.dumps(record["text"], ensure_ascii=False)[1:-1]
    spaces = [i for i, ch in enumerate(body) if ch == " " and body[i - 1] != "\\"]
    cut = rng.choice(spaces) if spaces else 0
    raw = body[:cut].encode("latin-1", "replace") + b"\xff\xfe" + body[cut:].encode("latin-1", "replace")
    tail = b'", ' + _dumps({"url": record["url"], "source": record["source"]})[1:]
    return head + raw + tail


def malformed_line(reason: str, record: dict[str, str], rng: random.Random) -> tuple[bytes, str | None]:
    """The raw line for `reason` built from a well-formed `record`, and the id a reader could recover."""
    if reason == "malformed_json":
        return _broken_json(record, rng), None
    if reason == "invalid_utf8":
        return _invalid_utf8(record, rng), record["id"]
    if reason == "missing_text":
        other = {
            "id": record["id"],
            "url": record["url"],
            "source": record["source"],
            "content": record["text"],
        }
        return _dumps(other), record["id"]
    if reason == "non_string_text":
        text = record["text"]
        value: object = rng.choice((len(text), text.split("\n\n"), {"body": text}, None))
        return _dumps({**record, "text": value}), record["id"]
    raise ValueError(f"unknown malformed reason {reason!r}")
