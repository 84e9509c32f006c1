"""What a word is, for shingling: one definition shared by the compiled kernels and the Python reference.

Documents are lower-cased (``str.lower``) and encoded as UTF-8. A word is a maximal run of word characters:
ASCII letters, digits and ``_``, and every non-ASCII code point outside ``NON_WORD_RANGES`` (punctuation,
symbols, spaces and emoji blocks). This is close to the regex ``\\w+`` used to define duplicates in the
sample corpus, but it can be decided from a code point with a dozen comparisons, so the compiled kernel
tokenises without calling back into Python.
"""

from __future__ import annotations

import re

import numpy as np

NON_WORD_RANGES: tuple[tuple[int, int], ...] = (
    (0x0080, 0x00BF),  # C1 controls, no-break space, Latin-1 punctuation and signs
    (0x00D7, 0x00D7),  # multiplication sign
    (0x00F7, 0x00F7),  # division sign
    (0x037E, 0x037E),  # Greek question mark
    (0x0387, 0x0387),  # Greek ano teleia
    (0x055A, 0x055F),  # Armenian punctuation
    (0x0589, 0x058A),
    (0x05BE, 0x05BE),  # Hebrew maqaf
    (0x05C0, 0x05C0),
    (0x05C3, 0x05C3),
    (0x05F3, 0x05F4),
    (0x060C, 0x060D),  # Arabic comma
    (0x061B, 0x061F),  # Arabic semicolon, question mark
    (0x066A, 0x066D),
    (0x06D4, 0x06D4),  # Arabic full stop
    (0x0964, 0x0965),  # Devanagari danda
    (0x0E4F, 0x0E4F),
    (0x0E5A, 0x0E5B),
    (0x10FB, 0x10FB),
    (0x1360, 0x1368),  # Ethiopic punctuation
    (0x1680, 0x1680),  # Ogham space
    (0x2000, 0x206F),  # general punctuation: spaces, dashes, quotes, bullets
    (0x20A0, 0x20CF),  # currency signs
    (0x2100, 0x214F),  # letterlike symbols
    (0x2190, 0x2BFF),  # arrows, maths, technical, box drawing, shapes, dingbats
    (0x2E00, 0x2E7F),  # supplemental punctuation
    (0x3000, 0x3004),  # ideographic space and punctuation
    (0x3008, 0x3020),
    (0x3030, 0x3030),
    (0xFD3E, 0xFD3F),
    (0xFE10, 0xFE1F),  # vertical forms
    (0xFE30, 0xFE4F),
    (0xFE50, 0xFE6F),  # small form variants
    (0xFEFF, 0xFEFF),  # byte order mark
    (0xFF00, 0xFF0F),  # fullwidth punctuation
    (0xFF1A, 0xFF20),
    (0xFF3B, 0xFF40),
    (0xFF5B, 0xFF65),
    (0xFFF0, 0xFFFF),  # specials, replacement character
    (0x1F000, 0x1FAFF),  # mahjong, cards, emoji, pictographs
)
"""Non-ASCII code point ranges (inclusive) that separate words."""

NON_WORD_RANGES_ARRAY = np.array(NON_WORD_RANGES, dtype=np.int64)
"""The same table as a ``(k, 2)`` array for the compiled kernels."""

_NON_WORD_CLASS = "".join(
    re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
    for low, high in NON_WORD_RANGES
)
_TOKEN_RE = re.compile(f"(?:(?![{_NON_WORD_CLASS}])[0-9A-Za-z_\u0080-\U0010ffff])+")

TEXT_ENCODING_ERRORS = "surrogatepass"
"""Lone surrogates (which Python strings can hold) are encoded rather than rejected, in both code paths."""


def prepare(text: str) -> bytes:
    """The bytes the kernels see for ``text``: lower-cased UTF-8."""
    return text.lower().encode("utf-8", TEXT_ENCODING_ERRORS)


def words(text: str) -> list[str]:
    """The words of ``text`` exactly as the compiled tokeniser finds them (reference implementation)."""
    return _TOKEN_RE.findall(text.lower())


def normalise_for_characters(text: str) -> str:
    """Lower-cased, whitespace runs collapsed to one space: the string character shingles are cut from."""
    return " ".join(text.lower().split())
