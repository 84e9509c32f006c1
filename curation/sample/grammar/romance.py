"""What Spanish and French share: determiner + noun + post-nominal adjective, complements and relative
clauses after the noun, and contractions applied to the finished sentence."""

from __future__ import annotations

import random
import re
from typing import ClassVar

from curation.sample.grammar.base import Grammar, Phrase


class RomanceGrammar(Grammar):
    """A grammar whose noun phrases are ``article noun adjective [de NP | RELATIVE verb NP]``.

    Subclasses give their articles per (determiner kind, plural) and gender, their quantifiers, the relative
    pronoun and the contraction rules (pattern, replacement) applied by ``orthography``.
    """

    determiners: ClassVar[dict[tuple[str, bool], dict[str, str]]]
    quantifiers: ClassVar[tuple[dict[str, str], ...]]
    relative_pronoun: ClassVar[str]
    contractions: ClassVar[tuple[tuple[re.Pattern[str], str], ...]]

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
        quantifier = rng.choice(self.quantifiers) if det == "quant" else self.determiners[(det, plural)]
        article = quantifier[noun.gender]
        words = [article, noun.form(plural), adj.form(noun.gender, plural) if adj else ""]
        modifier = self.modifier_kind(rng, depth, agent)
        if modifier == "complement":
            inner = self.noun_phrase(domain, rng, depth=depth + 1, det="def")
            words.append(f"de {inner.text}")
        elif modifier == "relative":
            verb = rng.choice(self.lex[domain].verbs)
            obj = self.noun_phrase(domain, rng, depth=depth + 1)
            words.append(f"{self.relative_pronoun} {verb.present(plural)} {obj.text}")
        return Phrase(" ".join(w for w in words if w), plural, noun.gender)

    def _agents(self, domain: str, rng: random.Random, determiner: dict[str, str]) -> Phrase:
        noun = rng.choice(self.lex[domain].agents)
        adj = rng.choice(self.lex[domain].adjectives).form(noun.gender, True) if rng.random() < 0.3 else ""
        return Phrase(" ".join(w for w in (determiner[noun.gender], noun.pl, adj) if w), True, noun.gender)

    def quantified_agents(self, domain: str, rng: random.Random) -> Phrase:
        return self._agents(domain, rng, rng.choice(self.quantifiers))

    def generic_agents(self, domain: str, rng: random.Random) -> Phrase:
        return self._agents(domain, rng, self.determiners[("def", True)])

    def plural_np(self, domain: str, rng: random.Random) -> str:
        return self.noun_phrase(domain, rng, depth=1, plural=True, det="def").text

    def title_np(self, domain: str, rng: random.Random) -> str:
        return self.plural_np(domain, rng)

    def orthography(self, text: str) -> str:
        for pattern, replacement in self.contractions:
            text = pattern.sub(replacement, text)
        return text
