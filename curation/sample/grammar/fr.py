"""French morphology: gendered determiners, post-nominal adjective agreement, elision and contraction."""

from __future__ import annotations

import re

from curation.sample.grammar.base import Adj, Noun, Verb
from curation.sample.grammar.romance import RomanceGrammar

_VOWEL_START = "aeiouyhâàéèêëîïôöûùAEIOUYHÂÀÉÈÊËÎÏÔÖÛÙ"
_ELISION_RE = re.compile(rf"\b([LlDd]e|[Ll]a|[Qq]ue|[Ll]orsque|[Pp]uisque) (?=[{_VOWEL_START}])")
_CE_RE = re.compile(rf"\b([Cc])e (?=[{_VOWEL_START}])")
_CONTRACTIONS = (
    (re.compile(r"\bde le\b"), "du"),
    (re.compile(r"\bDe le\b"), "Du"),
    (re.compile(r"\bde les\b"), "des"),
    (re.compile(r"\bDe les\b"), "Des"),
    (re.compile(r"\bà le\b"), "au"),
    (re.compile(r"\bÀ le\b"), "Au"),
    (re.compile(r"\bà les\b"), "aux"),
    (re.compile(r"\bÀ les\b"), "Aux"),
)
_DETERMINERS = {
    ("def", False): {"m": "le", "f": "la"},
    ("def", True): {"m": "les", "f": "les"},
    ("indef", False): {"m": "un", "f": "une"},
    ("bare", True): {"m": "des", "f": "des"},
    ("dem", False): {"m": "ce", "f": "cette"},
    ("dem", True): {"m": "ces", "f": "ces"},
}
_QUANTIFIERS = (
    {"m": "plusieurs", "f": "plusieurs"},
    {"m": "de nombreux", "f": "de nombreuses"},
    {"m": "certains", "f": "certaines"},
)


def pluralise(noun: str) -> str:
    if noun.endswith(("s", "x", "z")):
        return noun
    if noun.endswith("al"):
        return noun[:-2] + "aux"
    if noun.endswith(("eau", "au", "eu")):
        return noun + "x"
    return noun + "s"


def regular_verb(infinitive: str) -> Verb:
    """Present and passé composé of a regular -er verb (déployer -> déploie)."""
    stem = infinitive[:-2]
    if stem.endswith(("oy", "uy")):
        sg, pl = stem[:-1] + "ie", stem[:-1] + "ient"
    else:
        sg, pl = stem + "e", stem + "ent"
    participle = stem + "é"
    return Verb(infinitive, sg, pl, f"a {participle}", f"ont {participle}")


class FrenchGrammar(RomanceGrammar):
    code = "fr"
    determiners = _DETERMINERS
    quantifiers = _QUANTIFIERS
    relative_pronoun = "qui"
    contractions = _CONTRACTIONS
    thousands_sep = " "
    decimal_sep = ","
    percent_pattern = "{N} pour cent"
    date_pattern = "{D} {MONTH} {YEAR}"
    copula = ("est", "sont")
    copula_past = ("était", "étaient")
    role_pattern = "{NAME}, {ROLE} {AT},"
    place_preposition = "à"
    space_before_punct_re = re.compile(r"\s+([,.])")

    def parse_noun(self, spec: str) -> Noun:
        gender, rest = spec.split(" ", 1)
        sg, _, pl = rest.partition("|")
        return Noun(sg, pl or pluralise(sg), gender)

    def parse_verb(self, spec: str) -> Verb:
        parts = spec.split("|")
        if len(parts) == 1:
            return regular_verb(parts[0])
        infinitive, sg, pl, participle = parts
        return Verb(infinitive, sg, pl, f"a {participle}", f"ont {participle}")

    def parse_adjective(self, spec: str) -> Adj:
        m, _, f = spec.partition("/")
        if not f:
            f = m if m.endswith("e") else m + "e"
        if m.endswith(("s", "x")):
            mpl = m
        elif m.endswith("al"):
            mpl = m[:-2] + "aux"
        else:
            mpl = m + "s"
        return Adj(m, f, mpl, f if f.endswith("s") else f + "s")

    def orthography(self, text: str) -> str:
        """Elision and "cet" first (they look at the next word), then the contractions."""
        text = _CE_RE.sub(r"\1et ", text)
        text = _ELISION_RE.sub(lambda m: m[1][:-1] + "'", text)
        return super().orthography(text)
