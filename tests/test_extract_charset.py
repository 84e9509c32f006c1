"""Charset decoding: BOM, then HTTP header, then the page's own declaration, then detection."""

from __future__ import annotations

import codecs

import pytest

from curation.extract.charset import charset_from_content_type, codec_for_label, declared_in_document, decode_page

RUSSIAN = "Москва - столица России, крупнейший по численности населения город страны. " * 4
GERMAN = "Grüße aus Köln: Die Straßenbahn fährt über die Brücke, während Möwen kreisen. " * 4


def test_bom_wins_over_a_contradicting_header():
    page = codecs.BOM_UTF8 + "<p>naïve café</p>".encode()
    decoded = decode_page(page, http_charset="iso-8859-1")
    assert decoded.text == "<p>naïve café</p>" and decoded.source == "bom"


def test_http_charset_is_used_first_when_it_decodes():
    page = f"<html><meta charset='utf-8'><p>{GERMAN}</p>".encode("cp1252")
    decoded = decode_page(page, http_charset="windows-1252")
    assert decoded.source == "http" and GERMAN in decoded.text


def test_a_header_that_does_not_decode_falls_back_to_the_meta_declaration():
    page = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head>{RUSSIAN}'
    decoded = decode_page(page.encode("koi8-r"), http_charset="utf-8")
    assert decoded.source == "meta" and decoded.charset == "koi8-r" and RUSSIAN in decoded.text


def test_without_declarations_the_charset_is_detected():
    decoded = decode_page(f"<p>{RUSSIAN}</p>".encode("cp1251"))
    assert decoded.source == "detected" and RUSSIAN in decoded.text


def test_utf16_without_bom_is_recognised():
    decoded = decode_page(f"<p>{GERMAN}</p>".encode("utf-16-le"))
    assert decoded.charset == "utf-16-le" and GERMAN in decoded.text


def test_narrow_labels_are_widened_to_what_browsers_decode():
    assert codec_for_label("ISO-8859-1") == "cp1252"
    assert codec_for_label("gb2312") == "gb18030"
    assert codec_for_label("Shift_JIS") == "cp932"
    assert codec_for_label("no-such-charset") is None
    # a cp1252-only character (the euro sign) in a page labelled latin-1 still decodes
    assert "€" in decode_page("<p>5 € only</p>".encode("cp1252"), http_charset="iso-8859-1").text


def test_declarations_are_parsed_from_headers_and_documents():
    assert charset_from_content_type('text/html; charset="Shift_JIS"') == "Shift_JIS"
    assert charset_from_content_type("text/html") is None
    assert declared_in_document(b"<?xml version='1.0' encoding='EUC-JP'?><rss/>") == "EUC-JP"
    assert declared_in_document(b'<meta charset="utf-16">') == "utf-8"  # an ASCII-readable page is not UTF-16


def test_binary_that_is_no_text_is_reported_not_guessed():
    assert decode_page(bytes(range(256)) * 50, http_charset="utf-8") is None


def test_real_pages_in_legacy_encodings_decode_without_replacement_characters(shared_data):
    files = [p for p in sorted((shared_data / "encodings").rglob("*")) if p.is_file() and p.parent.name != "encodings"]
    assert len(files) > 400
    clean = sum(1 for p in files if (d := decode_page(p.read_bytes())) is not None and "\ufffd" not in d.text)
    assert clean / len(files) >= 0.97


@pytest.mark.parametrize("folder", ["windows-1251-russian", "SHIFT_JIS", "GB2312", "EUC-KR", "iso-8859-7-greek"])
def test_real_legacy_pages_decode_with_their_folder_codec(shared_data, folder):
    for path in sorted((shared_data / "encodings" / folder).iterdir()):
        decoded = decode_page(path.read_bytes())
        assert decoded is not None and "\ufffd" not in decoded.text, path.name
