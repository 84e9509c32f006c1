"""Junk documents: boilerplate pages, spam and short fragments.

Each generator imitates a kind of page that real crawls are full of, and is built so that datatrove's
Gopher heuristics have the signal they look for: navigation chrome is mostly pipes, bullets and
very short lines; spam repeats lines and keyword n-grams; fragments are below Gopher's 50-word
minimum. The ground truth therefore lets a test check that the filters catch most junk without the
generator having to know how the filters are configured downstream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from curation.sample import urls
from curation.sample.grammar import Grammar
from curation.sample.prose import fragment

JUNK_QUALITIES = ("boilerplate", "spam", "short")


@dataclass(frozen=True)
class JunkPage:
    text: str
    url: str
    domain: str | None


def _nav_line(items: tuple[str, ...], rng: random.Random) -> str:
    return " | ".join(rng.sample(items, k=rng.randint(6, min(10, len(items)))))


def _copyright(grammar: Grammar, site: str, rng: random.Random) -> str:
    return grammar.words.junk.copyright.format(YEAR=rng.randint(2008, 2024), SITE=site)


def boilerplate(grammar: Grammar, rng: random.Random) -> JunkPage:
    """Navigation, cookie banners and footers of a page whose main content failed to extract."""
    junk = grammar.words.junk
    hostname = urls.host(grammar.words, None, rng)
    site = urls.site_name(hostname)
    kind = rng.randrange(4)
    if kind == 0:  # full page chrome: menu at top and bottom, cookie banner, footer links
        nav = _nav_line(junk.nav, rng)
        lines = [nav, *rng.sample(junk.cookie, k=2), nav, *rng.sample(junk.footer, k=rng.randint(4, 7))]
    elif kind == 1:  # cookie consent banner
        lines = rng.sample(junk.cookie, k=rng.randint(3, len(junk.cookie)))
    elif kind == 2:  # footer link list
        lines = [f"- {item}" for item in rng.sample(junk.footer, k=rng.randint(6, len(junk.footer)))]
    else:  # bare menu, one item per line
        lines = rng.sample(junk.nav, k=rng.randint(8, 14))
    lines.append(_copyright(grammar, site, rng))
    if kind == 2:
        lines[-1] = f"- {lines[-1]}"
    return JunkPage("\n".join(lines), urls.section_url(hostname, rng), None)


def spam(grammar: Grammar, domain: str, rng: random.Random) -> JunkPage:
    """Keyword stuffing, link farms, repeated lines and ALL-CAPS offers."""
    junk = grammar.words.junk
    keywords = grammar.words.domains[domain].spam
    kind = rng.randrange(4)
    if kind == 0:  # keyword stuffing around one or two phrases
        focus = rng.sample(keywords, k=2)
        chunks = [rng.choice(focus) if rng.random() < 0.8 else rng.choice(junk.calls) for _ in range(24)]
        text, topic = " ".join(chunks) + ".", domain
    elif kind == 1:  # link farm: a handful of links repeated
        links = [f"{rng.choice(junk.calls)}: {urls.spam_url(rng, rng.choice(keywords))}" for _ in range(3)]
        text, topic = "\n".join(rng.choice(links) for _ in range(rng.randint(10, 16))), domain
    elif kind == 2:  # one offer line repeated between calls to action
        offer = rng.choice(junk.offers)
        lines = [offer if i % 2 == 0 else rng.choice(junk.calls) for i in range(rng.randint(8, 14))]
        text, topic = "\n".join(lines), None
    else:  # several shouted offers, each repeated
        offers = rng.sample(junk.offers, k=3)
        lines = [f"{rng.choice(offers)}!!!" for _ in range(rng.randint(8, 12))]
        text, topic = "\n".join(lines), None
    return JunkPage(text, urls.spam_url(rng), topic)


def short(grammar: Grammar, domain: str, rng: random.Random) -> JunkPage:
    """A lone sentence or headline under 30 words (teasers, captions, truncated pages)."""
    hostname = urls.host(grammar.words, domain, rng)
    text = fragment(grammar, domain, rng)
    return JunkPage(text, urls.article_url(hostname, text, rng), domain)


def junk_page(quality: str, grammar: Grammar, domain: str, rng: random.Random) -> JunkPage:
    if quality == "boilerplate":
        return boilerplate(grammar, rng)
    if quality == "spam":
        return spam(grammar, domain, rng)
    if quality == "short":
        return short(grammar, domain, rng)
    raise ValueError(f"unknown junk quality {quality!r}")
