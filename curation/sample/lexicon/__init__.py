"""Word lists and sentence templates for every language of the sample corpus."""

from __future__ import annotations

from curation.sample.lexicon.de import DE
from curation.sample.lexicon.en import EN
from curation.sample.lexicon.es import ES
from curation.sample.lexicon.fr import FR
from curation.sample.lexicon.types import DomainWords, JunkWords, LanguageWords

LEXICONS: dict[str, LanguageWords] = {"en": EN, "de": DE, "fr": FR, "es": ES}
"""Lexicon per ISO 639-1 code, in the order used for quotas (English first)."""

DOMAINS: tuple[str, ...] = tuple(EN.domains)
"""Topical domains; every language defines exactly these."""

for _words in LEXICONS.values():
    if tuple(_words.domains) != DOMAINS:
        raise RuntimeError(f"lexicon {_words.code!r} does not define the domains {DOMAINS}")

__all__ = ["DOMAINS", "LEXICONS", "DomainWords", "JunkWords", "LanguageWords"]
