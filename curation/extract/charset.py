"""Decode a web page's bytes to text: BOM, then the HTTP header charset, then the page's own declaration, then
detection, with the browsers' fallback (windows-1252) last.

The order is the one browsers use (WHATWG "encoding sniffing"), with two changes for corpus building:

- a declared charset that does not decode the bytes cleanly is not trusted, and the next source is tried.
  Mislabelled pages are common (a ``charset=utf-8`` header in front of a windows-1252 page), and decoding them
  with the wrong codec fills the text with U+FFFD or mojibake that every later stage then has to live with;
- bytes that are valid UTF-8 and hold at least one multi-byte sequence are decoded as UTF-8 even when a header,
  the page or a detector names a legacy charset. Every byte string decodes "without error" in a single-byte
  charset (``BahÃ§ede`` for ``Bahçede``), so a clean legacy decode proves nothing; text in a legacy charset, on
  the other hand, is valid multi-byte UTF-8 only by accident, and such accidents need several improbable
  byte pairs in a row.

Labels follow the WHATWG Encoding Standard (``iso-8859-1``, ``latin1`` and ``us-ascii`` mean windows-1252,
``iso-8859-9`` means windows-1254, ``gb2312`` means GBK, ``shift_jis`` means Microsoft's cp932…) and are widened
to the superset codec browsers actually decode with: pages labelled with the narrow name routinely contain the
wider set's characters, and the superset decodes everything the narrow codec does identically.

Detection without a declaration is Firefox's detector, chardetng (through ``chardetng-py``), which chooses
among the web's legacy encodings the way a browser does, including windows-1252 rather than a Central-European
neighbour for Western text and the hint a country-code top-level domain gives. uchardet (``faust-cchardet``)
adds the non-Latin legacy encodings chardetng does not know (DOS Cyrillic cp855, x-mac-cyrillic, Johab,
ISO-2022-KR, HZ); its Latin guesses (cp852, mac-latin2, VISCII, ISO-8859-16…) are not used, because on Western
and Central-European text they are wrong more often than chardetng (``benchmarks/charset.py``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

PRESCAN_BYTES = 4096
"""How far into the page the ``<meta charset>`` / XML declaration is looked for (WHATWG says 1024; real pages
often put it after a long ``<head>`` script, and scanning 4 KiB costs microseconds)."""

LOSSY_MAX_REPLACEMENT_SHARE = 0.1
"""If no codec decodes the page cleanly, keep a lossy decode only while at most this share of its characters are
U+FFFD; beyond that the payload is not text in any charset we know and is reported as undecodable."""

DETECTION_SAMPLE_BYTES = 1 << 17
"""Detectors see at most this many bytes (half from each end of a long page): enough for a confident guess."""

FALLBACK_CODEC = "cp1252"
"""What browsers decode an undeclared page with when detection gives nothing usable (WHATWG's fallback for
most locales)."""

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts with the UTF-16 LE BOM
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# The WHATWG Encoding Standard's labels, by the Python codec of the encoding they name (widened to the superset
# browsers decode with: GBK -> gb18030, Big5 -> Big5-HKSCS, Shift_JIS -> cp932, EUC-KR -> cp949).
_WHATWG_LABELS: dict[str, tuple[str, ...]] = {
    "utf-8": ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"),
    "cp866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859-2": ("csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592", "iso_8859-2",
                  "iso_8859-2:1987", "l2", "latin2"),
    "iso8859-3": ("csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593", "iso_8859-3",
                  "iso_8859-3:1988", "l3", "latin3"),
    "iso8859-4": ("csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594", "iso_8859-4",
                  "iso_8859-4:1988", "l4", "latin4"),
    "iso8859-5": ("csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5", "iso88595",
                  "iso_8859-5", "iso_8859-5:1988"),
    "iso8859-6": ("arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic", "ecma-114",
                  "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127", "iso8859-6", "iso88596",
                  "iso_8859-6", "iso_8859-6:1987"),
    "iso8859-7": ("csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7", "iso-ir-126",
                  "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987", "sun_eu_greek"),
    "iso8859-8": ("csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e", "iso-ir-138",
                  "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988", "visual",
                  "csiso88598i", "iso-8859-8-i", "logical"),
    "iso8859-10": ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6"),
    "iso8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859-15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"),
    "iso8859-16": ("iso-8859-16",),
    "koi8-r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8-u": ("koi8-ru", "koi8-u"),
    "mac-roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    "cp1252": ("ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1", "iso-ir-100",
               "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii",
               "windows-1252", "x-cp1252"),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": ("cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599", "iso_8859-9",
               "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "gb18030": ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk", "iso-ir-58",
                "x-gbk", "gb18030"),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc_jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso2022_jp": ("csiso2022jp", "iso-2022-jp"),
    "cp932": ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j", "x-sjis"),
    "cp949": ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987", "ks_c_5601-1989",
              "ksc5601", "ksc_5601", "windows-949"),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    "utf-16-le": ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"),
}  # fmt: skip
_CODEC_OF_WHATWG_LABEL = {label: codec for codec, labels in _WHATWG_LABELS.items() for label in labels}

# Labels outside the WHATWG table (detector names, Python aliases, non-web code pages): Python's own codec lookup,
# widened the same way.
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
_EXTRA_LABELS = {"maccyrillic": "mac-cyrillic", "uhc": "cp949"}

_UCHARDET_ONLY = frozenset({"cp855", "mac-cyrillic", "johab", "iso2022_kr", "hz"})
"""Non-Latin legacy encodings uchardet detects and chardetng does not; uchardet's guess is used for these only."""

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE)
_TLD = re.compile(r"[a-z][a-z0-9-]*")
_C1 = re.compile(r"[\x80-\x9f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class DecodedPage:
    """The text of a page and how its charset was decided.

    ``source``: ``bom``; ``http`` or ``meta`` (a declaration that decodes cleanly); ``utf8`` (valid multi-byte
    UTF-8, chosen over a legacy declaration or guess); ``detected``; ``fallback`` (windows-1252, the browsers'
    default); ``lossy`` (no candidate decodes cleanly; the best one, with U+FFFD for the bytes it cannot map).
    """

    text: str
    charset: str
    source: str


def codec_for_label(label: str | None) -> str | None:
    """The Python codec for a charset label from a header, a page or a detector; None if unknown.

    WHATWG labels map as browsers map them (``iso-8859-1`` and ``us-ascii`` → cp1252); other labels that Python
    knows (``ibm855``, ``johab``) map to Python's codec.
    """
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    if cleaned in _CODEC_OF_WHATWG_LABEL:
        return _CODEC_OF_WHATWG_LABEL[cleaned]
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
    if label.lower().startswith(("utf-16", "utf-32", "unicode")):
        # An ASCII-readable declaration cannot be in a UTF-16/32 document (a real one has a BOM or is found by
        # detection); browsers treat it as UTF-8, and so do we.
        return "utf-8"
    return label


def top_level_domain(url: str | None) -> str | None:
    """The last label of a URL's host, lower-case ASCII (``https://www.example.hu/x`` → ``hu``); None for an IP
    address, a host without a dot or an internationalised label (which would need Punycode)."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    tld = host.rstrip(".").rpartition(".")[2]
    return tld if "." in host and _TLD.fullmatch(tld) else None


def detect_charsets(payload: bytes, tld: str | None = None) -> list[str]:
    """Charsets for undeclared bytes that are neither ASCII nor UTF-8, most likely first (Python codec names).

    chardetng (Firefox's detector) decides among the web's legacy encodings, with the country-code ``tld`` as a
    hint as in a browser; uchardet's guess comes first only for the non-Latin encodings chardetng does not know
    (``_UCHARDET_ONLY``), and otherwise second, for when chardetng's guess does not decode the page cleanly.
    Long pages are sampled from both ends (``DETECTION_SAMPLE_BYTES``).
    """
    import cchardet
    from chardetng_py.detector import EncodingDetector

    sample = payload
    if len(payload) > DETECTION_SAMPLE_BYTES:
        half = DETECTION_SAMPLE_BYTES // 2
        sample = payload[:half] + payload[-half:]
    detector = EncodingDetector()
    detector.feed(sample, last=True)
    browser = codec_for_label(detector.guess(tld=tld.encode() if tld else None, allow_utf8=False))
    other = codec_for_label(cchardet.detect(sample).get("encoding"))
    ordered = [other, browser] if other in _UCHARDET_ONLY else [browser, other]
    return [codec for codec in dict.fromkeys(ordered) if codec is not None]


def decode_page(payload: bytes, http_charset: str | None = None, *, url: str | None = None) -> DecodedPage | None:
    """Decode a page: BOM, HTTP charset, in-document declaration, detection, windows-1252; each only if it decodes
    cleanly, and valid multi-byte UTF-8 before any legacy charset.

    ``url`` (optional) gives detection the page's top-level domain as a hint, as browsers use it. Falls back to a
    lossy decode with the best candidate when at most ``LOSSY_MAX_REPLACEMENT_SHARE`` of the characters would be
    U+FFFD; returns None when the payload is not text in any charset tried.
    """
    for bom, codec in _BOMS:
        if payload.startswith(bom):
            text = _strict(payload[len(bom) :], codec)
            if text is not None:
                return DecodedPage(text, codec, "bom")
            break
    ascii_only = _is_ascii(payload)
    utf8_text = None if payload.isascii() else _strict(payload, "utf-8")  # multi-byte UTF-8, or None
    tried: list[str] = []
    for source, label in (("http", http_charset), ("meta", None)):
        if source == "meta":
            label = declared_in_document(payload)
        codec = codec_for_label(label)
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        if utf8_text is not None and not codec.startswith("utf-"):
            return DecodedPage(utf8_text, "utf-8", "utf8")
        text = _clean(payload, codec)
        if text is not None:
            return DecodedPage(text, codec, source)
    if ascii_only:
        return DecodedPage(payload.decode("ascii"), "ascii", "detected")
    if wide := _wide_unicode_without_bom(payload):
        return DecodedPage(payload.decode(wide), wide, "detected")
    if utf8_text is not None:
        return DecodedPage(utf8_text, "utf-8", "utf8")
    candidates = [("detected", codec) for codec in detect_charsets(payload, top_level_domain(url))]
    for source, codec in [*candidates, ("fallback", FALLBACK_CODEC)]:
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        text = _clean(payload, codec)
        if text is not None:
            return DecodedPage(text, codec, source)
    return _lossy(payload, [*tried, "utf-8"])


def _wide_unicode_without_bom(payload: bytes) -> str | None:
    """UTF-16/32 without a BOM, told by where the zero bytes fall (the detectors do not look for it).

    Mostly-Latin UTF-16 has a zero in every other byte and text in the others; a run of NUL padding has zeros
    everywhere and is not UTF-16.
    """
    sample = payload[: PRESCAN_BYTES - PRESCAN_BYTES % 4]
    if len(sample) < 8 or sample.count(0) < len(sample) // 4:
        return None

    def zero_share(view: bytes) -> float:
        return view.count(0) / max(1, len(view))

    candidates = []
    if zero_share(sample[2::4]) > 0.9 and zero_share(sample[3::4]) > 0.9 and zero_share(sample[0::4]) < 0.5:
        candidates.append("utf-32-le")
    if zero_share(sample[0::4]) > 0.9 and zero_share(sample[1::4]) > 0.9 and zero_share(sample[3::4]) < 0.5:
        candidates.append("utf-32-be")
    if zero_share(sample[1::2]) > 0.5 and zero_share(sample[0::2]) < 0.5:
        candidates.append("utf-16-le")
    if zero_share(sample[0::2]) > 0.5 and zero_share(sample[1::2]) < 0.5:
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


def _clean(payload: bytes, codec: str) -> str | None:
    """A strict decode that also maps no byte to a C1 control character (U+0080-U+009F).

    ISO-8859-x codecs "decode" bytes 0x80-0x9F to C1 controls, which no text uses: such bytes are the
    punctuation or letters of the matching windows code page (``ś`` is 0x9C in windows-1250), so the
    ISO candidate is wrong and the next one is tried.
    """
    text = _strict(payload, codec)
    if text is None or codec.startswith("utf-") or not _C1.search(text):
        return text
    return None


def _is_ascii(payload: bytes) -> bool:
    """Plain ASCII, and not UTF-16/32 without a BOM (NUL bytes) nor ISO-2022 (escape sequences)."""
    return payload.isascii() and b"\x00" not in payload and b"\x1b" not in payload


def _lossy(payload: bytes, codecs_tried: list[str]) -> DecodedPage | None:
    """The candidate with the fewest unmapped bytes, if few enough. Control characters count as unmapped too:
    binary data decodes in a single-byte charset with almost no U+FFFD, but is full of them."""
    best: tuple[int, str, str] | None = None
    for codec in dict.fromkeys(codecs_tried):
        try:
            text = payload.decode(codec, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd") + len(_CONTROL.findall(text))
        if best is None or bad < best[0]:
            best = (bad, codec, text)
    if best is None:
        return None
    bad, codec, text = best
    if text and bad / len(text) > LOSSY_MAX_REPLACEMENT_SHARE:
        return None
    return DecodedPage(text, codec, "lossy")
