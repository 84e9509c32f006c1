"""URL rules: the cheap domain fallback — keywords in the host name (or, failing that, the path) name a domain.

A host says a lot about a page's topic ("kitchen-daily.com", "gesundheit-aktuell.de", "futbol-hoy.es"),
costs nothing to read, and needs no model. Keywords of four letters or more match inside a host label
("bestrecipes" matches ``recipes``); shorter ones only as a whole word. Path words are used only when the
host matches nothing (slugs are noisier than host names). The score of a match is the share of the matched
keywords that name the chosen domain: 1.0 when only one domain matched.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_URL_RULES: dict[str, list[str]] = {
    "cooking": [
        "recipe", "recipes", "cooking", "kitchen", "food", "foodie", "baking", "cuisine", "gourmet", "pantry",
        "rezept", "rezepte", "kochen", "kueche", "recette", "recettes", "gourmand", "saveurs", "cocina",
        "receta", "recetas", "gastro", "sabores",
    ],
    "finance": [
        "finance", "financial", "money", "invest", "investing", "markets", "stocks", "wealth", "banking",
        "finanzen", "boerse", "geld", "anlage", "bourse", "argent", "patrimoine", "finanzas", "bolsa", "dinero",
        "inversion",
    ],
    "health": [
        "health", "medical", "medicine", "clinic", "wellness", "healthcare", "gesundheit", "medizin", "klinik",
        "wohlbefinden", "sante", "medecine", "clinique", "bienetre", "salud", "medicina", "clinica", "bienestar",
    ],
    "science": [
        "science", "scientific", "research", "discovery", "cosmos", "labnotes", "physics", "biology",
        "wissenschaft", "forschung", "entdeckung", "labor", "decouverte", "recherche", "labo", "ciencia",
        "descubre", "investigacion", "laboratorio",
    ],
    "sports": [
        "sport", "sports", "football", "soccer", "league", "athletics", "matchday", "scoreline", "fussball",
        "spieltag", "liga", "foot", "ligue", "deportes", "futbol", "jornada",
    ],
    "technology": [
        "tech", "technology", "software", "gadget", "gadgets", "digital", "computer", "bytes", "technik",
        "netzwelt", "numerique", "informatique", "geek", "tecno", "informatica",
    ],
}  # fmt: skip
"""Multilingual (en, de, fr, es) host and path keywords per domain; a recipe can replace or extend them."""

SUBSTRING_MIN_LENGTH = 4
_WORDS = re.compile(r"[a-z0-9]+")
_HOST_PREFIXES = ("www", "m", "en", "de", "fr", "es", "blog", "news")


@dataclass(frozen=True)
class UrlMatch:
    domain: str
    score: float
    keyword: str


class UrlRules:
    """Keyword rules compiled for fast lookup; ``match(url)`` gives the domain, a score and the keyword."""

    def __init__(self, rules: Mapping[str, Sequence[str]] | None = None):
        rules = DEFAULT_URL_RULES if rules is None else rules
        self.rules = {str(domain): [k.lower() for k in keywords] for domain, keywords in rules.items()}
        self.whole_words: dict[str, str] = {}
        substrings: list[tuple[str, str]] = []
        for domain, keywords in self.rules.items():
            for keyword in keywords:
                self.whole_words.setdefault(keyword, domain)
                if len(keyword) >= SUBSTRING_MIN_LENGTH:
                    substrings.append((keyword, domain))
        substrings.sort(key=lambda pair: -len(pair[0]))
        self.substrings = substrings

    def _host_hits(self, host: str) -> list[tuple[str, str]]:
        labels = host.lower().split(".")[:-1] or host.lower().split(".")
        hits: list[tuple[str, str]] = []
        for label in labels:
            if label in _HOST_PREFIXES:
                continue
            for word in _WORDS.findall(label):
                if word in self.whole_words:
                    hits.append((word, self.whole_words[word]))
                    continue
                for keyword, domain in self.substrings:
                    if keyword in word:
                        hits.append((keyword, domain))
                        break
        return hits

    def _path_hits(self, path: str) -> list[tuple[str, str]]:
        return [(w, self.whole_words[w]) for w in _WORDS.findall(path.lower()) if w in self.whole_words]

    def match(self, url: str | None) -> UrlMatch | None:
        """The domain the URL's host (else its path) points to, or None."""
        if not url or not isinstance(url, str):
            return None
        try:
            parts = urlsplit(url if "//" in url else f"//{url}")
        except ValueError:
            return None
        hits = self._host_hits(parts.hostname or "") or self._path_hits(parts.path or "")
        if not hits:
            return None
        votes = Counter(domain for _, domain in hits)
        domain, count = max(votes.items(), key=lambda item: (item[1], -list(self.rules).index(item[0])))
        keyword = next(k for k, d in hits if d == domain)
        return UrlMatch(domain, round(count / len(hits), 4), keyword)
