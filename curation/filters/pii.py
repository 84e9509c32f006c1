"""Redact personal data from text: email addresses, phone numbers, IP addresses (optional ``pii_redact`` stage).

Emails use datatrove's ``PIIFormatter`` pattern (RFC 5322-shaped). IP addresses use datatrove's public-address
check (``ipaddress``: private, loopback and documentation ranges are left alone, they identify nobody) with a
stricter match: an address must stand alone, so the "1.2.3.4" inside a version string ``v1.2.3.4`` or
``10.0.1.2.3`` is not taken for one; IPv6 is covered too. datatrove has no phone rule; phone numbers are found
with ``phonenumbers`` (Google's libphonenumber rules), which checks that a candidate is a valid number for its
country, so dates, prices, ISBNs, order numbers and year ranges are not redacted.
"""

from __future__ import annotations

import ipaddress
import re

from datatrove.pipeline.formatters.base import BaseFormatter
from datatrove.pipeline.formatters.pii import PIIFormatter

_IPV4 = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_ALONE = re.compile(rf"(?<![\w.]){_IPV4}(?![\w]|\.\d)")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_DIGITS_FOR_A_PHONE = 7


def _is_public_ip(candidate: str) -> bool:
    try:
        return ipaddress.ip_address(candidate).is_global
    except ValueError:
        return False


class PIIRedactor(BaseFormatter):
    """Replace emails, phone numbers and public IP addresses with fixed placeholders.

    Args:
        emails / phones / ips: which kinds to redact.
        phone_regions: ISO country codes whose national formats are recognised (numbers written with a ``+``
            country code are found whatever the list). Each region costs one more pass over digit-rich text.
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
        email_replacement: str = "email@example.com",
        phone_replacement: str = "+1-555-0100",
        ip_replacement: str = "192.0.2.1",
    ):
        super().__init__()
        self.emails = emails
        self.phones = phones
        self.ips = ips
        self.phone_regions = list(phone_regions or ["US"])
        self.email_replacement = email_replacement
        self.phone_replacement = phone_replacement
        self.ip_replacement = ip_replacement
        self._email_pattern = PIIFormatter().emails_replacer.regex
        self._tally: dict[str, int] | None = None

    def count(self, text: str) -> dict[str, int]:
        """How many emails, phone numbers and public IP addresses redaction would replace in ``text``, by kind.

        Runs the very detectors ``format`` runs, in the same order, so a data-quality check counts exactly
        what this stage would redact; the text is not changed and the stage's stats are not touched. Kinds
        with no match are left out: ``{}`` for clean text.
        """
        tally: dict[str, int] = {}
        self._tally = tally
        try:
            self.format(text)
        finally:
            self._tally = None
        return tally

    def format(self, text: str) -> str:
        if self.emails and "@" in text:
            text, count = self._email_pattern.subn(self.email_replacement, text)
            self._count("email", count)
        if self.ips:
            text = self._redact_ips(text)
        if self.phones and sum(ch.isdigit() for ch in text) >= _DIGITS_FOR_A_PHONE:
            text = self._redact_phones(text)
        return text

    def _redact_ips(self, text: str) -> str:
        redacted = 0

        def replace(match: re.Match) -> str:
            nonlocal redacted
            if _is_public_ip(match.group(0)):
                redacted += 1
                return self.ip_replacement
            return match.group(0)

        if "." in text:
            text = _IPV4_ALONE.sub(replace, text)
        if "::" in text or text.count(":") >= 7:
            text = _IPV6_CANDIDATE.sub(replace, text)
        self._count("ip", redacted)
        return text

    def _redact_phones(self, text: str) -> str:
        import phonenumbers

        spans: list[tuple[int, int]] = []
        for region in self.phone_regions:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
                spans.append((match.start, match.end))
        if not spans:
            return text
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        pieces, position = [], 0
        for start, end in merged:
            pieces += [text[position:start], self.phone_replacement]
            position = end
        pieces.append(text[position:])
        self._count("phone", len(merged))
        return "".join(pieces)

    def _count(self, kind: str, count: int) -> None:
        if not count:
            return
        if self._tally is not None:
            self._tally[kind] = self._tally.get(kind, 0) + count
        else:
            self.stat_update(f"redacted_{kind}", value=count)
