"""PII redaction on real-looking text, including the look-alikes that must stay: dates, versions, prices."""

from __future__ import annotations

from datatrove.data import Document

from curation.filters.pii import PIIRedactor

LETTER = """Dear Ms. Alvarez,

thank you for your order #48213377 of 2024-03-15. Our support team can be reached at support@northwind-traders.com
or by phone on (415) 555-2671 (Mon-Fri). From Germany call +49 30 901820; our London desk is on +44 20 7946 0958.
Your invoice total is $1,299.99 (incl. 8.25% tax), ISBN 978-3-16-148410-0, payable by 04/15/2024.
Your device reported from 203.0.113.7? No: from 81.2.69.160, and the gateway 192.168.1.1 is internal.
The firmware is v2.10.3.1 and the build id 10.0.19045.3803. IPv6 peer: 2a00:1450:4001:82b::200e.
Years 1999-2004 were covered. Regards, j.smith@mail.example.co.uk
"""


def _redact(text: str, **params) -> tuple[str, dict[str, int]]:
    stage = PIIRedactor(**params)
    (document,) = list(stage.run(iter([Document(text=text, id="letter")])))
    counts = {
        k.removeprefix("redacted_"): int(v.total) for k, v in stage.stats.stats.items() if k.startswith("redacted_")
    }
    return document.text, counts


def test_emails_phones_and_public_ips_are_redacted():
    text, counts = _redact(LETTER, phone_regions=["US", "GB", "DE"])
    for secret in ("support@northwind-traders.com", "j.smith@mail.example.co.uk", "(415) 555-2671", "+49 30 901820",
                   "+44 20 7946 0958", "81.2.69.160", "2a00:1450:4001:82b::200e"):  # fmt: skip
        assert secret not in text, secret
    assert counts == {"email": 2, "phone": 3, "ip": 2}


def test_look_alikes_are_left_alone():
    text, _ = _redact(LETTER, phone_regions=["US", "GB", "DE"])
    for kept in ("#48213377", "2024-03-15", "$1,299.99", "8.25%", "978-3-16-148410-0", "04/15/2024", "1999-2004",
                 "v2.10.3.1", "10.0.19045.3803", "192.168.1.1", "203.0.113.7"):  # fmt: skip
        assert kept in text, kept


def test_each_kind_can_be_switched_off():
    text, counts = _redact(LETTER, phones=False, ips=False)
    assert "(415) 555-2671" in text and "81.2.69.160" in text and counts == {"email": 2}


def test_text_without_pii_is_unchanged():
    prose = "The river carries meltwater from the mountains past the village every spring, 3 times a year."
    assert _redact(prose) == (prose, {})
