"""Composition of good documents: a title line followed by 2-6 paragraphs of grammatical prose.

Length and layout are decided up front (a target word count, then a paragraph count that the target
can fill with at least two sentences each) so that every good document lands in the 150-700 word
range promised by the ground truth. Sentence templates are dealt from a shuffled deck and only
reshuffled once exhausted: reusing a template inside one document would repeat its fixed words and
push the document towards Gopher's duplicate n-gram thresholds.
"""

from __future__ import annotations

import random

from curation.sample.grammar import Grammar

MIN_WORDS = 150
MAX_WORDS = 700
_TARGET_RANGE = (170, 640)
_MAX_SENTENCE_WORDS = 45


class TemplateDeck:
    """Deals templates without replacement, reshuffling only when every template has been used."""

    def __init__(self, templates: tuple[str, ...], rng: random.Random) -> None:
        self._templates = templates
        self._rng = rng
        self._deck: list[str] = []

    def draw(self) -> str:
        if not self._deck:
            self._deck = list(self._templates)
            self._rng.shuffle(self._deck)
        return self._deck.pop()


def word_count(text: str) -> int:
    return len(text.split())


def title(grammar: Grammar, domain: str, rng: random.Random) -> str:
    """A headline: a realised title template without final punctuation."""
    return grammar.realise(rng.choice(grammar.words.titles), domain, rng).rstrip(".")


def sentence(grammar: Grammar, domain: str, deck: TemplateDeck, rng: random.Random) -> str:
    """One sentence; overly long realisations (deeply nested phrases) are redrawn."""
    while True:
        text = grammar.realise(deck.draw(), domain, rng)
        if word_count(text) <= _MAX_SENTENCE_WORDS:
            return text


def _split(sentences: list[str], n_paragraphs: int, rng: random.Random) -> list[str]:
    """Cut the sentence list into `n_paragraphs` runs of at least two sentences."""
    slack = len(sentences) - 2 * n_paragraphs
    extra = [0] * n_paragraphs
    for _ in range(slack):
        extra[rng.randrange(n_paragraphs)] += 1
    paragraphs, start = [], 0
    for i in range(n_paragraphs):
        end = start + 2 + extra[i]
        paragraphs.append(" ".join(sentences[start:end]))
        start = end
    return paragraphs


def document(grammar: Grammar, domain: str, rng: random.Random) -> str:
    """A complete good document in `grammar`'s language about `domain`."""
    deck = TemplateDeck(grammar.words.sentences, rng)
    head = title(grammar, domain, rng)
    target = rng.randint(*_TARGET_RANGE)
    sentences: list[str] = []
    words = word_count(head)
    while words < target or len(sentences) < 4:
        text = sentence(grammar, domain, deck, rng)
        if words + word_count(text) > MAX_WORDS:
            break
        sentences.append(text)
        words += word_count(text)
    n_paragraphs = rng.randint(2, max(2, min(6, len(sentences) // 2)))
    return "\n\n".join([head, *_split(sentences, n_paragraphs, rng)])


def fragment(grammar: Grammar, domain: str, rng: random.Random, max_words: int = 29) -> str:
    """A single short sentence or headline, used for 'short' junk and malformed records."""
    deck = TemplateDeck(grammar.words.sentences, rng)
    while True:
        text = title(grammar, domain, rng) if rng.random() < 0.3 else sentence(grammar, domain, deck, rng)
        if word_count(text) <= max_words:
            return text
