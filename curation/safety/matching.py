"""Find many terms in a text in one pass: Aho-Corasick over normalised text, whole words where words have spaces.

A term list of any size is compiled once into an Aho-Corasick automaton (``pyahocorasick``, C), so finding
every occurrence of every term costs one pass over the text, linear in its length plus the number of
matches, whatever the number of terms. A regular-expression alternation of the same terms is also one
pass in principle, but Python's ``re`` tries the alternatives one after another at each position: its cost
grows with the number of terms (``benchmarks/term_lists.py`` measures both).

What counts as an occurrence:

- text and terms are compared after normalisation: lower case (unless the list is case-sensitive), and
  every run of whitespace read as one space, so ``blow  job`` or a phrase broken over two lines still
  matches ``blow job``; offsets are always reported in the original text;
- a term that begins (ends) with a letter or digit of a script written with spaces must begin (end) a word
  there: the character before (after) it may not be such a letter or digit, so ``ass`` is not found in
  ``class`` or ``assistant``. Scripts written without spaces (Chinese, Japanese, Thai, ...; the table of
  ``curation.dedup.scripts``) have no word boundaries to check: their terms match as substrings, as in
  C4's filter for Chinese, Japanese and Thai, and a Latin term next to a Chinese character is a whole word.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import ahocorasick

from curation.dedup.scripts import SCRIPT_RANGES_ARRAY, script_of

_WHITESPACE_TO_SPACE = re.compile(r"\s{2,}|[^\S ]")
"""What becomes one space: a run of whitespace, or one whitespace character other than a space (a single
space is left alone, which is what makes this faster than replacing every whitespace run)."""
_LONG_WHITESPACE_RUN = re.compile(r"\s{2,}")


def is_spaced_word_character(character: str) -> bool:
    """A letter, mark or digit (or ``_``) of a script that separates words with spaces."""
    if character == "_":
        return True
    if unicodedata.category(character)[0] not in "LMN":
        return False
    return ord(character) < 0x0E00 or script_of(character) is None


def normalise_term(term: str, case_sensitive: bool = False) -> str:
    """A term as it is matched: surrounding whitespace removed, inner runs as one space, lower case unless
    ``case_sensitive``."""
    term = " ".join(term.split())
    return term if case_sensitive else lower_same_length(term)


def lower_same_length(text: str) -> str:
    """``text.lower()``, except for the few characters whose lower case is longer (``İ``), which stay as they
    are, so that every offset in the result is the offset in ``text``."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := character.lower()) == 1 else character for character in text)


@dataclass(frozen=True)
class NormalisedText:
    """A text with whitespace runs collapsed to one space (and lower-cased if asked), and the way back to the
    original offsets."""

    text: str
    _starts: tuple[int, ...] = ()
    """Positions in ``text`` right after each collapsed run."""
    _shifts: tuple[int, ...] = ()
    """Characters removed before each of those positions, cumulated."""

    @classmethod
    def of(cls, text: str, lower: bool) -> NormalisedText:
        if lower:
            text = lower_same_length(text)
        collapsed = _WHITESPACE_TO_SPACE.sub(" ", text)
        if len(collapsed) == len(text):  # every run was one character: offsets are unchanged
            return cls(collapsed)
        starts, shifts, removed = [], [], 0
        for run in _LONG_WHITESPACE_RUN.finditer(text):  # single characters keep their offsets
            removed += run.end() - run.start() - 1
            starts.append(run.end() - removed)
            shifts.append(removed)
        return cls(collapsed, tuple(starts), tuple(shifts))

    def original_offset(self, position: int) -> int:
        """The offset in the original text of the character at ``position`` (or of the end, for an end)."""
        index = bisect.bisect_right(self._starts, position) - 1
        return position + (self._shifts[index] if index >= 0 else 0)


@dataclass(frozen=True, slots=True)
class TermMatch:
    """One occurrence: the term's index in the matcher and its span in the original text (``start`` inclusive,
    ``end`` exclusive, in characters); ``TermMatcher.units_of(term)`` gives the words it covers."""

    term: int
    start: int
    end: int


class TermMatcher:
    """Every occurrence of many terms in a text, in one Aho-Corasick pass (see the module docstring).

    Args:
        terms: the terms (words or phrases, any script). Terms equal after normalisation are one term; the
            matcher's ``terms`` keeps the first spelling and ``payloads`` what each term was given with.
        payloads: one hashable value per term (which list it came from, say); default: the term's position.
        case_sensitive: compare as written instead of in lower case.
        suffixes: endings a whole-word term may also take (``("s", "es")``: ``porn`` also finds ``porns``,
            ``nutte`` finds ``nutten``), for plural and inflected forms that lists rarely spell out.
        whole_words: False to match every term as a substring, in any script.

    Raises:
        ValueError: a term that is empty after normalisation.
    """

    def __init__(
        self,
        terms: Iterable[str],
        payloads: Sequence[Hashable] | None = None,
        case_sensitive: bool = False,
        suffixes: Sequence[str] = (),
        whole_words: bool = True,
    ):
        self.case_sensitive = case_sensitive
        self.suffixes = tuple(sorted({normalise_term(s, case_sensitive) for s in suffixes if s.strip()}, key=len))
        self.terms: list[str] = []
        self.payloads: list[list[Hashable]] = []
        self._bounded: list[tuple[bool, bool]] = []
        self._units: list[int] = []
        self._lengths: list[int] = []
        index_of: dict[str, int] = {}
        terms = list(terms)
        for position, term in enumerate(terms):
            payload = payloads[position] if payloads is not None else position
            key = normalise_term(term, case_sensitive)
            if not key:
                raise ValueError(f"term {position + 1} ({term!r}) is empty")
            if key in index_of:
                if payload not in self.payloads[index_of[key]]:
                    self.payloads[index_of[key]].append(payload)
                continue
            index_of[key] = len(self.terms)
            self.terms.append(term)
            self.payloads.append([payload])
            self._bounded.append(
                (whole_words and is_spaced_word_character(key[0]), whole_words and is_spaced_word_character(key[-1]))
            )
            self._units.append(count_units(key))
            self._lengths.append(len(key))
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for key, index in index_of.items():
            self._automaton.add_word(key, index)
        if index_of:
            self._automaton.make_automaton()
        self._empty = not index_of

    def __len__(self) -> int:
        return len(self.terms)

    def units_of(self, term: int) -> int:
        """Words (or characters of scripts without spaces) in a term: ``blow job`` 2, ``乳房`` 2."""
        return self._units[term]

    def normalise(self, text: str) -> NormalisedText:
        return NormalisedText.of(text, lower=not self.case_sensitive)

    def find(self, text: str | NormalisedText) -> list[TermMatch]:
        """Every occurrence (overlapping ones included), in order of their end, with original offsets."""
        normalised = text if isinstance(text, NormalisedText) else self.normalise(text)
        if self._empty:
            return []
        body = normalised.text
        matches = []
        for last, term in self._automaton.iter(body):
            end = last + 1
            start = end - self._lengths[term]
            left, right = self._bounded[term]
            if left and start > 0 and is_spaced_word_character(body[start - 1]):
                continue
            if right and end < len(body) and is_spaced_word_character(body[end]):
                end = self._inflected_end(body, end)
                if end < 0:
                    continue
            matches.append(TermMatch(term, normalised.original_offset(start), normalised.original_offset(end - 1) + 1))
        return matches

    def _inflected_end(self, body: str, end: int) -> int:
        """The end of the word when the text goes on with one of ``suffixes`` and then a boundary; else -1."""
        for suffix in self.suffixes:
            stop = end + len(suffix)
            if body.startswith(suffix, end) and (stop == len(body) or not is_spaced_word_character(body[stop])):
                return stop
        return -1


def leftmost_longest(matches: Iterable[TermMatch]) -> list[TermMatch]:
    """Non-overlapping matches, chosen left to right, the longest where several start together (for
    replacing text)."""
    chosen: list[TermMatch] = []
    for match in sorted(matches, key=lambda m: (m.start, -(m.end - m.start))):
        if chosen and match.start < chosen[-1].end:
            continue
        chosen.append(match)
    return chosen


_UNITS = re.compile(r"[^\W\d_]+|\d+")
_UNSPACED_CLASS = "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high, _ in SCRIPT_RANGES_ARRAY)
_UNSPACED_CHARACTER = re.compile(f"[{_UNSPACED_CLASS}]")
"""A character of a script written without spaces (``script_of`` is not None), as one character class."""
_UNSPACED_WORD = re.compile(rf"(?<![^\W\d_])[^\W\d_]*(?=[^\W\d_])[{_UNSPACED_CLASS}][^\W\d_]*")
"""A whole word (as ``_UNITS`` splits them) holding at least one such character; the lookbehind anchors each
try at a word's start, so a long word is read once, not once per position."""


def count_units(text: str) -> int:
    """Words in ``text``, where each character of a script written without spaces counts as one word.

    A Chinese character carries about as much as a short word, so shares of flagged words are comparable
    across scripts: ``乳腺癌筛查`` is 5 units, ``breast cancer screening`` 3. A word mixing such characters
    with others (``iPhone手机``) counts them one each, plus one for the rest. Two regular-expression passes
    (three for text holding such characters), no Python loop over words.
    """
    units = len(_UNITS.findall(text))
    if not units or _UNSPACED_CHARACTER.search(text) is None:
        return units
    for word in _UNSPACED_WORD.findall(text):
        unspaced = len(_UNSPACED_CHARACTER.findall(word))
        units += unspaced - 1 + (1 if unspaced < len(word) else 0)
    return units
