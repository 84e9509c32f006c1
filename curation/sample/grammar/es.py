"""Spanish morphology: gendered determiners, post-nominal adjective agreement, verb forms, del/al."""

from __future__ import annotations

import re

from curation.sample.grammar.base import Adj, Noun, Verb
from curation.sample.grammar.romance import RomanceGrammar

_UNACCENT = str.maketrans("áéíóú", "aeiou")
_VOWELS = "aeiouáéíóú"
_CONTRACTIONS = (
    (re.compile(r"\b([Dd])e el\b"), r"\1el"),
    (re.compile(r"\b([Aa]) el\b"), r"\1l"),
    # "y" becomes "e" before an /i/ sound (padres e hijos), but not before "hie" (agua y hielo).
    (re.compile(r"\by (?=[iIíÍ]|[hH][iIíÍ](?![aeoáéó]))"), "e "),
)
_DETERMINERS = {
    ("def", False): {"m": "el", "f": "la"},
    ("def", True): {"m": "los", "f": "las"},
    ("indef", False): {"m": "un", "f": "una"},
    ("bare", True): {"m": "unos", "f": "unas"},
    ("dem", False): {"m": "este", "f": "esta"},
    ("dem", True): {"m": "estos", "f": "estas"},
}
_QUANTIFIERS = (
    {"m": "varios", "f": "varias"},
    {"m": "muchos", "f": "muchas"},
    {"m": "algunos", "f": "algunas"},
    {"m": "numerosos", "f": "numerosas"},
)
_ENDINGS = {
    "ar": ("a", "an", "ó", "aron"),
    "er": ("e", "en", "ió", "ieron"),
    "ir": ("e", "en", "ió", "ieron"),
}


def pluralise(word: str) -> str:
    """Regular plural: vowel + s, consonant + es, -z -> -ces, and the stress accent of -ón/-án/-én dropped."""
    if word[-1] in _VOWELS:
        return word + "s"
    if word.endswith("z"):
        return word[:-1] + "ces"
    if len(word) > 2 and word[-2] in "áéó" and word[-1] in "ns":
        return word[:-2] + word[-2:].translate(_UNACCENT) + "es"
    return word + "es"


def regular_verb(infinitive: str) -> Verb:
    stem = infinitive[:-2]
    sg, pl, past_sg, past_pl = (stem + e for e in _ENDINGS[infinitive[-2:]])
    return Verb(infinitive, sg, pl, past_sg, past_pl)


class SpanishGrammar(RomanceGrammar):
    code = "es"
    determiners = _DETERMINERS
    quantifiers = _QUANTIFIERS
    relative_pronoun = "que"
    contractions = _CONTRACTIONS
    thousands_sep = "."
    decimal_sep = ","
    percent_pattern = "{N} por ciento"
    date_pattern = "{D} de {MONTH} de {YEAR}"
    copula = ("es", "son")
    copula_past = ("era", "eran")
    role_pattern = "{NAME}, {ROLE} {AT},"
    place_preposition = "en"

    def parse_noun(self, spec: str) -> Noun:
        gender, rest = spec.split(" ", 1)
        sg, _, pl = rest.partition("|")
        return Noun(sg, pl or pluralise(sg), gender)

    def parse_verb(self, spec: str) -> Verb:
        parts = spec.split("|")
        if len(parts) == 1:
            return regular_verb(parts[0])
        return Verb(*parts)

    def parse_adjective(self, spec: str) -> Adj:
        m, _, f = spec.partition("/")
        if not f:
            f = m[:-1] + "a" if m.endswith("o") else m
        return Adj(m, f, pluralise(m), pluralise(f))
