"""Streaming decompression that notices truncated streams.

Python's ``gzip`` module raises ``EOFError`` only after the partial last line is already lost, and
``zstandard``'s stream reader ends silently on a truncated frame. A curation run must quarantine the
unreadable remainder of a file with its byte offset instead, so decompression here is done chunk by chunk
with ``zlib``/``zstandard`` decompress objects, which say whether the final member/frame was complete.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import BinaryIO, Literal

try:  # ISA-L inflates gzip about 2.5x faster than zlib; same stream semantics, same errors
    from isal import isal_zlib as _gzip_codec
except ImportError:  # pragma: no cover - isal is a dependency, but keep working without it
    _gzip_codec = zlib

Codec = Literal["gzip", "zstd", "none"]

READ_CHUNK_BYTES = 1 << 20
REMAINDER_HEAD_BYTES = 200


class TruncatedStreamError(Exception):
    """The compressed stream ended before its last member or frame was complete."""

    def __init__(self, codec: str, decompressed_bytes: int):
        super().__init__(
            f"{codec} stream ended before the end-of-stream marker, after {decompressed_bytes} decompressed bytes"
        )
        self.codec = codec
        self.decompressed_bytes = decompressed_bytes


class CorruptStreamError(Exception):
    """The compressed stream holds bytes the codec cannot decode."""

    def __init__(self, codec: str, decompressed_bytes: int, detail: str):
        super().__init__(f"corrupt {codec} data after {decompressed_bytes} decompressed bytes: {detail}")
        self.codec = codec
        self.decompressed_bytes = decompressed_bytes


def codec_for_path(path: str) -> Codec:
    """Pick the codec from the file name, the way shard directories name their files."""
    lowered = path.lower()
    if lowered.endswith((".gz", ".gzip")):
        return "gzip"
    if lowered.endswith((".zst", ".zstd")):
        return "zstd"
    return "none"


def iter_decompressed(raw: BinaryIO, codec: Codec, chunk_bytes: int = READ_CHUNK_BYTES) -> Iterator[bytes]:
    """Yield decompressed chunks of ``raw``; raise ``TruncatedStreamError`` if the stream is cut short.

    Multi-member gzip files and multi-frame zstd files (both common for concatenated shards) are read whole.
    """
    if codec == "none":
        while chunk := raw.read(chunk_bytes):
            yield chunk
        return
    if codec == "gzip":
        yield from _iter_gzip(raw, chunk_bytes)
        return
    if codec == "zstd":
        yield from _iter_zstd(raw, chunk_bytes)
        return
    raise ValueError(f"unknown codec {codec!r}; allowed: gzip, zstd, none")


def _iter_gzip(raw: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    produced = 0
    decoder = _gzip_codec.decompressobj(wbits=zlib.MAX_WBITS | 16)
    member_has_data = False
    while True:
        chunk = raw.read(chunk_bytes)
        if not chunk:
            break
        while chunk:
            try:
                out = decoder.decompress(chunk)
            except (zlib.error, _gzip_codec.error) as error:
                raise CorruptStreamError("gzip", produced, str(error)) from error
            member_has_data = True
            if out:
                produced += len(out)
                yield out
            if decoder.eof:
                chunk = decoder.unused_data
                decoder = _gzip_codec.decompressobj(wbits=zlib.MAX_WBITS | 16)
                member_has_data = False
            else:
                chunk = b""
    if member_has_data and not decoder.eof:
        tail = decoder.flush()
        if tail:
            produced += len(tail)
            yield tail
        raise TruncatedStreamError("gzip", produced)


def _iter_zstd(raw: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    import zstandard

    produced = 0
    context = zstandard.ZstdDecompressor()
    decoder = context.decompressobj()
    frame_has_data = False
    while True:
        chunk = raw.read(chunk_bytes)
        if not chunk:
            break
        while chunk:
            try:
                out = decoder.decompress(chunk)
            except zstandard.ZstdError as error:
                raise CorruptStreamError("zstd", produced, str(error)) from error
            frame_has_data = True
            if out:
                produced += len(out)
                yield out
            if decoder.eof:
                chunk = decoder.unused_data
                decoder = context.decompressobj()
                frame_has_data = False
            else:
                chunk = b""
    if frame_has_data and not decoder.eof:
        raise TruncatedStreamError("zstd", produced)


def iter_lines(chunks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    """Split a chunk stream into lines, yielding ``(byte_offset, line_without_newline)``.

    Offsets count bytes of the decompressed stream, so a quarantine record can point at the exact spot.
    A final line without a trailing newline is still yielded. When ``chunks`` fails midway, every complete
    line before the failure has been yielded; the error is re-raised with ``remainder_offset`` (where the
    unreadable remainder starts) and ``remainder_head`` (its first bytes) attached.

    Time is linear in the stream's length whatever its line lengths: the unfinished line is kept as a list
    of chunks, each searched for a newline once, and joined only when its newline arrives. (Gluing it to
    every new chunk instead copies it again per chunk: a 2 GB file without a newline read in 1 MB chunks
    would copy about 2 TB.)
    """
    offset = 0
    pending: list[bytes] = []
    try:
        for chunk in chunks:
            start = 0
            end = chunk.find(b"\n")
            if end >= 0 and pending:
                pending.append(chunk[:end])
                line = b"".join(pending)
                pending.clear()
                yield offset, line
                offset += len(line) + 1
                start = end + 1
                end = chunk.find(b"\n", start)
            while end >= 0:
                yield offset, chunk[start:end]
                offset += end + 1 - start
                start = end + 1
                end = chunk.find(b"\n", start)
            if start < len(chunk):
                pending.append(chunk[start:] if start else chunk)
    except (TruncatedStreamError, CorruptStreamError) as error:
        error.remainder_offset = offset  # type: ignore[attr-defined]
        error.remainder_head = b"".join(pending)[:REMAINDER_HEAD_BYTES]  # type: ignore[attr-defined]
        raise
    if pending:
        yield offset, b"".join(pending)
