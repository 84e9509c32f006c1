"""English morphology: regular plurals and verb forms, determiners, and the a/an rule."""

from __future__ import annotations

import random
import re

from curation.sample.grammar.base import Adj, Grammar, Noun, Phrase, Verb

_SIBILANT_ENDINGS = ("s", "sh", "ch", "x", "z", "o")
_VOWELS = "aeiou"
_ARTICLE_RE = re.compile(r"\b([Aa]) (?=([\w-]+))")
_CONSONANT_SOUND_VOWELS = ("uni", "use", "usu", "uti", "eu", "one", "once")
_VOWEL_SOUND_CONSONANTS = ("hour", "honest", "heir")


def pluralise(noun: str) -> str:
    if noun.endswith(_SIBILANT_ENDINGS[:-1]):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in _VOWELS:
        return noun[:-1] + "ies"
    return noun + "s"


def third_person(verb: str) -> str:
    if verb.endswith(_SIBILANT_ENDINGS):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in _VOWELS:
        return verb[:-1] + "ies"
    return verb + "s"


def past_tense(verb: str) -> str:
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2:-1] not in _VOWELS:
        return verb[:-1] + "ied"
    return verb + "ed"


def _article(match: re.Match[str]) -> str:
    word = match[2].lower()
    vowel_sound = word[0] in _VOWELS and not word.startswith(_CONSONANT_SOUND_VOWELS)
    if vowel_sound or word.startswith(_VOWEL_SOUND_CONSONANTS):
        return f"{match[1]}n "
    return match[0]


class EnglishGrammar(Grammar):
    code = "en"
    role_pattern = "{NAME}, a {ROLE} {AT},"

    def parse_noun(self, spec: str) -> Noun:
        sg, _, pl = spec.partition("|")
        return Noun(sg, pl or pluralise(sg))

    def parse_verb(self, spec: str) -> Verb:
        parts = spec.split("|")
        base = parts[0]
        third = parts[1] if len(parts) > 1 else third_person(base)
        past = parts[2] if len(parts) > 2 else past_tense(base)
        return Verb(base, third, base, past, past)

    def parse_adjective(self, spec: str) -> Adj:
        return Adj(spec, spec, spec, spec)

    @staticmethod
    def _determiner(kind: str, plural: bool, rng: random.Random) -> str:
        if kind == "def":
            return "the"
        if kind == "indef":
            return "a"
        if kind == "dem":
            return rng.choice(("these", "those")) if plural else rng.choice(("this", "that"))
        if kind == "quant":
            return rng.choice(("many", "several", "some", "most"))
        return ""

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
        if det in ("bare", "quant") and not plural:
            det = "def"
        words = [self._determiner(det, plural, rng), adj.m if adj else "", noun.form(plural)]
        modifier = self.modifier_kind(rng, depth, agent)
        if modifier == "complement":
            inner = self.noun_phrase(domain, rng, depth=depth + 1, det=rng.choice(("def", "def", "bare")))
            words.append(f"of {inner.text}")
        elif modifier == "relative":
            verb = rng.choice(self.lex[domain].verbs)
            obj = self.noun_phrase(domain, rng, depth=depth + 1)
            words.append(f"that {verb.present(plural)} {obj.text}")
        return Phrase(" ".join(w for w in words if w), plural)

    def _agents(self, domain: str, rng: random.Random, prefix: str) -> Phrase:
        noun = rng.choice(self.lex[domain].agents)
        adj = rng.choice(self.lex[domain].adjectives).m if rng.random() < 0.3 else ""
        return Phrase(" ".join(w for w in (prefix, adj, noun.pl) if w), True)

    def quantified_agents(self, domain: str, rng: random.Random) -> Phrase:
        return self._agents(domain, rng, rng.choice(("many", "some", "several", "most")))

    def generic_agents(self, domain: str, rng: random.Random) -> Phrase:
        return self._agents(domain, rng, "")

    def plural_np(self, domain: str, rng: random.Random) -> str:
        np = self.noun_phrase(domain, rng, depth=1, plural=True, det=rng.choice(("def", "bare")))
        return np.text

    def title_np(self, domain: str, rng: random.Random) -> str:
        return self.noun_phrase(domain, rng, depth=1, plural=True, det="bare").text

    def orthography(self, text: str) -> str:
        return _ARTICLE_RE.sub(_article, text)
