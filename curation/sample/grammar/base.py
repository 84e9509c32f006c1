"""Template expansion shared by every language of the sample corpus.

A sentence template such as `"{S} {VD} {O}, and {S2} {VD2} {O2} {PP}."` is expanded slot by slot.
Slots that belong to a clause (subject, verb, object, copula, predicate adjective) share a `Clause`,
so every verb agrees with its own subject in number (and, where the language needs it, gender).
The subject is drawn before anything else in its clause, which lets German templates put the verb
in front of the subject ("Im Jahr 2019 untersuchte das Team ...") and still agree.

Each language subclasses `Grammar` and implements noun phrases, inflection and orthography; the
parts that do not depend on the language (names, numbers, dates, slot dispatch) live here so the
four languages behave alike and are easy to compare.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from curation.sample.lexicon.types import DomainWords, LanguageWords

SLOT_RE = re.compile(r"\{([A-Z]+)(\d?)\}")
SUBJECT_KINDS = frozenset({"S", "ST", "SA", "SB", "SP", "SPR"})
"""Subject slots: any subject, thing, quantified agents, generic agents, person, person with role."""
CLAUSE_SLOTS = SUBJECT_KINDS | {"V", "VD", "VB", "MODAL", "MODALD", "BE", "BED", "ADJ", "SAY", "O", "RELO"}

_FIRST_LETTER_RE = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Noun:
    sg: str
    pl: str
    gender: str = "m"

    def form(self, plural: bool) -> str:
        return self.pl if plural else self.sg


@dataclass(frozen=True)
class Verb:
    """A transitive verb with the forms the templates need (third person only)."""

    inf: str
    sg: str
    pl: str
    past_sg: str
    past_pl: str

    def present(self, plural: bool) -> str:
        return self.pl if plural else self.sg

    def past(self, plural: bool) -> str:
        return self.past_pl if plural else self.past_sg


@dataclass(frozen=True)
class Adj:
    """Adjective forms by gender and number; languages without agreement repeat one form."""

    m: str
    f: str
    mpl: str
    fpl: str

    def form(self, gender: str, plural: bool) -> str:
        if gender == "f":
            return self.fpl if plural else self.f
        return self.mpl if plural else self.m


@dataclass(frozen=True)
class Phrase:
    """A realised noun phrase plus the features that other words must agree with."""

    text: str
    plural: bool = False
    gender: str = "m"


@dataclass
class Clause:
    subject: Phrase
    obj: Phrase | None = None


@dataclass(frozen=True)
class DomainLex:
    """A domain's vocabulary parsed into inflectable words."""

    nouns: tuple[Noun, ...]
    agents: tuple[Noun, ...]
    adjectives: tuple[Adj, ...]
    verbs: tuple[Verb, ...]
    units: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]
    places_at: tuple[str, ...]


def capitalise_first(text: str) -> str:
    """Upper-case the first letter, skipping leading quotes and punctuation."""
    match = _FIRST_LETTER_RE.search(text)
    if match is None:
        return text
    i = match.start()
    return text[:i] + text[i].upper() + text[i + 1 :]


class Grammar(ABC):
    """Realises templates for one language; subclasses supply morphology and orthography."""

    code: ClassVar[str]
    thousands_sep: ClassVar[str] = ","
    decimal_sep: ClassVar[str] = "."
    percent_pattern: ClassVar[str] = "{N} percent"
    date_pattern: ClassVar[str] = "{MONTH} {D}, {YEAR}"
    copula: ClassVar[tuple[str, str]] = ("is", "are")
    copula_past: ClassVar[tuple[str, str]] = ("was", "were")
    role_pattern: ClassVar[str] = "{NAME}, {ROLE} {AT},"
    place_preposition: ClassVar[str] = "in"
    pp_case: ClassVar[str] = "acc"
    space_before_punct_re: ClassVar[re.Pattern[str]] = re.compile(r"\s+([,.;:!?])")

    def __init__(self, words: LanguageWords) -> None:
        self.words = words
        self.lex = {name: self._parse_domain(dw) for name, dw in words.domains.items()}
        self.general_adjectives = tuple(self.parse_adjective(a) for a in words.adjectives)
        self.predicates = tuple(self.parse_adjective(a) for a in words.predicates)
        self.modals = tuple(tuple(m.split("|")) for m in words.modals)
        self.modals_past = tuple(tuple(m.split("|")) for m in words.modals_past)

    # -- parsing ---------------------------------------------------------------------------------

    @abstractmethod
    def parse_noun(self, spec: str) -> Noun: ...

    @abstractmethod
    def parse_verb(self, spec: str) -> Verb: ...

    @abstractmethod
    def parse_adjective(self, spec: str) -> Adj: ...

    def _parse_domain(self, dw: DomainWords) -> DomainLex:
        roles = tuple(tuple(r.split("/")) if "/" in r else (r, r) for r in dw.roles)
        return DomainLex(
            nouns=tuple(self.parse_noun(n) for n in dw.nouns),
            agents=tuple(self.parse_noun(n) for n in dw.agents),
            adjectives=tuple(self.parse_adjective(a) for a in dw.adjectives),
            verbs=tuple(self.parse_verb(v) for v in dw.verbs),
            units=dw.units,
            roles=roles,  # type: ignore[arg-type]
            places_at=dw.places_at,
        )

    # -- language-specific phrases --------------------------------------------------------------

    @abstractmethod
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
        """A noun phrase, possibly with an adjective, a complement and a relative clause."""

    @abstractmethod
    def quantified_agents(self, domain: str, rng: random.Random) -> Phrase:
        """A plural agent subject with a quantifier ("many investors")."""

    @abstractmethod
    def generic_agents(self, domain: str, rng: random.Random) -> Phrase:
        """A plural agent subject read generically ("investors" / "les investisseurs")."""

    @abstractmethod
    def plural_np(self, domain: str, rng: random.Random) -> str:
        """A definite plural noun phrase that completes a measure ("the share of ...")."""

    @abstractmethod
    def title_np(self, domain: str, rng: random.Random) -> str:
        """A plural noun phrase suitable for a headline."""

    def relative_pronoun(self, obj: Phrase) -> str:
        raise NotImplementedError(f"{self.code} templates do not use {{RELO}}")

    def orthography(self, text: str) -> str:
        """Language-specific spelling rules applied to a finished sentence (elision, a/an...)."""
        return text

    # -- shared choices ---------------------------------------------------------------------------

    def np_parts(
        self, domain: str, rng: random.Random, agent: bool, plural: bool | None
    ) -> tuple[Noun, bool, Adj | None]:
        """Pick the head noun, number and optional adjective of a noun phrase."""
        lex = self.lex[domain]
        noun = rng.choice(lex.agents if agent else lex.nouns)
        if plural is None:
            plural = rng.random() < 0.5
        r = rng.random()
        if r < 0.4:
            adj: Adj | None = rng.choice(lex.adjectives)
        elif r < 0.52:
            adj = rng.choice(self.general_adjectives)
        else:
            adj = None
        return noun, plural, adj

    @staticmethod
    def determiner_kind(plural: bool, rng: random.Random) -> str:
        """def / indef / dem / bare / quant; languages map these to their own words."""
        r = rng.random()
        if plural:
            return "def" if r < 0.5 else "bare" if r < 0.78 else "dem" if r < 0.9 else "quant"
        return "def" if r < 0.6 else "indef" if r < 0.9 else "dem"

    @staticmethod
    def modifier_kind(rng: random.Random, depth: int, agent: bool) -> str:
        """Whether a noun phrase gets a complement ("of the ..."), a relative clause, or nothing."""
        if depth > 0:
            return ""
        r = rng.random()
        if r < 0.28 and not agent:
            return "complement"
        if r > 0.92:
            return "relative"
        return ""

    def agent_nouns(self, domain: str, masculine_only: bool = False) -> tuple[Noun, ...]:
        agents = self.lex[domain].agents
        if masculine_only:
            return tuple(a for a in agents if a.gender == "m") or agents
        return agents

    def person(self, rng: random.Random) -> Phrase:
        gender = "f" if rng.random() < 0.5 else "m"
        first = rng.choice(self.words.first_names_f if gender == "f" else self.words.first_names_m)
        return Phrase(f"{first} {rng.choice(self.words.last_names)}", False, gender)

    def person_with_role(self, domain: str, rng: random.Random) -> Phrase:
        person = self.person(rng)
        role_m, role_f = rng.choice(self.lex[domain].roles)
        text = self.role_pattern.format(
            NAME=person.text, ROLE=role_f if person.gender == "f" else role_m, AT=self.place_at(domain, rng)
        )
        return Phrase(text, False, person.gender)

    def place_at(self, domain: str, rng: random.Random) -> str:
        pattern = rng.choice(self.lex[domain].places_at)
        return pattern.format(PLACE=rng.choice(self.words.places), LAST=rng.choice(self.words.last_names))

    def subject(self, kind: str, domain: str, rng: random.Random) -> Phrase:
        if kind == "SP":
            return self.person(rng)
        if kind == "SPR":
            return self.person_with_role(domain, rng)
        if kind == "SA":
            return self.quantified_agents(domain, rng)
        if kind == "SB":
            return self.generic_agents(domain, rng)
        agent = kind == "S" and rng.random() < 0.6
        return self.noun_phrase(domain, rng, agent=agent, case="nom")

    def prepositional(self, domain: str, rng: random.Random) -> str:
        r = rng.random()
        if r < 0.6:
            np = self.noun_phrase(domain, rng, case=self.pp_case, depth=1)
            return f"{rng.choice(self.words.prepositions)} {np.text}"
        if r < 0.8:
            return f"{self.place_preposition} {rng.choice(self.words.places)}"
        return self.place_at(domain, rng)

    def format_int(self, n: int) -> str:
        return f"{n:,}".replace(",", self.thousands_sep)

    def quantity(self, domain: str, rng: random.Random) -> str:
        r = rng.random()
        if r < 0.35:
            n = rng.randint(3, 99)
        elif r < 0.7:
            n = rng.randint(100, 999)
        elif r < 0.9:
            n = rng.randint(100, 999) * 10
        else:
            n = rng.randint(2, 90) * 1000
        return f"{self.format_int(n)} {rng.choice(self.lex[domain].units)}"

    def percent(self, rng: random.Random) -> str:
        if rng.random() < 0.3:
            number = f"{rng.randint(1, 19)}{self.decimal_sep}{rng.randint(1, 9)}"
        else:
            number = str(rng.randint(2, 60))
        return self.percent_pattern.format(N=number)

    @staticmethod
    def year(rng: random.Random) -> str:
        return str(rng.randint(1998, 2024))

    def date(self, rng: random.Random) -> str:
        month, day = rng.choice(self.words.months), rng.randint(1, 28)
        return self.date_pattern.format(MONTH=month, D=day, YEAR=self.year(rng))

    # -- template expansion -----------------------------------------------------------------------

    def realise(self, template: str, domain: str, rng: random.Random) -> str:
        """Expand every slot of `template` and apply orthography; the result is one sentence."""
        kinds = {m[2]: m[1] for m in SLOT_RE.finditer(template) if m[1] in SUBJECT_KINDS}
        clauses: dict[str, Clause] = {}

        def fill(match: re.Match[str]) -> str:
            name, index = match[1], match[2]
            if name not in CLAUSE_SLOTS:
                return self.free_slot(name, domain, rng)
            clause = clauses.get(index)
            if clause is None:
                clause = clauses[index] = Clause(self.subject(kinds.get(index, "S"), domain, rng))
            return self.clause_slot(name, clause, domain, rng)

        return self.polish(SLOT_RE.sub(fill, template))

    def clause_slot(self, name: str, clause: Clause, domain: str, rng: random.Random) -> str:
        subject = clause.subject
        if name in SUBJECT_KINDS:
            return subject.text
        if name == "O":
            clause.obj = self.noun_phrase(domain, rng, case="acc")
            return clause.obj.text
        if name == "RELO":
            if clause.obj is None:
                raise ValueError("{RELO} needs an {O} earlier in the same clause")
            return self.relative_pronoun(clause.obj)
        if name in ("V", "VD", "VB"):
            verb = rng.choice(self.lex[domain].verbs)
            if name == "VB":
                return verb.inf
            return verb.present(subject.plural) if name == "V" else verb.past(subject.plural)
        if name in ("MODAL", "MODALD"):
            forms = rng.choice(self.modals if name == "MODAL" else self.modals_past)
            return forms[1] if subject.plural else forms[0]
        if name in ("BE", "BED"):
            forms = self.copula if name == "BE" else self.copula_past
            return forms[1] if subject.plural else forms[0]
        if name == "ADJ":
            return rng.choice(self.predicates).form(subject.gender, subject.plural)
        if name == "SAY":
            return rng.choice(self.words.say_past)
        raise KeyError(f"unknown clause slot {{{name}}}")

    def free_slot(self, name: str, domain: str, rng: random.Random) -> str:
        words = self.words
        if name == "NAME":
            return self.person(rng).text
        if name == "PLACE":
            return rng.choice(words.places)
        if name == "AT":
            return self.place_at(domain, rng)
        if name == "PP":
            return self.prepositional(domain, rng)
        if name == "TIME":
            return rng.choice(words.times).format(YEAR=self.year(rng), FEW=rng.choice(words.few))
        if name == "YEAR":
            return self.year(rng)
        if name == "DATE":
            return self.date(rng)
        if name == "FEW":
            return rng.choice(words.few)
        if name == "NUM":
            return self.quantity(domain, rng)
        if name == "PCT":
            return self.percent(rng)
        if name == "CONN":
            return rng.choice(words.connectors)
        if name == "EVID":
            return rng.choice(words.evidentials)
        if name == "MEASURE":
            return rng.choice(words.measures)
        if name == "CHG":
            return rng.choice(words.changes)
        if name == "SAYP":
            return rng.choice(words.say_present)
        if name == "NPPL":
            return self.plural_np(domain, rng)
        if name == "NPT":
            return self.title_np(domain, rng)
        if name == "AG":
            return rng.choice(self.agent_nouns(domain, masculine_only=True)).pl
        raise KeyError(f"unknown slot {{{name}}}")

    def polish(self, text: str) -> str:
        """Normalise spacing and punctuation left by empty or comma-carrying slots."""
        text = " ".join(text.split())
        text = self.space_before_punct_re.sub(r"\1", text)
        text = re.sub(r",(?:\s*,)+", ",", text)
        text = re.sub(r",\s*([.;])", r"\1", text)
        return capitalise_first(self.orthography(text))
