"""JSON shards (plain, gzip or zstd): JSON Lines, or one JSON array of objects, with a quarantine record for
every record that is not a usable document.

What real exports hold besides clean UTF-8 JSON Lines, and how each is read:

- a byte-order mark: a UTF-8 BOM before a line (Windows tools write one at the start of a file, and
  concatenated files carry it mid-stream) is ignored, as RFC 8259 allows; a UTF-16 or UTF-32 BOM (or BOM-less
  UTF-16, told by its NUL bytes) means the stream is transcoded to UTF-8 first, and byte offsets then count
  the transcoded stream;
- one JSON array (``[{...}, {...}]``, on one line or pretty-printed), as ``json.dump`` of a list writes it:
  its items are streamed one at a time with ijson (yajl), so memory stays bounded by one item and time is
  linear in the file's size. A file is read as an array when its first character is ``[``; anything after
  the array, or an item that cannot be parsed, quarantines the unread remainder;
- very long lines, or a file without any newline: lines are split in linear time (see
  ``curation.io.compression.iter_lines``).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator

import orjson

from curation.io.compression import (
    CorruptStreamError,
    TruncatedStreamError,
    codec_for_path,
    iter_decompressed,
    iter_lines,
)
from curation.io.jsontext import MAX_NESTING_DEPTH
from curation.io.quarantine import Quarantined, QuarantineReason, snippet_of
from curation.io.readers.base import Record, ShardReader, quarantine_unreadable

UTF8_BOM = codecs.BOM_UTF8
_WIDE_BOMS = (  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_JSON_WHITESPACE = b" \t\r\n"
ARRAY_ITEM_PREFIX = "item"
"""ijson's path of the items of a top-level array."""


class JsonlShardReader(ShardReader):
    """Read JSON Lines (one object per line) or one JSON array of objects; every record yields a document or
    a quarantine record.

    For JSON Lines, ``line`` is 1-based and ``byte_offset`` counts the decompressed stream; blank lines are not
    records. For a JSON array, ``row`` is the 0-based index of the item. A truncated or corrupt compressed
    stream quarantines its unreadable remainder and keeps every complete record before it.
    """

    name = "🐿 JSON Lines (quarantining)"

    def iter_records(self, filepath: str) -> Iterator[Record]:
        codec = codec_for_path(filepath)
        progress = _Progress()
        try:
            with self.data_folder.open(filepath, "rb") as raw:
                chunks = _as_utf8(iter_decompressed(raw, codec))
                first, chunks = _first_significant_byte(chunks)
                if first == ord("["):
                    yield from self._iter_array(chunks, filepath, progress)
                    return
                yield from self._iter_lines(chunks, filepath, progress)
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
                line=progress.lines + 1 if progress.items is None else None,
                row=progress.items,
                byte_offset=getattr(error, "remainder_offset", 0 if progress.items is None else None),
                snippet=snippet_of(getattr(error, "remainder_head", None)),
            )
            return
        except OSError as error:
            yield quarantine_unreadable(filepath, error, line=progress.lines + 1)
            return
        if progress.items is None and progress.lines == 0:
            yield Quarantined(filepath, QuarantineReason.EMPTY_FILE, "the file holds no lines")

    def _iter_lines(self, chunks: Iterator[bytes], filepath: str, progress: _Progress) -> Iterator[Record]:
        for line_number, (offset, line) in enumerate(iter_lines(chunks), start=1):
            progress.lines = line_number
            if not line.strip():
                continue
            yield self._parse_line(line, filepath, line_number, offset)

    def _iter_array(self, chunks: Iterator[bytes], filepath: str, progress: _Progress) -> Iterator[Record]:
        import ijson

        progress.items = 0
        stream = _ChunkStream(chunks)
        try:
            for index, item in enumerate(ijson.items(stream, ARRAY_ITEM_PREFIX, use_float=True)):
                progress.items = index + 1
                if isinstance(item, dict):
                    yield self.document_from_fields(item, filepath, f"[{index}]", row=index)
                else:
                    yield Quarantined(
                        filepath,
                        QuarantineReason.NOT_AN_OBJECT,
                        f"array item {index} is a JSON {_json_type(item)}, not an object",
                        row=index,
                        snippet=snippet_of(repr(item)),
                    )
        except ijson.JSONError as error:
            message = " ".join(str(error).split())
            invalid_utf8 = "invalid bytes in UTF8" in message
            yield Quarantined(
                filepath,
                QuarantineReason.INVALID_UTF8 if invalid_utf8 else QuarantineReason.MALFORMED_JSON,
                f"JSON array unreadable after item {progress.items} (within the first {stream.consumed} bytes): "
                f"{message}; the rest of the file is unreadable",
                row=progress.items,
            )
            return
        if progress.items == 0:
            yield Quarantined(filepath, QuarantineReason.EMPTY_FILE, "the file holds an empty JSON array")

    def _parse_line(self, line: bytes, filepath: str, line_number: int, offset: int) -> Record:
        if line.startswith(UTF8_BOM):
            line = line[len(UTF8_BOM) :]
        try:
            fields = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            fields = _parse_deep(line) if "depth limit" in str(error) else _UNPARSED
            if fields is _UNPARSED:
                return _bad_line(line, str(error), filepath, line_number, offset)
        if not isinstance(fields, dict):
            return Quarantined(
                filepath,
                QuarantineReason.NOT_AN_OBJECT,
                f"the line holds a JSON {_json_type(fields)}, not an object",
                line=line_number,
                byte_offset=offset,
                snippet=snippet_of(line),
            )
        deep = line.count(b"{") + line.count(b"[") > MAX_NESTING_DEPTH  # no walk for lines that cannot be deep
        return self.document_from_fields(
            fields, filepath, str(line_number), check_depth=deep, line=line_number, byte_offset=offset
        )


_UNPARSED = object()


def _parse_deep(line: bytes) -> object:
    """Parse a line nested deeper than orjson allows (1,024 levels) with ijson, which keeps no recursion."""
    import ijson

    try:
        values = list(ijson.items(line, "", use_float=True, multiple_values=True))
    except ijson.JSONError:
        return _UNPARSED
    return values[0] if len(values) == 1 else _UNPARSED


def _bad_line(line: bytes, error: str, filepath: str, line_number: int, offset: int) -> Quarantined:
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
        error,
        line=line_number,
        byte_offset=offset,
        snippet=snippet_of(line),
    )


class _Progress:
    """How far the reader got, for the position of a quarantine record when the stream fails."""

    __slots__ = ("items", "lines")

    def __init__(self) -> None:
        self.lines = 0
        self.items: int | None = None


def _json_type(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _peek(chunks: Iterator[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """The first non-empty chunk (``b""`` for an empty stream) and an iterator that still yields it."""
    for chunk in chunks:
        if chunk:
            return chunk, _chain(chunk, chunks)
    return b"", iter(())


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _as_utf8(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The stream as UTF-8: UTF-16/32 (with a BOM, or UTF-16 without one) is transcoded; anything else passes."""
    head, chunks = _peek(chunks)
    encoding = _wide_encoding(head)
    if encoding is None:
        return chunks
    return _transcode(chunks, encoding)


def _wide_encoding(head: bytes) -> str | None:
    for bom, encoding in _WIDE_BOMS:
        if head.startswith(bom):
            return encoding
    if len(head) >= 2 and head[0] in b"{[" and head[1] == 0:
        return "utf-16-le"
    if len(head) >= 2 and head[0] == 0 and head[1] in b"{[":
        return "utf-16-be"
    return None


def _transcode(chunks: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    produced = 0
    first = True
    try:
        for chunk in chunks:
            text = decoder.decode(chunk)
            if first and text:
                text, first = text.removeprefix("\ufeff"), False
            data = text.encode("utf-8", "surrogatepass")
            produced += len(data)
            yield data
        tail = decoder.decode(b"", final=True).encode("utf-8", "surrogatepass")
    except UnicodeDecodeError as error:
        raise CorruptStreamError(encoding, produced, f"{error.reason} (the file starts as {encoding})") from error
    if tail:
        yield tail


def _first_significant_byte(chunks: Iterator[bytes]) -> tuple[int | None, Iterator[bytes]]:
    """The first byte that is not JSON whitespace or a UTF-8 BOM (None if there is none), and the whole stream."""
    seen: list[bytes] = []
    for chunk in chunks:
        seen.append(chunk)
        stripped = chunk.removeprefix(UTF8_BOM) if len(seen) == 1 else chunk
        stripped = stripped.lstrip(_JSON_WHITESPACE)
        if stripped:
            restored = _chain_all(seen, chunks)
            return stripped[0], restored
    return None, iter(seen)


def _chain_all(seen: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from seen
    yield from rest


class _ChunkStream(io.RawIOBase):
    """A read-only file over a chunk iterator, for ijson; a leading UTF-8 BOM is dropped."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buffer = memoryview(b"")
        self._first = True
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            if self._first:
                chunk, self._first = chunk.removeprefix(UTF8_BOM), False
            self._buffer = memoryview(chunk)
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        self.consumed += size
        return size
