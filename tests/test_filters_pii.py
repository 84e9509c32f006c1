"""PII redaction on real-looking text, including the look-alikes that must stay: dates, versions, prices."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from datatrove.data import Document

from curation.filters.pii import PIIRedactor
from tests.helpers import read_output_rows

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


# ---- the labelled set: positives in 20 countries' formats and the look-alikes that must stay -----------------

LABELLED_SET = Path(__file__).parent / "data" / "pii_labelled.jsonl"


def _score(rows: list[dict], stage: PIIRedactor) -> dict[str, tuple[float, float]]:
    """Precision and recall per kind, from the spans ``find`` returns (a span counts when it covers an item)."""
    expected, hits, found = Counter(), Counter(), Counter()
    for row in rows:
        metadata = {key: row[key] for key in ("language", "url") if key in row}
        matches = [(m.kind, row["text"][m.start : m.end]) for m in stage.find(row["text"], metadata)]
        found.update(kind for kind, _ in matches)
        for item in row["pii"]:
            expected[item["type"]] += 1
            hits[item["type"]] += any(kind == item["type"] and item["text"] in span for kind, span in matches)
    return {kind: (hits[kind] / max(found[kind], 1), hits[kind] / expected[kind]) for kind in expected}


def test_labelled_set_precision_and_recall_per_kind():
    rows = [json.loads(line) for line in LABELLED_SET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 400 and sum(not row["pii"] for row in rows) > 200
    scores = _score(rows, PIIRedactor())
    for kind, (precision, recall) in scores.items():
        assert precision >= 0.97 and recall >= 0.97, (kind, precision, recall)


def test_versions_sections_and_ids_are_not_redacted_but_real_items_are():
    kept = [
        "## [1.128.1.0] - 2024-09-02", "| somemod | 2.1.0.4 | somemod-2.1.0.4.jar |", "driver version 8.1.2.3",
        "clause 4.2.1.3 of the standard", "see also 12.3.4.5 below", "4.2.1.3 Scope and purpose", "§ 7.1.2.3",
        "Requires framework 4.8.0.1.", "Order #112-4567890-1234567", "Tracking 1Z 999 AA1 01 2345 6784",
        "ISBN 978-3-16-148410-0", "Coordinates 48.8584, 2.2945", "pi is 3.14159265358979", "icon@2x.png",
        "npm i react@18.2.0", "git@github.com:org/repo.git", "Invoice 2025550143", "Due 04/15/2024",
    ]  # fmt: skip
    stage = PIIRedactor(phone_regions=["US", "GB", "DE", "FR"])
    for text in kept:
        assert stage.find(text, {"language": "en"}) == [], text
    redacted = {
        "email": "write to anna.berg+news@posteo.de today", "ip": "blocked 81.2.69.160 after 20 failed logins",
        "phone": "Telefon: 030 901820",
    }  # fmt: skip
    for kind, text in redacted.items():
        assert [m.kind for m in stage.find(text, {"language": "de"})] == [kind], text


def test_phone_regions_come_from_the_document_language_and_url():
    stage = PIIRedactor()
    german, australian = "Rufen Sie uns an: 030 901820", "Mobile 0412 345 678"
    assert stage.find(german, {}) == [] and stage.find(australian, {"language": "en"}) == []
    assert [m.kind for m in stage.find(german, {"language": "de"})] == ["phone"]
    assert [m.kind for m in stage.find(australian, {"url": "https://shop.example.com.au/x"})] == ["phone"]
    assert PIIRedactor(regions_from_metadata=False).find(german, {"language": "de"}) == []


def test_case_pii_version_numbers(shared_data, tmp_path, run_recipe_yaml):
    source = shared_data / "bugs" / "pii-version-numbers"
    if not source.is_dir():
        pytest.skip(f"{source} is not available")
    report = run_recipe_yaml("stages: [pii_redact]\n", source, strict=True)
    assert report.ok
    rows = {row["id"]: row["text"] for row in read_output_rows(tmp_path / "out")}
    originals = {json.loads(line)["id"]: json.loads(line)["text"] for line in (source / "pii.jsonl").open()}
    for doc_id in ("changelog", "modlist", "version-prose", "section", "private-ip"):
        assert rows[doc_id] == originals[doc_id], doc_id
    assert "81.2.69.160" not in rows["real-ip"] and "2a02:6b8::feed:0ff" not in rows["real-ip"]
