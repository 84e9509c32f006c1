"""Decode a web page's bytes to text: BOM, then the HTTP header charset, then the page's own declaration, then
detection.

The order is the one browsers use (WHATWG "encoding sniffing"), with one change for corpus building: a declared
charset that does not decode the bytes cleanly is not trusted, and the next source is tried. Mislabelled pages
are common (a ``charset=utf-8`` header in front of a Windows-1252 page), and decoding them with the wrong codec
fills the text with U+FFFD or mojibake that every later stage then has to live with.

Labels are widened to the superset codec browsers actually use (``iso-8859-1`` → ``cp1252``, ``gb2312`` →
``gb18030``, ``shift_jis`` → ``cp932``…): pages labelled with the narrow name routinely contain the wider set's
characters, and the superset decodes everything the narrow codec does identically.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

PRESCAN_BYTES = 4096
"""How far into the page the ``<meta charset>`` / XML declaration is looked for (WHATWG says 1024; real pages
often put it after a long ``<head>`` script, and scanning 4 KiB costs microseconds)."""

LOSSY_MAX_REPLACEMENT_SHARE = 0.1
"""If no codec decodes the page cleanly, keep a lossy decode only while at most this share of its characters are
U+FFFD; beyond that the payload is not text in any charset we know and is reported as undecodable."""

DETECTION_SAMPLE_BYTES = 1 << 17

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts with the UTF-16 LE BOM
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_SUPERSETS = {
    "ascii": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}

_EXTRA_LABELS = {
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
    "x-mac-cyrillic": "mac-cyrillic",
    "maccyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "x-euc-jp": "euc_jp",
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
}

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DecodedPage:
    """The text of a page and how its charset was decided (``source``: bom, http, meta, detected, lossy)."""

    text: str
    charset: str
    source: str


def codec_for_label(label: str | None) -> str | None:
    """The Python codec for a charset label from a header, a page or a detector; None if unknown."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    cleaned = _EXTRA_LABELS.get(cleaned, cleaned)
    try:
        name = codecs.lookup(cleaned).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header value, as given (not yet mapped to a codec)."""
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return match.group(1) if match else None


def declared_in_document(payload: bytes) -> str | None:
    """The charset a page declares about itself near its start: ``<meta charset>``, http-equiv or ``<?xml``."""
    head = payload[:PRESCAN_BYTES]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return None
    label = match.group(1).decode("ascii", "ignore")
    if label.lower().startswith(("utf-16", "utf-32")):
        # An ASCII-readable declaration cannot be in a UTF-16/32 document (a real one has a BOM or is found by
        # detection); browsers treat it as UTF-8, and so do we.
        return "utf-8"
    return label


def detect_charset(payload: bytes) -> str | None:
    """Guess the charset from the bytes (uchardet via faust-cchardet), sampling both ends of long pages."""
    import cchardet

    sample = payload
    if len(payload) > DETECTION_SAMPLE_BYTES:
        half = DETECTION_SAMPLE_BYTES // 2
        sample = payload[:half] + payload[-half:]
    return cchardet.detect(sample).get("encoding")


def decode_page(payload: bytes, http_charset: str | None = None) -> DecodedPage | None:
    """Decode a page: BOM, HTTP charset, in-document declaration, detection, each only if it decodes cleanly.

    Falls back to a lossy decode with the best candidate when at most ``LOSSY_MAX_REPLACEMENT_SHARE`` of the
    characters would be U+FFFD; returns None when the payload is not text in any charset tried.
    """
    for bom, codec in _BOMS:
        if payload.startswith(bom):
            text = _strict(payload[len(bom) :], codec)
            if text is not None:
                return DecodedPage(text, codec, "bom")
            break
    tried: list[str] = []
    for source, label in (("http", http_charset), ("meta", None), ("detected", None)):
        if source == "meta":
            label = declared_in_document(payload)
        elif source == "detected":
            if _is_ascii(payload):
                return DecodedPage(payload.decode("ascii"), "ascii", "detected")
            label = _wide_unicode_without_bom(payload) or detect_charset(payload)
        codec = codec_for_label(label)
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        text = _strict(payload, codec)
        if text is not None:
            return DecodedPage(text, codec, source)
    return _lossy(payload, [*tried, "utf-8"])


def _wide_unicode_without_bom(payload: bytes) -> str | None:
    """UTF-16/32 without a BOM, told by where the zero bytes fall (uchardet does not detect it)."""
    sample = payload[: PRESCAN_BYTES - PRESCAN_BYTES % 4]
    if len(sample) < 8 or sample.count(0) < len(sample) // 4:
        return None

    def zero_share(view: bytes) -> float:
        return view.count(0) / max(1, len(view))

    candidates = []
    if zero_share(sample[2::4]) > 0.9 and zero_share(sample[3::4]) > 0.9:
        candidates.append("utf-32-le")
    if zero_share(sample[0::4]) > 0.9 and zero_share(sample[1::4]) > 0.9:
        candidates.append("utf-32-be")
    if zero_share(sample[1::2]) > 0.5:
        candidates.append("utf-16-le")
    if zero_share(sample[0::2]) > 0.5:
        candidates.append("utf-16-be")
    for codec in candidates:
        if _strict(payload, codec) is not None:
            return codec
    return None


def _strict(payload: bytes, codec: str) -> str | None:
    try:
        return payload.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_ascii(payload: bytes) -> bool:
    """Plain ASCII, and not UTF-16/32 without a BOM (NUL bytes) nor ISO-2022 (escape sequences)."""
    return payload.isascii() and b"\x00" not in payload and b"\x1b" not in payload


def _lossy(payload: bytes, codecs_tried: list[str]) -> DecodedPage | None:
    best: tuple[int, str, str] | None = None
    for codec in dict.fromkeys(codecs_tried):
        try:
            text = payload.decode(codec, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if best is None or bad < best[0]:
            best = (bad, codec, text)
    if best is None:
        return None
    bad, codec, text = best
    if text and bad / len(text) > LOSSY_MAX_REPLACEMENT_SHARE:
        return None
    return DecodedPage(text, codec, "lossy")
