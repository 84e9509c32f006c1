"""Plausible host names, slugs and URLs for sample records.

Hosts are built from domain words of the record's language ("kitchen-daily.com",
"gesundheit-aktuell.de") so that URL-based heuristics see realistic variety, and spam hosts look
like spam ("cheap-pills4u.biz") so URL blocklists have something to catch.
"""

from __future__ import annotations

import random
import re
import unicodedata

from curation.sample.lexicon import LanguageWords

_NON_SLUG_RE = re.compile(r"[^a-z0-9]+")
_SPAM_PREFIXES = ("best", "cheap", "top", "free", "mega", "super", "discount")
_SPAM_WORDS = ("deals", "offers", "pills", "loans", "downloads", "bets", "prizes", "casino")
_SPAM_SUFFIXES = ("", "4u", "-now", "24", "-online", "-club")
_SPAM_TLDS = ("biz", "info", "xyz", "top", "click", "ru")
_SECTION_PATHS = ("category/news/page/{N}", "tag/{W}", "about", "contact", "index.html", "archive/{N}", "{W}")


def ascii_fold(text: str) -> str:
    """Strip accents so that slugs and hosts stay plain ASCII (é -> e, ß -> ss)."""
    text = text.replace("ß", "ss")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slugify(text: str, max_words: int = 8) -> str:
    words = [w for w in _NON_SLUG_RE.split(ascii_fold(text).lower()) if w]
    return "-".join(words[:max_words]) or "page"


def host(words: LanguageWords, domain: str | None, rng: random.Random) -> str:
    """A news-site-like host for `domain` (or for a random domain when None) in the language's TLDs."""
    topic = domain or rng.choice(tuple(words.domains))
    word = rng.choice(words.domains[topic].host_words)
    sep = rng.choice(("-", ""))
    return f"{ascii_fold(word)}{sep}{rng.choice(words.host_suffixes)}.{rng.choice(words.tlds)}"


def site_name(hostname: str) -> str:
    """A brand name derived from a host ("kitchen-daily.com" -> "Kitchen Daily")."""
    label = hostname.split(".", 1)[0]
    return " ".join(part.capitalize() for part in label.split("-"))


def spam_host(rng: random.Random) -> str:
    label = f"{rng.choice(_SPAM_PREFIXES)}-{rng.choice(_SPAM_WORDS)}{rng.choice(_SPAM_SUFFIXES)}"
    return f"{label}.{rng.choice(_SPAM_TLDS)}"


def article_url(hostname: str, title: str, rng: random.Random) -> str:
    return f"https://{hostname}/{rng.randint(2010, 2024)}/{rng.randint(1, 12):02d}/{slugify(title)}"


def section_url(hostname: str, rng: random.Random) -> str:
    """A non-article page (category listing, contact page) where boilerplate lives."""
    section = rng.choice(("news", "blog", "shop", "events"))
    path = rng.choice(_SECTION_PATHS).format(N=rng.randint(2, 40), W=section)
    return f"https://{hostname}/{path}"


def spam_url(rng: random.Random, keyword: str | None = None) -> str:
    slug = slugify(keyword) if keyword else rng.choice(("offer", "promo", "win", "deal"))
    return f"https://{spam_host(rng)}/{slug}?ref={rng.randint(100, 999)}"
