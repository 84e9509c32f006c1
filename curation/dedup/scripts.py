"""Scripts written without spaces between words, and how a document is shingled when it is in one.

Word shingles assume words are separated by spaces. Chinese, Japanese, Thai, Lao, Khmer, Burmese, Tibetan and
a few other scripts put no space between words, so a whole clause reads as one "word" and a single changed
character breaks every shingle that spans it: near copies are missed. Documents in these scripts are
shingled by characters instead, ``SCRIPT_NGRAMS[script]`` consecutive code points of the document's words
joined without separators (punctuation and spaces dropped, as for words). The lengths were chosen on real
sentences (``benchmarks/dedup_scripts.py``): long enough that unrelated documents share almost no shingle,
short enough that a few edited characters leave most shingles intact.

Which script a document is in comes from its language metadata when that names a language or script written
without spaces (``script_hint``: ``zh``, ``ja``, ``th``, GlotLID's ``cmn_Hani``...); otherwise from its
characters (``detect_script``): when at least ``SCRIPT_SHARE`` of its word characters belong to such
scripts, the most frequent one decides. Han characters in a text that also has kana count as Japanese.

This module is the reference definition; ``kernels`` implements the same rules on UTF-8 bytes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping

import numpy as np

SCRIPT_TABLE_VERSION = 1
"""Bumped whenever the ranges or rules below change the shingles of any text (stored with an index)."""

SCRIPTS: tuple[str, ...] = (
    "Hani",  # Chinese characters (also kanji, hanja), Bopomofo
    "Jpan",  # Japanese kana (a text with kana counts its Han characters as Japanese too)
    "Thai",
    "Laoo",
    "Khmr",
    "Mymr",  # Burmese, Shan, Mon
    "Tibt",  # Tibetan, Dzongkha
    "Lana",  # Tai Tham
    "Talu",  # New Tai Lue
    "Tale",  # Tai Le
    "Tavt",  # Tai Viet
    "Bali",
    "Java",
)
"""ISO 15924 codes of the scripts written without spaces between words, in kernel id order."""

HANI, JPAN = 0, 1

SCRIPT_NGRAMS: dict[str, int] = {
    "Hani": 5,
    "Jpan": 5,
    **{script: 8 for script in SCRIPTS[2:]},
}
"""Default shingle length, in code points, per script. A Chinese character carries about as much as a short
word; Thai-like scripts spell a syllable with two to four code points, so their shingles are longer."""

SCRIPT_SHARE = 0.25
"""A document is shingled by characters when at least this share of its word characters are in scripts
written without spaces (a Chinese character carries about as much as three or four Latin letters, so a
quarter of the characters is about half of the content)."""

_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Laoo"),
    (0x0F00, 0x0FFF, "Tibt"),
    (0x1000, 0x109F, "Mymr"),
    (0x1780, 0x17FF, "Khmr"),
    (0x1950, 0x197F, "Tale"),
    (0x1980, 0x19DF, "Talu"),
    (0x19E0, 0x19FF, "Khmr"),  # Khmer symbols
    (0x1A20, 0x1AAF, "Lana"),
    (0x1B00, 0x1B7F, "Bali"),
    (0x2E80, 0x2FDF, "Hani"),  # CJK and Kangxi radicals
    (0x3005, 0x3007, "Hani"),  # iteration mark, closing mark, ideographic zero
    (0x3021, 0x3029, "Hani"),  # Hangzhou numerals
    (0x3031, 0x3035, "Jpan"),  # kana repeat marks
    (0x3038, 0x303B, "Hani"),
    (0x3041, 0x30FF, "Jpan"),  # Hiragana, Katakana
    (0x3100, 0x312F, "Hani"),  # Bopomofo
    (0x31A0, 0x31BF, "Hani"),  # Bopomofo extended
    (0x31C0, 0x31EF, "Hani"),  # CJK strokes
    (0x31F0, 0x31FF, "Jpan"),  # Katakana phonetic extensions
    (0x3400, 0x4DBF, "Hani"),  # extension A
    (0x4E00, 0x9FFF, "Hani"),  # unified ideographs
    (0xA980, 0xA9DF, "Java"),
    (0xA9E0, 0xA9FF, "Mymr"),
    (0xAA60, 0xAA7F, "Mymr"),
    (0xAA80, 0xAADF, "Tavt"),
    (0xF900, 0xFAFF, "Hani"),  # compatibility ideographs
    (0xFF66, 0xFF9F, "Jpan"),  # halfwidth Katakana
    (0x1B000, 0x1B16F, "Jpan"),  # kana supplement and extensions
    (0x20000, 0x3FFFF, "Hani"),  # extensions B and later, compatibility supplement
)
"""Code point ranges (inclusive, sorted) of the letters of each script in ``SCRIPTS``."""

SCRIPT_RANGES_ARRAY = np.array([(low, high, SCRIPTS.index(name)) for low, high, name in _RANGES], dtype=np.int64)
"""``(k, 3)``: low, high, script id; the table the compiled kernels read."""

_LOWS = [low for low, _, _ in _RANGES]

JOINING_RANGES: tuple[tuple[int, int], ...] = (
    *((low, high) for low, high, _ in _RANGES),
    (0x3000, 0x303F),  # CJK symbols and punctuation (ideographic comma, full stop, brackets)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms
)
"""Characters next to which whitespace carries no meaning: letters of scripts written without spaces, and
CJK punctuation. A line break inside a Chinese sentence, or the optional space between Chinese and Latin
text, is formatting; exact dedup's ``collapse_whitespace`` removes whitespace beside these characters."""

_LANGUAGE_SCRIPTS: dict[str, str] = {
    **dict.fromkeys(
        ("zh", "zho", "chi", "cmn", "yue", "wuu", "gan", "hak", "hsn", "lzh", "cdo", "cjy", "cpx", "czh", "czo", "mnp"),
        "Hani",
    ),
    **dict.fromkeys(("ja", "jpn"), "Jpan"),
    **dict.fromkeys(("th", "tha"), "Thai"),
    **dict.fromkeys(("lo", "lao"), "Laoo"),
    **dict.fromkeys(("km", "khm"), "Khmr"),
    **dict.fromkeys(("my", "mya", "bur", "shn", "mnw"), "Mymr"),
    **dict.fromkeys(("bo", "bod", "tib", "dz", "dzo"), "Tibt"),
}
"""ISO 639-1 / 639-3 codes (as lid.176 and GlotLID write them) of languages written without spaces."""

_SCRIPT_ALIASES: dict[str, str] = {
    **{script.lower(): script for script in SCRIPTS},
    "hans": "Hani",
    "hant": "Hani",
    "bopo": "Hani",
    "hira": "Jpan",
    "kana": "Jpan",
    "hrkt": "Jpan",
}
_SCRIPT_CODE = re.compile(r"^[A-Za-z]{4}$")


def script_hint(language: object = None, script: object = None) -> str | None:
    """The script a document's language metadata implies, when it is one written without spaces.

    ``language`` as written by ``language_id`` (``zh``, ``ja``, ``cmn``; also ``zh-Hant``, ``cmn_Hani``);
    ``script`` an ISO 15924 code (GlotLID's ``language_script``). A named script decides first: ``Latn`` says
    "not one of ours" even for a language that usually is. None when the metadata says nothing we know: the
    document's characters decide then.
    """
    if isinstance(script, str) and _SCRIPT_CODE.match(script):
        return _SCRIPT_ALIASES.get(script.lower())
    if not isinstance(language, str) or not language:
        return None
    code, _, suffix = language.replace("-", "_").partition("_")
    if _SCRIPT_CODE.match(suffix):
        return _SCRIPT_ALIASES.get(suffix.lower())
    return _LANGUAGE_SCRIPTS.get(code.lower())


def script_of(character: str) -> str | None:
    """The script in ``SCRIPTS`` a character belongs to, or None."""
    code_point = ord(character)
    position = bisect.bisect_right(_LOWS, code_point) - 1
    if position >= 0 and code_point <= _RANGES[position][1]:
        return _RANGES[position][2]
    return None


def detect_script(word_characters: str) -> str | None:
    """The script a document is shingled in, from its word characters (``"".join(words(text))``).

    None (word shingles) unless at least ``SCRIPT_SHARE`` of the characters are in ``SCRIPTS``; then the most
    frequent script (the first in ``SCRIPTS`` on a tie). Han characters count as Japanese when kana make up
    at least a twentieth of the Han and kana characters.
    """
    counts = dict.fromkeys(SCRIPTS, 0)
    for character in word_characters:
        if ord(character) >= 0x0E00:
            script = script_of(character)
            if script is not None:
                counts[script] += 1
    if counts["Jpan"] and counts["Jpan"] * 20 >= counts["Jpan"] + counts["Hani"]:
        counts["Jpan"] += counts["Hani"]
        counts["Hani"] = 0
    unspaced = sum(counts.values())
    if unspaced == 0 or unspaced < SCRIPT_SHARE * len(word_characters):
        return None
    return max(SCRIPTS, key=lambda script: (counts[script], -SCRIPTS.index(script)))


def script_ngrams(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """The shingle length of every script: ``SCRIPT_NGRAMS`` with ``overrides`` (checked) applied."""
    lengths = dict(SCRIPT_NGRAMS)
    for script, length in (overrides or {}).items():
        if script not in lengths:
            raise ValueError(f"unknown script {script!r} in script_ngrams; known: {', '.join(SCRIPTS)}")
        if not isinstance(length, int) or isinstance(length, bool) or length < 1:
            raise ValueError(f"script_ngrams[{script!r}] must be a positive integer, got {length!r}")
        lengths[script] = length
    return lengths
