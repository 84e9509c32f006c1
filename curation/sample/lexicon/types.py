"""Plain-data containers for the word lists and sentence grammars of each sample language.

The lexicon modules hold only strings written in a compact notation; the matching grammar module
(`curation.sample.grammar.<lang>`) knows how to parse and inflect them. Keeping words apart from
morphology means a word list can grow without touching code, and a language is added by writing one
lexicon module plus one grammar class.

Notation shared by all languages:
- `{SLOT}` placeholders in templates are filled by `Grammar.slot`; a trailing digit (`{S2}`, `{V2}`)
  binds a slot to a second clause so that each verb agrees with its own subject.
- `a|b|c` packs irregular inflected forms into one string; the grammar module documents the order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DomainWords:
    """Vocabulary of one topical domain in one language.

    Every list is domain-specific on purpose: the ground truth promises that a bag-of-words
    classifier can recover the domain, so general words live in `LanguageWords` instead.
    """

    nouns: tuple[str, ...]
    """Things the domain talks about (objects, subjects of copula sentences)."""
    agents: tuple[str, ...]
    """People acting in the domain; preferred as subjects of transitive verbs."""
    adjectives: tuple[str, ...]
    verbs: tuple[str, ...]
    """Transitive verbs, so every verb can take an object noun phrase."""
    units: tuple[str, ...]
    """Plural count nouns written after a number ("300 samples")."""
    roles: tuple[str, ...]
    """Job titles for named people; `m/f` pairs where the language marks gender."""
    places_at: tuple[str, ...]
    """Locative organisation phrases ("at the University of {PLACE}") with {PLACE}/{LAST} slots."""
    spam: tuple[str, ...]
    """Keyword phrases that a spammer would stuff into a page about this domain."""
    host_words: tuple[str, ...]
    """Words used to build plausible host names for this domain."""


@dataclass(frozen=True)
class JunkWords:
    """Strings for boilerplate and spam pages in one language."""

    nav: tuple[str, ...]
    """Navigation menu items ("Home", "About us")."""
    cookie: tuple[str, ...]
    """Cookie-banner sentences."""
    footer: tuple[str, ...]
    """Footer link texts."""
    copyright: str
    """Copyright line with {YEAR} and {SITE} slots."""
    offers: tuple[str, ...]
    """ALL-CAPS style spam offers."""
    calls: tuple[str, ...]
    """Calls to action that spam pages repeat ("Click here")."""


@dataclass(frozen=True)
class LanguageWords:
    """Everything the generator needs to write documents in one language."""

    code: str
    """ISO 639-1 code."""
    tlds: tuple[str, ...]
    host_suffixes: tuple[str, ...]
    domains: dict[str, DomainWords]
    adjectives: tuple[str, ...]
    """General attributive adjectives mixed into noun phrases of every domain."""
    predicates: tuple[str, ...]
    """Evaluative adjectives used after the copula ("is reliable")."""
    first_names_m: tuple[str, ...]
    first_names_f: tuple[str, ...]
    last_names: tuple[str, ...]
    places: tuple[str, ...]
    connectors: tuple[str, ...]
    times: tuple[str, ...]
    """Time adverbials with optional {YEAR}/{FEW} slots."""
    evidentials: tuple[str, ...]
    """Openers such as "It is clear" that introduce a that-clause."""
    few: tuple[str, ...]
    """Small number words ("three")."""
    months: tuple[str, ...]
    """Month names, January first, for dates in near-duplicate footers."""
    measures: tuple[str, ...]
    """Head of a measured quantity ("the share"), followed by a plural noun phrase."""
    changes: tuple[str, ...]
    """Past-tense singular verbs of change ("rose")."""
    modals: tuple[str, ...]
    """Present modal verbs as `sg|pl`."""
    modals_past: tuple[str, ...]
    """Past modal verbs as `sg|pl`."""
    say_past: tuple[str, ...]
    """Reporting verbs, past tense singular."""
    say_present: tuple[str, ...]
    """Reporting verbs, present tense singular (used after a quotation)."""
    prepositions: tuple[str, ...]
    """Prepositions that combine with any domain noun phrase."""
    sentences: tuple[str, ...]
    """Sentence templates; a document uses each at most once until all have been used."""
    titles: tuple[str, ...]
    insertions: tuple[str, ...]
    """Filler words inserted by near-duplicate edits."""
    footers: tuple[str, ...]
    """Lines appended by near-duplicate edits, with {HOST}/{DATE}/{NAME} slots."""
    junk: JunkWords
