"""JSONL shards (plain, gzip or zstd) with a quarantine record for every line that is not a usable document."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from curation.io.compression import (
    CorruptStreamError,
    TruncatedStreamError,
    codec_for_path,
    iter_decompressed,
    iter_lines,
)
from curation.io.quarantine import Quarantined, QuarantineReason, snippet_of
from curation.io.readers.base import Record, ShardReader, quarantine_unreadable


class JsonlShardReader(ShardReader):
    """Read one JSON object per line; every line yields a document or a quarantine record.

    Line numbers are 1-based and byte offsets count the decompressed stream. Blank lines are not records.
    A truncated or corrupt compressed stream quarantines its unreadable remainder and keeps every complete
    line before it.
    """

    name = "🐿 JSONL (quarantining)"

    def iter_records(self, filepath: str) -> Iterator[Record]:
        codec = codec_for_path(filepath)
        line_number = 0
        try:
            with self.data_folder.open(filepath, "rb") as raw:
                for line_number, (offset, line) in enumerate(iter_lines(iter_decompressed(raw, codec)), start=1):
                    if not line.strip():
                        continue
                    yield self._parse_line(line, filepath, line_number, offset)
        except (TruncatedStreamError, CorruptStreamError) as error:
            reason = (
                QuarantineReason.TRUNCATED_STREAM
                if isinstance(error, TruncatedStreamError)
                else QuarantineReason.CORRUPT_STREAM
            )
            yield Quarantined(
                filepath,
                reason,
                f"{error}; the rest of the file is unreadable",
                line=line_number + 1,
                byte_offset=getattr(error, "remainder_offset", None),
                snippet=snippet_of(getattr(error, "remainder_head", None)),
            )
            return
        except OSError as error:
            yield quarantine_unreadable(filepath, error, line=line_number + 1)
            return
        if line_number == 0:
            yield Quarantined(filepath, QuarantineReason.EMPTY_FILE, "the file holds no lines")

    def _parse_line(self, line: bytes, filepath: str, line_number: int, offset: int) -> Record:
        try:
            fields = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as decode_error:
                return Quarantined(
                    filepath,
                    QuarantineReason.INVALID_UTF8,
                    f"invalid UTF-8 at byte {decode_error.start} of the line",
                    line=line_number,
                    byte_offset=offset,
                    snippet=snippet_of(line),
                )
            return Quarantined(
                filepath,
                QuarantineReason.MALFORMED_JSON,
                str(error),
                line=line_number,
                byte_offset=offset,
                snippet=snippet_of(line),
            )
        if not isinstance(fields, dict):
            return Quarantined(
                filepath,
                QuarantineReason.NOT_AN_OBJECT,
                f"the line holds a JSON {type(fields).__name__}, not an object",
                line=line_number,
                byte_offset=offset,
                snippet=snippet_of(line),
            )
        return self.document_from_fields(fields, filepath, str(line_number), line=line_number, byte_offset=offset)
