"""Split a WARC file into records, telling every malformed stretch apart from the records around it.

fastwarc and warcio both trust each record's ``Content-Length`` and stop at, or silently step over, anything
else. On real archives that goes wrong in quiet ways (measured in ``tests/test_warc_framing.py``): a
``Content-Length`` that is too large swallows the following records into one "page" (a whole file read as one
record, counted as an ordinary skip), one that is too small cuts a page short and loses the rest of the file,
WARC headers with bare LF line ends read as a single record of unknown type, and a file that ends inside a
record's header loses that record without a word.

This framer reads the uncompressed stream itself and checks each record's frame:

- header lines may end in CRLF or a bare LF; blank lines between records are skipped, and a missing separator
  is tolerated when the next record starts right where the block ends;
- a block must be followed by the end of the file or by the next record's version line (after optional blank
  lines); otherwise the ``Content-Length`` is too small and the record is a ``FramingFault``;
- a block that contains the start of another record (a version line followed by a WARC header) swallowed that
  record, unless the block matches its ``WARC-Block-Digest`` (a WARC file legitimately stored inside a record);
  the swallowing record is a fault, and reading resumes at the embedded record;
- bytes that are not a record (between records or at the end) are one fault per stretch, with its offset;
- a record whose ``Content-Length`` is wrong is still read when its ``WARC-Block-Digest`` proves where its block
  really ends (the bytes up to the next record match the digest).

After a fault the framer resynchronises on the next line that looks like a record's version line, so one bad
record costs that record only. Offsets are those of the file: in a ``.warc.gz`` the offset of the gzip member
the record starts in (what CDX indexes record), with the offset inside the uncompressed stream beside it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

READ_SIZE = 1 << 16
MAX_HEADER_LINE = 1 << 16
"""A line longer than this is not a version or header line (it is binary data or a lost frame)."""
MAX_HEADER_BYTES = 1 << 20
"""A WARC header longer than this is not a header."""

_VERSION = re.compile(rb"WARC/\d+\.\d+\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_EMBEDDED_RECORD = re.compile(rb"\n(WARC/\d+\.\d+\r?\n(?:WARC-[A-Za-z-]+|Content-Length|Content-Type):)")


@dataclass(slots=True)
class RawRecord:
    """One framed record: its WARC headers (names lower-cased) and block, where it starts, what it announced."""

    offset: int
    uncompressed_offset: int
    headers: dict[str, str]
    block: bytes
    declared_length: int

    @property
    def truncated(self) -> bool:
        """The file ended before the block did (a clipped record or a cut-off file)."""
        return len(self.block) < self.declared_length


@dataclass(slots=True)
class FramingFault:
    """A stretch of the file that is not a well-framed record: where it starts and what is wrong."""

    offset: int
    uncompressed_offset: int
    detail: str
    record_id: str | None = None
    fatal: bool = field(default=False)
    """True when nothing after it can be read (a corrupt or cut compressed stream)."""


def iter_framed(raw: BinaryIO, compressed: bool) -> Iterator[RawRecord | FramingFault]:
    """Frame every record of a WARC stream (``compressed``: gzip, one or many members), in file order."""
    source = _GzipMembers(raw) if compressed else _Plain(raw)
    cursor = _Cursor(source)
    yield from _frame(cursor)
    if source.error:
        # the framer saw the end of the readable data; what follows cannot be read at all
        yield FramingFault(source.error_offset, cursor.position, source.error, fatal=True)


def _frame(cursor: _Cursor) -> Iterator[RawRecord | FramingFault]:
    while True:
        start = cursor.position
        line = cursor.readline()
        if not line:
            return
        if not line.strip():
            continue
        if not _VERSION.fullmatch(line):
            cursor.unread(line)
            yield _garbage(cursor, start)
            continue
        headers, problem = _read_headers(cursor)
        record_id = headers.get("warc-record-id")
        if problem:
            yield _fault(cursor, start, problem, record_id)
            _resynchronise(cursor)
            continue
        length = headers.get("content-length", "").strip()
        if not length.isdigit():
            detail = f"Content-Length {length!r} is not a byte count" if length else "no Content-Length header"
            yield _fault(cursor, start, f"{detail}: the record's end is unknown", record_id)
            _resynchronise(cursor)
            continue
        declared = int(length)
        block_start = cursor.position
        block = cursor.read(declared)
        record = RawRecord(cursor.origin(start), start, headers, block, declared)
        embedded = _embedded_record(block, headers)  # before the length check: a swallowing record runs long
        if embedded is None and record.truncated:
            yield record
            return
        if embedded is not None:
            cursor.unread(block[embedded:])
            proven = _digest_proven(block[:embedded], headers)
            if proven is not None:
                yield RawRecord(cursor.origin(start), start, headers, proven, len(proven))
                continue
            yield _fault(
                cursor,
                start,
                f"its Content-Length ({declared}) runs over the next record, which starts at uncompressed offset "
                f"{block_start + embedded}: the record's own end is unknown",
                record_id,
            )
            continue
        if not _followed_by_a_record(cursor, block, headers):
            proven = _digest_proven(block + _up_to_next_record(cursor), headers)
            if proven is not None:
                yield RawRecord(cursor.origin(start), start, headers, proven, len(proven))
                continue
            yield _fault(
                cursor,
                start,
                f"its block goes on past its Content-Length ({declared} bytes): the length is wrong",
                record_id,
            )
            _resynchronise(cursor)
            continue
        yield record


def _read_headers(cursor: _Cursor) -> tuple[dict[str, str], str | None]:
    raw, problem = cursor.read_header_block(MAX_HEADER_BYTES)
    headers: dict[str, str] = {}
    if problem:
        return headers, problem
    last = None
    for line in raw.decode("utf-8", "replace").split("\n"):
        text = line.rstrip("\r")
        if text[:1] in (" ", "\t") and last is not None:
            headers[last] += " " + text.strip()  # a folded continuation line
            continue
        name, colon, value = text.partition(":")
        name = name.strip()
        if not colon or not name or " " in name:
            return headers, f"header line {text[:80]!r} is not 'Name: value'"
        last = name.lower()
        headers[last] = value.strip()
    return headers, None


def _embedded_record(block: bytes, headers: dict[str, str]) -> int | None:
    """Where another record starts inside ``block``, if the block is not a WARC file stored on purpose."""
    match = _EMBEDDED_RECORD.search(block)
    if match is None:
        return None
    if _digest_matches(block, headers.get("warc-block-digest")):
        return None
    return match.start(1)


def _digest_proven(candidate: bytes, headers: dict[str, str]) -> bytes | None:
    """The block's true bytes when its ``Content-Length`` is wrong but its ``WARC-Block-Digest`` proves where it
    ends: ``candidate`` runs to the next record, less the blank lines that separate records."""
    for block in (candidate[:-4] if candidate.endswith(b"\r\n\r\n") else None, candidate.rstrip(b"\r\n")):
        if block is not None and _digest_matches(block, headers.get("warc-block-digest")):
            return block
    return None


def _up_to_next_record(cursor: _Cursor) -> bytes:
    """Consume and return everything up to the next version line (left unread) or the end of the file."""
    parts = []
    while True:
        line = cursor.readline(MAX_HEADER_LINE)
        if not line:
            break
        if _VERSION.fullmatch(line):
            cursor.unread(line)
            break
        parts.append(line)
    return b"".join(parts)


def _digest_matches(block: bytes, digest: str | None) -> bool:
    if not digest or ":" not in digest:
        return False
    algorithm, _, value = digest.partition(":")
    try:
        computed = hashlib.new(algorithm.strip().lower().replace("-", ""), block).digest()
    except ValueError:
        return False
    value = value.strip()
    return value.upper() == base64.b32encode(computed).decode() or value.lower() == computed.hex()


def _followed_by_a_record(cursor: _Cursor, block: bytes, headers: dict[str, str]) -> bool:
    """After a block: the end of the file, a version line (both left unread), or a blank separator line.

    Bytes that follow a separator but are no record are either stray bytes between records (the main loop
    reports them) or the rest of a block whose ``Content-Length`` is too small and happened to cut it at a
    blank line; the ``WARC-Block-Digest``, when there is one, tells which.
    """
    line = cursor.readline(MAX_HEADER_LINE)
    cursor.unread(line)
    if not line or _VERSION.fullmatch(line):
        return True
    if line.strip():
        return False
    digest = headers.get("warc-block-digest")
    if not digest:
        return True
    blank_lines = []
    while (line := cursor.readline(MAX_HEADER_LINE)) and not line.strip():
        blank_lines.append(line)
    cursor.unread(line)
    cursor.unread(b"".join(blank_lines))
    if not line or _VERSION.fullmatch(line):
        return True
    return _digest_matches(block, digest)


def _resynchronise(cursor: _Cursor) -> None:
    """Skip to the next line that looks like a record's version line (or the end of the file)."""
    while True:
        line = cursor.readline(MAX_HEADER_LINE)
        if not line:
            return
        if _VERSION.fullmatch(line):
            cursor.unread(line)
            return


def _garbage(cursor: _Cursor, start: int) -> FramingFault:
    _resynchronise(cursor)
    size = cursor.position - start
    where = "at the end of the file" if cursor.at_end() else f"before the record at {cursor.position}"
    return _fault(cursor, start, f"{size} bytes {where} are no WARC record (no 'WARC/x.y' version line)", None)


def _fault(cursor: _Cursor, start: int, detail: str, record_id: str | None) -> FramingFault:
    return FramingFault(cursor.origin(start), start, detail, record_id)


class _Plain:
    error: str | None = None
    error_offset = 0

    def __init__(self, raw: BinaryIO):
        self.raw = raw

    def read(self) -> bytes:
        return self.raw.read(READ_SIZE)

    def origin(self, position: int) -> int:
        return position


class _GzipMembers:
    """Inflate a gzip file member by member (ISA-L when installed), remembering where each member starts."""

    def __init__(self, raw: BinaryIO):
        try:
            from isal import isal_zlib as zlib
        except ImportError:  # pragma: no cover - isal is a dependency; zlib is the same API
            import zlib
        self.zlib = zlib
        self.raw = raw
        self.inflater = zlib.decompressobj(31)
        self.pending = b""
        self.compressed_read = 0
        self.member_compressed = [0]  # compressed offset where each member starts
        self.member_plain = [0]  # uncompressed offset where each member starts
        self.produced = 0
        self.done = False
        self.error: str | None = None
        self.error_offset = 0

    def read(self) -> bytes:
        while not self.done:
            if not self.pending:
                self.pending = self.raw.read(READ_SIZE)
                self.compressed_read += len(self.pending)
                if not self.pending:
                    # A file cut inside a member ends here too: the record it cuts is reported by the framer
                    # (a block shorter than its Content-Length, or a header without its end).
                    self.done = True
                    return b""
            data, self.pending = self.pending, b""
            try:
                out = self.inflater.decompress(data)
            except self.zlib.error as error:
                self.done = True
                self.error_offset = self.member_compressed[-1]
                self.error = f"corrupt gzip stream in the member at offset {self.error_offset}: {error}; the rest "
                self.error += "of the file is unreadable"
                return b""
            self.produced += len(out)
            if self.inflater.eof:
                rest = self.inflater.unused_data
                self.member_compressed.append(self.compressed_read - len(rest))
                self.member_plain.append(self.produced)
                self.inflater = self.zlib.decompressobj(31)
                self.pending = rest.lstrip(b"\x00")  # some writers pad between members
            if out:
                return out
        return b""

    def origin(self, position: int) -> int:
        index = bisect_right(self.member_plain, position) - 1
        # a member that ends exactly at ``position`` has no bytes of the record; step to the next one
        while index + 1 < len(self.member_plain) and self.member_plain[index + 1] <= position:
            index += 1
        return self.member_compressed[max(0, min(index, len(self.member_compressed) - 1))]


class _Cursor:
    """Lines and blocks over a byte source, with absolute positions and push-back."""

    def __init__(self, source: _Plain | _GzipMembers):
        self.source = source
        self.buffer = bytearray()
        self.start = 0  # absolute position of buffer[0]
        self.eof = False

    @property
    def position(self) -> int:
        return self.start

    def origin(self, position: int) -> int:
        return self.source.origin(position)

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.source.read()
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def readline(self, limit: int = MAX_HEADER_LINE) -> bytes:
        scanned = 0
        while True:
            end = self.buffer.find(b"\n", scanned, limit)
            if end >= 0:
                return self._take(end + 1)
            if len(self.buffer) >= limit:
                return self._take(limit)
            scanned = len(self.buffer)
            if not self._fill():
                return self._take(len(self.buffer))

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size and self._fill():
            pass
        return self._take(min(size, len(self.buffer)))

    def read_header_block(self, limit: int) -> tuple[bytes, str | None]:
        """The header lines up to the blank line that ends them (consumed, not returned), or a problem."""
        if self.buffer[:1] == b"\n" or self.buffer[:2] == b"\r\n":  # no header line at all
            self._take(1 if self.buffer[:1] == b"\n" else 2)
            return b"", None
        searched = 0
        while True:
            match = _HEADER_END.search(self.buffer, max(0, searched - 3), limit + 4)
            if match:
                block = self._take(match.start())
                self._take(match.end() - match.start())
                return block, None
            if len(self.buffer) > limit:
                return b"", f"a WARC header longer than {limit} bytes"
            searched = len(self.buffer)
            if not self._fill():
                self._take(len(self.buffer))
                return b"", "the file ends inside the record's header"

    def unread(self, data: bytes) -> None:
        self.buffer[:0] = data
        self.start -= len(data)

    def at_end(self) -> bool:
        return not self.buffer and not self._fill()

    def _take(self, size: int) -> bytes:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.start += size
        return data
