"""Redact personal data from text: email addresses, phone numbers, IP addresses (optional ``pii_redact`` stage).

Finding candidates is the easy half; the hard half is the look-alikes that must be left alone, because a
pretraining corpus loses real content to every false hit: version numbers (``8.1.2.3``), section numbers
(``clause 4.2.1.3``), dates, order and tracking numbers, ISBNs, coordinates and decimals. Each kind is found
by a well-kept rule set and then checked against its surroundings:

- **emails**: a Unicode-aware RFC 5322-shaped pattern whose domain must end in a real public suffix (the
  Mozilla Public Suffix List, as shipped inside ``tldextract``; no download), so ``icon@2x.png``,
  ``react@18.2.0`` and ``user@localhost`` are not addresses; an SCP-style git remote
  (``git@github.com:org/repo.git``) is not one either;
- **IP addresses**: a stand-alone dotted quad (not part of ``v1.2.3.4`` or ``10.0.1.2.3``) or an IPv6 address
  that is globally routable unicast (``ipaddress``: private, loopback, documentation and multicast ranges
  identify nobody), and whose context does not mark it as a version or section number: the nearest clue in
  the line before it decides (``version``, ``release``, ``firmware``, ``clause``, ``§``, ``Abschnitt``, a
  Markdown heading or a table column named ``Version`` against ``IP``, ``host``, ``server``, ``ping`` ...),
  as do its neighbours (a port, a CIDR suffix or a log line make it an address; ``-beta``, ``.jar`` or a
  package name glued to it make it a version). Without any clue, four small numbers (``6.3.2.1``) are a
  version or section number;
- **phone numbers**: ``phonenumbers`` (Google's libphonenumber), which checks that a candidate is a valid
  number for its country, then the same kind of context check (``order``, ``invoice``, ``tracking``,
  ``ISBN``, ``#`` against ``tel``, ``call``, ``fax`` ...); a bare run of digits needs a phone word before it,
  and a number formatted like a date, a decimal, a dotted quad or with thousands separators is not a phone
  number. National formats
  are read for the regions given, plus, by default, the regions suggested by the document's ``language`` and
  the country domain of its ``url`` (numbers written with ``+`` and a country code are found whatever the
  region).

Precision and recall per kind, on a labelled set of 502 snippets (positives in 20 countries' formats and
look-alikes), are measured by ``benchmarks/pii_precision.py`` next to Presidio's recognisers and
``phonenumbers`` alone; see BENCHMARKS.md.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.formatters.base import BaseFormatter
from datatrove.utils.typeshelper import StatHints

_IPV4 = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_ALONE = re.compile(rf"(?<![\w.]){_IPV4}(?![\w]|\.\d)")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_EMAIL_LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
_EMAIL = re.compile(rf"(?<![\w.+-]){_EMAIL_LOCAL}@((?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_](?:[\w-]*[^\W_])?)")
_GIT_REMOTE_PATH = re.compile(r":[\w.~-]+/")
_DIGITS_FOR_A_PHONE = 7
_NUMBER_RUN = re.compile(r"[+(]?\d[\d \t().\-/\u2010-\u2015\u00a0]{5,}\d")
_RUN_MARGIN = 8
_CONTEXT_CHARS = 80
"""How far back in the line a clue counts."""
SMALL_OCTET = 31


def _clue_words(*, anywhere: str = "", prefixes: str = "", words: str = "") -> re.Pattern:
    """A case-insensitive pattern of clue words: ``anywhere`` match inside words too (``AssemblyVersion``),
    ``prefixes`` must start a word (``tel`` in ``Telefon``, not in ``hotel``), ``words`` must be whole words."""
    alternatives = []
    if anywhere:
        alternatives.append(f"(?:{anywhere})")
    if prefixes:
        alternatives.append(rf"(?<![^\W\d_])(?:{prefixes})")
    if words:
        alternatives.append(rf"(?<![^\W\d_])(?:{words})(?![^\W\d_])")
    return re.compile("(?i)" + "|".join(alternatives))


# Clues, matched in the text before a candidate (same line). The nearest one decides.
_IP_WORDS = _clue_words(
    prefixes=r"ipv?[46]?\b|address|addr\b|host|server|client|proxy|dns\b|gateway|router|ping\b|traceroute|whois|"
    r"nslookup|sshd?\b|subnet|netmask|vpn\b|firewall|block|bann|allow|deny|peer|connect|login|attacker|"
    r"source\b|destination|curl\b|wget\b|https?://",
)
_VERSION_WORDS = _clue_words(
    anywhere=r"version|versión|versione|versão|versie|release|firmware|driver|changelog|upgrad|dependenc|"
    r"plugin|package|library|sdk",
    prefixes=r"build|revision|update|install|bump|patch",
    words=r"v|ver|rev|rel|fw|api|lib|models?|products?|codes?|items?|clauses?|sections?|sec|sección|seção|"
    r"sezione|§|chapters?|chap|chapitre|capítulo|capitolo|kapitel|kap|hoofdstuk|abschnitt|absatz|ziffer|"
    r"articles?|art|artikel|artículo|articolo|paragraphs?|paragraphe|párrafo|para|rules?|figures?|fig|tables?|"
    r"tab|appendix|annex|anhang|steps?|standards?|norm|din|iso|parts?|listing|lesson|point",
)
_PHONE_WORDS = _clue_words(
    anywhere=r"電話|携帯|手机|电话|휴대폰",
    prefixes=r"phone|tel|tél|call|dial|ring\b|fax|mobil|cell|handy|portable|móvil|whatsapp|sms\b|text\b|contact|"
    r"kontakt|hotline|helpline|toll-free|reach|appel|llam|ligue|bel\b|zadzwo|звон|телефон|natel|office|desk|"
    r"branch|zentrale|service|support|care\b",
)
_ID_WORDS = _clue_words(
    anywhere=r"#|№",
    prefixes=r"order|bestell|commande|auftrag|pedido|ordine|invoice|rechnung|factur|tracking|sendung|suivi|"
    r"waybill|isbn|issn|serial|account|konto|kunden|ticket|transaction|confirmation|voucher|patent|"
    r"batch|iban|postal",
    words=r"ean|upc|sku|gtin|s/n|sn|part|model|item|ref|reference|referenz|réf|case|doi|lot|swift|zip|plz|id|code|"
    r"no|nr|nº",
)
_GENERIC_VERSION_PREFIX = re.compile(r"(?i)(?:^|\W)(?:see|see also|cf\.?|in|under|per)\s+$")
_NAME_GLUED = re.compile(r"[^\W_][-_]$")
_PIN_OPERATOR = re.compile(r"(?:==|>=|<=|~=|\^|~>|@)$")
_VERSION_SUFFIX = re.compile(r"^(?:[-+][0-9A-Za-z]|\.[A-Za-z])")
_IP_RANGE_AFTER = re.compile(rf"^\s*-\s*{_IPV4}")
_IP_RANGE_BEFORE = re.compile(rf"{_IPV4}\s*-\s*$")
_IP_AFTER = re.compile(r"^(?::\d{1,5}\b|/\d{1,2}\b|\s+-\s+\S+\s+\[|\s+-\s+-)")
_HEADING_AFTER = re.compile(r"^\s+(?:\(|[A-ZÄÖÜÉ][a-zäöüßéèàç])")
_DOTTED_NUMBERS_SHAPE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}|:\d{1,5})?$")
_DECIMAL_SHAPE = re.compile(r"^[-+]?\d+[.,]\d+$")
_DATE_SHAPE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$")
_THOUSANDS_SHAPE = re.compile(r"^\d{1,3}(?:[.,]\d{3}){2,}$")
_MONEY_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:USD|EUR|GBP|CHF|JPY)\b)\s*$")

LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB"), "de": ("DE", "AT", "CH"), "fr": ("FR", "BE", "CH"), "es": ("ES", "MX"),
    "pt": ("BR", "PT"), "it": ("IT",), "nl": ("NL", "BE"), "ja": ("JP",), "zh": ("CN", "TW"), "ko": ("KR",),
    "ru": ("RU",), "pl": ("PL",), "sv": ("SE",), "da": ("DK",), "nb": ("NO",), "no": ("NO",), "fi": ("FI",),
    "cs": ("CZ",), "sk": ("SK",), "hu": ("HU",), "ro": ("RO",), "bg": ("BG",), "el": ("GR",), "tr": ("TR",),
    "uk": ("UA",), "he": ("IL",), "ar": ("SA", "EG", "AE"), "hi": ("IN",), "id": ("ID",), "vi": ("VN",),
    "th": ("TH",),
}  # fmt: skip
"""Regions whose national phone formats a document in each language most likely uses."""
_TLD_REGION_ALIASES = {"UK": "GB"}


@dataclass(frozen=True, slots=True)
class PIIMatch:
    """One piece of personal data found in a text: ``kind`` (email, phone, ip) and its character span."""

    kind: str
    start: int
    end: int


class PIIRedactor(BaseFormatter):
    """Replace emails, phone numbers and public IP addresses with fixed placeholders (see the module docstring).

    Args:
        emails / phones / ips: which kinds to redact.
        phone_regions: ISO country codes whose national formats are always read (numbers written with a ``+``
            country code are found whatever the list). Each region costs one more pass over digit-rich text.
        regions_from_metadata: also read the national formats of the regions suggested by the document's
            ``language`` (``LANGUAGE_REGIONS``) and by the country domain of its ``url`` (``.de``, ``.co.uk``).
        email_replacement / phone_replacement / ip_replacement: what each is replaced with (reserved example
            values by default, so the text still reads naturally).
    """

    name = "🕵 PII redaction"

    def __init__(
        self,
        emails: bool = True,
        phones: bool = True,
        ips: bool = True,
        phone_regions: list[str] | None = None,
        regions_from_metadata: bool = True,
        email_replacement: str = "email@example.com",
        phone_replacement: str = "+1-555-0100",
        ip_replacement: str = "192.0.2.1",
    ):
        super().__init__()
        self.emails = emails
        self.phones = phones
        self.ips = ips
        self.phone_regions = [region.upper() for region in (phone_regions or ["US"])]
        self.regions_from_metadata = regions_from_metadata
        self.replacements = {"email": email_replacement, "phone": phone_replacement, "ip": ip_replacement}

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for document in data:
            self.stat_update(StatHints.total)
            with self.track_time():
                document.text = self.redact(document.text, document.metadata)
            yield document

    def count(self, text: str, metadata: dict[str, Any] | None = None) -> dict[str, int]:
        """How many emails, phone numbers and public IP addresses redaction would replace in ``text``, by kind.

        Runs the very detectors ``redact`` runs (``find``), so a data-quality check counts exactly what this
        stage would redact; the text is not changed and the stage's stats are not touched. Kinds with no match
        are left out: ``{}`` for clean text.
        """
        tally: dict[str, int] = {}
        for match in self.find(text, metadata):
            tally[match.kind] = tally.get(match.kind, 0) + 1
        return tally

    def format(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str, metadata: dict[str, Any] | None = None) -> str:
        """``text`` with every match replaced by its kind's placeholder; counts go to ``redacted_<kind>``."""
        matches = self.find(text, metadata)
        if not matches:
            return text
        pieces, position = [], 0
        for match in matches:
            pieces += [text[position : match.start], self.replacements[match.kind]]
            position = match.end
            self.stat_update(f"redacted_{match.kind}")
        pieces.append(text[position:])
        return "".join(pieces)

    def find(self, text: str, metadata: dict[str, Any] | None = None) -> list[PIIMatch]:
        """Every email, phone number and public IP address in ``text``, sorted, without overlaps (earlier and
        longer matches win). ``metadata`` (``language``, ``url``) chooses the phone regions."""
        found: list[PIIMatch] = []
        if self.emails and "@" in text:
            found += find_emails(text)
        if self.ips:
            found += find_ips(text)
        if self.phones:
            found += find_phones(text, self.regions_for(metadata))
        found.sort(key=lambda m: (m.start, -m.end))
        kept: list[PIIMatch] = []
        for match in found:
            if kept and match.start < kept[-1].end:
                continue
            kept.append(match)
        return kept

    def regions_for(self, metadata: dict[str, Any] | None) -> list[str]:
        """The configured regions, then those the document's language and URL suggest (no duplicates)."""
        regions = list(self.phone_regions)
        if self.regions_from_metadata and metadata:
            language = str(metadata.get("language") or "").split("_")[0].split("-")[0].lower()
            regions += LANGUAGE_REGIONS.get(language, ())
            region = _region_of_url(metadata.get("url"))
            if region:
                regions.append(region)
        return list(dict.fromkeys(regions))


# ---- emails ------------------------------------------------------------------------------------------------


def find_emails(text: str) -> list[PIIMatch]:
    """Email addresses whose domain ends in a public suffix, except SCP-style git remotes."""
    matches = []
    for match in _EMAIL.finditer(text):
        if not _has_public_suffix(match.group(1)):
            continue
        if _GIT_REMOTE_PATH.match(text, match.end()):
            continue
        matches.append(PIIMatch("email", match.start(), match.end()))
    return matches


@functools.cache
def _suffix_list():
    import tldextract

    # the snapshot inside the wheel; no cache folder, no download
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def _has_public_suffix(domain: str) -> bool:
    parts = _suffix_list()(domain.lower())
    return bool(parts.suffix) and bool(parts.domain)


# ---- IP addresses ------------------------------------------------------------------------------------------


def find_ips(text: str) -> list[PIIMatch]:
    """Globally routable IPv4/IPv6 addresses that their context does not mark as version or section numbers."""
    matches = []
    if "." in text:
        for match in _IPV4_ALONE.finditer(text):
            if _is_public_ip(match.group(0)) and not _ipv4_is_a_version(text, match.start(), match.end()):
                matches.append(PIIMatch("ip", match.start(), match.end()))
    if "::" in text or text.count(":") >= 7:
        for match in _IPV6_CANDIDATE.finditer(text):
            if _is_public_ip(match.group(0)):
                matches.append(PIIMatch("ip", match.start(), match.end()))
    return matches


def _is_public_ip(candidate: str) -> bool:
    """Globally routable unicast: private, loopback, link-local, documentation and multicast (groups, not
    hosts) addresses identify nobody."""
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return address.is_global and not address.is_multicast


def _ipv4_is_a_version(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[max(line_start, start - _CONTEXT_CHARS) : start], text[end:line_end]
    if _IP_AFTER.match(after) or _IP_RANGE_AFTER.match(after) or _IP_RANGE_BEFORE.search(before):
        return False
    if before.endswith(("://", "@")):
        return False
    if _NAME_GLUED.search(before) or _PIN_OPERATOR.search(before) or _VERSION_SUFFIX.match(after):
        return True
    column = _table_column_header(text, line_start, start)
    if column is not None:
        if _IP_WORDS.search(column):
            return False
        if _VERSION_WORDS.search(column):
            return True
    clue = _nearest_clue(before, version=_VERSION_WORDS, address=_IP_WORDS)
    if clue is not None:
        return clue == "version"
    if _GENERIC_VERSION_PREFIX.search(before):
        return True  # "see 12.3.4.5", "as defined in 5.2.3.1"
    if max(int(octet) for octet in text[start:end].split(".")) <= SMALL_OCTET:
        # Without a clue, four small numbers are a version or a section number: all four octets of a routable
        # address are this small for about 1 in 4,000 addresses (and those few, such as public resolvers,
        # identify nobody), while "4.8.0.1" or "6.3.2.1" is what every numbered outline and changelog holds.
        return True
    line_head = text[line_start:start]
    if line_head.lstrip().startswith("#"):
        return True  # a Markdown heading: a changelog entry or a numbered section
    return not line_head.strip() and bool(_HEADING_AFTER.match(after))


def _table_column_header(text: str, line_start: int, position: int) -> str | None:
    """The header cell above ``position`` when it sits in a Markdown table row, else None."""
    line = text[line_start : text.find("\n", position) if text.find("\n", position) >= 0 else len(text)]
    if not line.lstrip().startswith("|"):
        return None
    column = text[line_start:position].count("|") - 1
    header_start = line_start
    while header_start > 0:
        previous_start = text.rfind("\n", 0, header_start - 1) + 1
        if not text[previous_start : header_start - 1].lstrip().startswith("|"):
            break
        header_start = previous_start
    header_end = text.find("\n", header_start)
    cells = text[header_start : header_end if header_end >= 0 else len(text)].strip().strip("|").split("|")
    return cells[column] if 0 <= column < len(cells) else None


def _nearest_clue(before: str, **clues: re.Pattern) -> str | None:
    """Which kind of clue word ends nearest to the end of ``before`` (None when there is none)."""
    best, best_end = None, -1
    for kind, pattern in clues.items():
        for match in pattern.finditer(before):
            if match.end() > best_end or (match.end() == best_end and kind != best):
                best, best_end = kind, match.end()
    return best


# ---- phone numbers -----------------------------------------------------------------------------------------


def find_phones(text: str, regions: list[str]) -> list[PIIMatch]:
    """Numbers valid for their country (libphonenumber) that their context does not mark as something else.

    libphonenumber's matcher parses every run of digits in the text, years and prices included, which makes it
    the slow part of this stage; it is run only on the stretches that could hold a phone number (seven digits
    or more, with the separators numbers are written with), each with a few characters of margin so that its
    own checks of the neighbouring characters still apply.
    """
    import phonenumbers

    spans: dict[tuple[int, int], str] = {}
    for window_start, window_end in _digit_runs(text):
        window = text[window_start:window_end]
        for region in regions:
            for match in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID):
                spans.setdefault((window_start + match.start, window_start + match.end), match.raw_string)
    return [PIIMatch("phone", start, end) for (start, end), raw in spans.items() if _is_a_phone(text, start, raw)]


def _digit_runs(text: str) -> list[tuple[int, int]]:
    """Stretches of ``text`` (with margin) written like a number of at least seven digits."""
    runs: list[tuple[int, int]] = []
    for match in _NUMBER_RUN.finditer(text):
        if sum(char.isdigit() for char in match.group(0)) < _DIGITS_FOR_A_PHONE:
            continue
        start, end = max(0, match.start() - _RUN_MARGIN), min(len(text), match.end() + _RUN_MARGIN)
        if runs and start <= runs[-1][1]:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def _is_a_phone(text: str, start: int, raw: str) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - _CONTEXT_CHARS) : start]
    compact = raw.strip()
    if any(shape.match(compact) for shape in (_DATE_SHAPE, _THOUSANDS_SHAPE, _DOTTED_NUMBERS_SHAPE, _DECIMAL_SHAPE)):
        return False  # a date, a number with thousands separators, an IP address, a decimal
    if sum(len(group) == 1 for group in re.findall(r"\d+", compact)) >= 2:
        return False  # "4 8 15 16 23 42": phone numbers have at most one one-digit group (a country or trunk code)
    if _MONEY_BEFORE.search(before):
        return False
    if before.rstrip().endswith(("#", "№")):
        return False
    clue = _nearest_clue(before, phone=_PHONE_WORDS, identifier=_ID_WORDS)
    if clue == "identifier":
        return False
    if compact.isdigit():
        return clue == "phone"  # a bare run of digits is an identifier unless a phone word introduces it
    return True


def _region_of_url(url: Any) -> str | None:
    """The phone region of a URL's country-code top-level domain (``.de`` -> DE, ``.co.uk`` -> GB)."""
    if not url:
        return None
    host = urlsplit(str(url)).hostname or ""
    tld = host.rsplit(".", 1)[-1].upper()
    tld = _TLD_REGION_ALIASES.get(tld, tld)
    return tld if len(tld) == 2 and _is_phone_region(tld) else None


@functools.cache
def _is_phone_region(region: str) -> bool:
    import phonenumbers

    return region in phonenumbers.SUPPORTED_REGIONS


__all__ = ["LANGUAGE_REGIONS", "PIIMatch", "PIIRedactor", "find_emails", "find_ips", "find_phones"]
