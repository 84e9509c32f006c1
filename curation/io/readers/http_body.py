"""The HTTP layer of a WARC response: status line and headers, chunked transfer, content codings.

Crawlers store the body as the server sent it, so the reader undoes what the server applied, in the order
RFC 9110 gives: ``Content-Encoding: gzip, br`` means gzip was applied first and brotli second, so brotli is
undone first. Codings: ``gzip`` and ``x-gzip`` (ISA-L when installed, else zlib; several members are read
through), ``deflate`` (zlib-wrapped as the RFC says, or raw as some servers send it), ``br`` (Google's
``brotli``, or ``brotlicffi``), ``zstd`` (``zstandard``, frames read across), ``identity``. A coding named in
``Transfer-Encoding`` besides ``chunked`` is undone the same way.

Servers also label plain bytes as compressed (or send ``Content-Encoding: utf-8``): a body that does not
decode under its coding but starts like markup (``<`` after white space or a BOM) is kept as it is, as
browsers show it. Anything else raises ``ContentCodingError``, whose ``coding`` names the culprit, so the
record is set aside with a reason that says so instead of being blamed on the charset.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

SUPPORTED_CODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd", "identity")
MAX_STACKED_CODINGS = 8
"""More codings than this on one body is not a real server; it is refused rather than inflated again and again."""

_MARKUP_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*<")


class MalformedHttpError(ValueError):
    """The block of a response record is not an HTTP response."""


class ContentCodingError(ValueError):
    """A body that cannot be decoded: an unsupported coding (``supported`` False) or a corrupt stream."""

    def __init__(self, coding: str, message: str, *, supported: bool):
        super().__init__(message)
        self.coding = coding
        self.supported = supported


@dataclass(slots=True)
class HttpResponse:
    """A parsed response block: the headers a reader needs and the body as stored (still coded)."""

    status_line: str
    content_type: str
    content_encoding: str
    transfer_encoding: str
    body: bytes


def parse_response(block: bytes) -> HttpResponse:
    """Status line and headers of a response block (CRLF or bare LF line ends); raises ``MalformedHttpError``."""
    from warcio.statusandheaders import StatusAndHeadersParser, StatusAndHeadersParserException

    stream = io.BytesIO(block)
    first = block.lstrip(b"\r\n")[:5]
    if first != b"HTTP/":
        raise MalformedHttpError(f"the block does not start with an HTTP status line: {block[:40]!r}")
    try:
        head = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0"], verify=False).parse(stream)
    except (StatusAndHeadersParserException, ValueError, EOFError) as error:
        raise MalformedHttpError(f"unreadable HTTP header: {error}") from None
    return HttpResponse(
        status_line=f"{head.protocol} {head.statusline}".strip(),
        content_type=(head.get_header("Content-Type") or "").strip(),
        content_encoding=(head.get_header("Content-Encoding") or "").strip(),
        transfer_encoding=(head.get_header("Transfer-Encoding") or "").strip(),
        body=block[stream.tell() :],
    )


def parse_codings(value: str | None) -> list[str]:
    """``"gzip, br"`` → ``["gzip", "br"]`` (lower-cased, in the order applied; ``identity`` and blanks left out)."""
    if not value:
        return []
    return [token for token in (part.strip().lower() for part in value.split(",")) if token and token != "identity"]


def decode_body(body: bytes, content_encoding: str | None = None, transfer_encoding: str | None = None) -> bytes:
    """The body with chunked transfer and every content/transfer coding undone; raises ``ContentCodingError``."""
    transfer = parse_codings(transfer_encoding)
    if transfer and transfer[-1] == "chunked":
        body = _dechunk(body)
        transfer = transfer[:-1]
    codings = [*parse_codings(content_encoding), *transfer]
    if len(codings) > MAX_STACKED_CODINGS:
        raise ContentCodingError(
            codings[0], f"{len(codings)} stacked content codings ({', '.join(codings[:4])}, …)", supported=False
        )
    for coding in reversed(codings):
        body = decode_content(body, coding)
    return body


def decode_content(body: bytes, coding: str) -> bytes:
    """Undo one content coding; a mislabelled plain body that starts like markup is returned unchanged."""
    decoder = _DECODERS.get(coding)
    if decoder is None:
        if _looks_like_markup(body):
            return body
        raise ContentCodingError(
            coding,
            f"Content-Encoding {coding!r} is not supported (supported: {', '.join(SUPPORTED_CODINGS)})",
            supported=False,
        )
    try:
        return decoder(body)
    except Exception as error:  # zlib.error, brotli.error, zstandard.ZstdError, EOFError...
        if _looks_like_markup(body):
            return body
        raise ContentCodingError(
            coding, f"the body does not decode as {coding}: {type(error).__name__}: {error}", supported=True
        ) from None


def _looks_like_markup(body: bytes) -> bool:
    return _MARKUP_START.match(body[:1024]) is not None


def _zlib():
    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - isal is a dependency; zlib has the same API
        import zlib as isal_zlib
    return isal_zlib


def _gunzip(body: bytes) -> bytes:
    zlib = _zlib()
    parts = []
    data = body
    while data:
        inflater = zlib.decompressobj(31)
        parts.append(inflater.decompress(data))
        if not inflater.eof:
            raise EOFError("the gzip stream is cut off before its end")
        data = inflater.unused_data.lstrip(b"\x00")
    return b"".join(parts)


def _inflate(body: bytes) -> bytes:
    """RFC 9110 ``deflate`` is a zlib stream; many servers send a raw deflate stream instead."""
    zlib = _zlib()
    wrapped = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
    inflater = zlib.decompressobj(15 if wrapped else -15)
    out = inflater.decompress(body)
    if not inflater.eof:
        raise EOFError("the deflate stream is cut off before its end")
    return out


def _unbrotli(body: bytes) -> bytes:
    try:
        import brotli
    except ImportError:  # pragma: no cover - the same API from the CFFI build
        import brotlicffi as brotli
    return brotli.decompress(body)


def _unzstd(body: bytes) -> bytes:
    import zstandard

    parts = []
    data = body
    while data:
        decompressor = zstandard.ZstdDecompressor().decompressobj()
        parts.append(decompressor.decompress(data))
        if not decompressor.eof:
            raise EOFError("the zstd frame is cut off before its end")
        data = decompressor.unused_data
    return b"".join(parts)


def _dechunk(body: bytes) -> bytes:
    """Undo chunked transfer (warcio's lenient reader: a body that is not chunked after all is kept)."""
    from warcio.bufferedreaders import ChunkedDataReader

    try:
        return ChunkedDataReader(io.BytesIO(body)).read()
    except Exception:
        return body


_DECODERS = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate, "br": _unbrotli, "zstd": _unzstd}
