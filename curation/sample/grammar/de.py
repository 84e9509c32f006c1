"""German morphology: articles and adjective endings by case, gender and number; verb forms; contractions.

Only the nominative, accusative and dative are used freely; the genitive appears only in the plural
("die Analyse der Proben"), which avoids the irregular singular genitive endings.
"""

from __future__ import annotations

import random
import re

from curation.sample.grammar.base import Adj, Grammar, Noun, Phrase, Verb

# Keys: case -> gender ("m", "f", "n", or "p" for plural).
_DEFINITE = {
    "nom": {"m": "der", "f": "die", "n": "das", "p": "die"},
    "acc": {"m": "den", "f": "die", "n": "das", "p": "die"},
    "dat": {"m": "dem", "f": "der", "n": "dem", "p": "den"},
    "gen": {"p": "der"},
}
_DEMONSTRATIVE = {
    "nom": {"m": "dieser", "f": "diese", "n": "dieses", "p": "diese"},
    "acc": {"m": "diesen", "f": "diese", "n": "dieses", "p": "diese"},
    "dat": {"m": "diesem", "f": "dieser", "n": "diesem", "p": "diesen"},
    "gen": {"p": "dieser"},
}
_INDEFINITE = {
    "nom": {"m": "ein", "f": "eine", "n": "ein"},
    "acc": {"m": "einen", "f": "eine", "n": "ein"},
    "dat": {"m": "einem", "f": "einer", "n": "einem"},
}
_WEAK = {
    "nom": {"m": "e", "f": "e", "n": "e", "p": "en"},
    "acc": {"m": "en", "f": "e", "n": "e", "p": "en"},
    "dat": {"m": "en", "f": "en", "n": "en", "p": "en"},
    "gen": {"p": "en"},
}
_MIXED = {
    "nom": {"m": "er", "f": "e", "n": "es"},
    "acc": {"m": "en", "f": "e", "n": "es"},
    "dat": {"m": "en", "f": "en", "n": "en"},
}
_STRONG_PLURAL = {"nom": "e", "acc": "e", "dat": "en", "gen": "er"}
_QUANTIFIERS = ("viele", "einige", "mehrere", "zahlreiche")
_RELATIVE_NOM = {"m": "der", "f": "die", "n": "das", "p": "die"}
_RELATIVE_ACC = {"m": "den", "f": "die", "n": "das", "p": "die"}
_CONTRACTIONS = (
    (re.compile(r"\b([Vv])on dem\b"), r"\1om"),
    (re.compile(r"\b([Ii])n dem\b"), r"\1m"),
    (re.compile(r"\b([Zz])u dem\b"), r"\1um"),
    (re.compile(r"\b([Zz])u der\b"), r"\1ur"),
    (re.compile(r"\b([Bb])ei dem\b"), r"\1eim"),
    (re.compile(r"\b([Aa])n dem\b"), r"\1m"),
    (re.compile(r",\s*“"), "“"),
)


def inflect(stem: str, ending: str) -> str:
    """Attach an adjective ending; stems in -e (mürbe) do not double the e."""
    if stem.endswith("e") and ending.startswith("e"):
        return stem + ending[1:]
    return stem + ending


def _needs_linking_e(stem: str) -> bool:
    """`arbeit-et`, `öffn-et`: stems in -t/-d or consonant + m/n take an extra e."""
    if stem.endswith(("t", "d")):
        return True
    return len(stem) > 1 and stem[-1] in "mn" and stem[-2] not in "aeiouäöülrmnh"


def regular_verb(infinitive: str) -> Verb:
    stem = infinitive[:-1] if infinitive.endswith(("eln", "ern")) else infinitive[:-2]
    e = "e" if _needs_linking_e(stem) else ""
    past = f"{stem}{e}te"
    return Verb(infinitive, f"{stem}{e}t", infinitive, past, past + "n")


def dative_plural(noun: str) -> str:
    return noun if noun.endswith(("n", "s")) else noun + "n"


class GermanGrammar(Grammar):
    code = "de"
    thousands_sep = "."
    decimal_sep = ","
    percent_pattern = "{N} Prozent"
    date_pattern = "{D}. {MONTH} {YEAR}"
    copula = ("ist", "sind")
    copula_past = ("war", "waren")
    role_pattern = "{NAME}, {ROLE} {AT},"
    place_preposition = "in"
    pp_case = "dat"

    def parse_noun(self, spec: str) -> Noun:
        gender, sg, pl = spec.split()
        return Noun(sg, pl, gender)

    def parse_verb(self, spec: str) -> Verb:
        parts = spec.split("|")
        if len(parts) == 1:
            return regular_verb(parts[0])
        return Verb(*parts)

    def parse_adjective(self, spec: str) -> Adj:
        return Adj(spec, spec, spec, spec)

    def _article_and_ending(self, det: str, case: str, gender: str, rng: random.Random) -> tuple[str, str]:
        if det == "def":
            return _DEFINITE[case][gender], _WEAK[case][gender]
        if det == "dem":
            return _DEMONSTRATIVE[case][gender], _WEAK[case][gender]
        if det == "indef":
            return _INDEFINITE[case][gender], _MIXED[case][gender]
        if det == "quant":
            quantifier = rng.choice(_QUANTIFIERS)
            return (quantifier + "n" if case == "dat" else quantifier), _STRONG_PLURAL[case]
        return "", _STRONG_PLURAL[case]

    def noun_phrase(
        self,
        domain: str,
        rng: random.Random,
        *,
        agent: bool = False,
        case: str = "nom",
        depth: int = 0,
        det: str | None = None,
        plural: bool | None = None,
    ) -> Phrase:
        noun, plural, adj = self.np_parts(domain, rng, agent, plural)
        det = det or self.determiner_kind(plural, rng)
        if case == "gen" and det in ("bare", "quant", "indef"):
            det = "def"
        gender = "p" if plural else noun.gender
        article, ending = self._article_and_ending(det, case, gender, rng)
        form = noun.form(plural)
        if plural and case == "dat":
            form = dative_plural(form)
        words = [article, inflect(adj.m, ending) if adj else "", form]
        modifier = self.modifier_kind(rng, depth, agent)
        if modifier == "complement":
            if rng.random() < 0.5:
                words.append(self.noun_phrase(domain, rng, case="gen", depth=depth + 1, plural=True).text)
            else:
                inner = self.noun_phrase(domain, rng, case="dat", depth=depth + 1)
                words.append(f"von {inner.text}")
        elif modifier == "relative":
            verb = rng.choice(self.lex[domain].verbs)
            obj = self.noun_phrase(domain, rng, case="acc", depth=depth + 1)
            words[-1] += ","
            words.append(f"{_RELATIVE_NOM[gender]} {obj.text} {verb.present(plural)},")
        return Phrase(" ".join(w for w in words if w), plural, noun.gender)

    def _agents(self, domain: str, rng: random.Random, quantifier: str) -> Phrase:
        noun = rng.choice(self.lex[domain].agents)
        adj = inflect(rng.choice(self.lex[domain].adjectives).m, "e") if rng.random() < 0.3 else ""
        return Phrase(" ".join(w for w in (quantifier, adj, noun.pl) if w), True, noun.gender)

    def quantified_agents(self, domain: str, rng: random.Random) -> Phrase:
        return self._agents(domain, rng, rng.choice(_QUANTIFIERS))

    def generic_agents(self, domain: str, rng: random.Random) -> Phrase:
        return self._agents(domain, rng, "")

    def plural_np(self, domain: str, rng: random.Random) -> str:
        return self.noun_phrase(domain, rng, case="gen", depth=1, plural=True, det="def").text

    def title_np(self, domain: str, rng: random.Random) -> str:
        return self.noun_phrase(domain, rng, case="acc", depth=1, plural=True, det="bare").text

    def relative_pronoun(self, obj: Phrase) -> str:
        return _RELATIVE_ACC["p" if obj.plural else obj.gender]

    def orthography(self, text: str) -> str:
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
        return text
