"""French morphology: gendered determiners, post-nominal adjective agreement, elision and contraction."""

from __future__ import annotations

import random
import re

from curation.sample.grammar.base import Adj, Grammar, Noun, Phrase, Verb

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


class FrenchGrammar(Grammar):
    code = "fr"
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
        quantifier = rng.choice(_QUANTIFIERS) if det == "quant" else _DETERMINERS[(det, plural)]
        article = quantifier[noun.gender]
        words = [article, noun.form(plural), adj.form(noun.gender, plural) if adj else ""]
        modifier = self.modifier_kind(rng, depth, agent)
        if modifier == "complement":
            inner = self.noun_phrase(domain, rng, depth=depth + 1, det="def")
            words.append(f"de {inner.text}")
        elif modifier == "relative":
            verb = rng.choice(self.lex[domain].verbs)
            obj = self.noun_phrase(domain, rng, depth=depth + 1)
            words.append(f"qui {verb.present(plural)} {obj.text}")
        return Phrase(" ".join(w for w in words if w), plural, noun.gender)

    def _agents(self, domain: str, rng: random.Random, determiner: dict[str, str]) -> Phrase:
        noun = rng.choice(self.lex[domain].agents)
        adj = rng.choice(self.lex[domain].adjectives).form(noun.gender, True) if rng.random() < 0.3 else ""
        return Phrase(" ".join(w for w in (determiner[noun.gender], noun.pl, adj) if w), True, noun.gender)

    def quantified_agents(self, domain: str, rng: random.Random) -> Phrase:
        return self._agents(domain, rng, rng.choice(_QUANTIFIERS))

    def generic_agents(self, domain: str, rng: random.Random) -> Phrase:
        return self._agents(domain, rng, _DETERMINERS[("def", True)])

    def plural_np(self, domain: str, rng: random.Random) -> str:
        return self.noun_phrase(domain, rng, depth=1, plural=True, det="def").text

    def title_np(self, domain: str, rng: random.Random) -> str:
        return self.plural_np(domain, rng)

    def orthography(self, text: str) -> str:
        text = _CE_RE.sub(r"\1et ", text)
        text = _ELISION_RE.sub(lambda m: m[1][:-1] + "'", text)
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
        return text
