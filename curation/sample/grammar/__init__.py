"""Per-language grammars that turn lexicon templates into sentences."""

from __future__ import annotations

from functools import cache

from curation.sample.grammar.base import Grammar, Phrase
from curation.sample.grammar.de import GermanGrammar
from curation.sample.grammar.en import EnglishGrammar
from curation.sample.grammar.es import SpanishGrammar
from curation.sample.grammar.fr import FrenchGrammar
from curation.sample.lexicon import LEXICONS

_GRAMMARS: dict[str, type[Grammar]] = {
    "en": EnglishGrammar,
    "de": GermanGrammar,
    "fr": FrenchGrammar,
    "es": SpanishGrammar,
}


@cache
def get_grammar(language: str) -> Grammar:
    """The grammar for an ISO 639-1 code; parsed once because parsing the lexicon is not free."""
    return _GRAMMARS[language](LEXICONS[language])


__all__ = ["Grammar", "Phrase", "get_grammar"]
