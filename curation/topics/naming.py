"""Topic names people can read, unique across topics.

Without a namer, a topic's name is its top keywords (``oil, crude, opec``). A *namer* is any callable that
takes a ``NamingRequest`` (the topic's keywords, a few representative texts, the names already taken) and
returns a name, or None to keep the keyword name: an LLM backend plugs in here. Names must be unique, so a
name that is already taken (compared case- and punctuation-insensitively) is asked for again, with the
taken names in the request, up to ``attempts`` times; after that the name is disambiguated with the
topic's keywords. A namer that fails (raises) leaves that topic its keyword name, and the failure is
counted, never fatal.

In a recipe, ``namer: package.module:factory`` names a callable that ``namer_params`` are passed to and that
returns the namer (a class whose instances are callable is such a factory).
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger(__name__)

KEYWORDS_IN_NAME = 3
MAX_NAME_CHARS = 80
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class NamingRequest:
    """What a namer sees about one topic.

    ``keywords``: c-TF-IDF keywords, best first. ``representatives``: texts of the documents nearest to the
    centroid (their first characters). ``size``: documents in the topic. ``taken``: names given so far (a
    name in it will be refused). ``attempt``: 1 for the first request, 2+ when asking again.
    """

    topic_id: int
    keywords: tuple[str, ...]
    representatives: tuple[str, ...]
    size: int
    taken: frozenset[str] = frozenset()
    attempt: int = 1


@runtime_checkable
class TopicNamer(Protocol):
    """Gives a topic a name from its keywords and representative texts; None keeps the keyword name."""

    def __call__(self, request: NamingRequest) -> str | None: ...


@dataclass
class NamingReport:
    """Names in topic order, and what happened on the way."""

    names: list[str]
    sources: list[str]
    """Per topic: ``namer``, ``keywords`` or ``disambiguated``."""
    failures: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)


def name_key(name: str) -> str:
    """What makes two names the same: case, punctuation and spacing are ignored."""
    return _NOT_WORD.sub(" ", name).strip().casefold()


def keyword_name(keywords: Sequence[str], count: int = KEYWORDS_IN_NAME) -> str:
    """``kw1, kw2, kw3``; ``(no keywords)`` for a topic whose documents had no vocabulary word."""
    return ", ".join(keywords[:count]) if keywords else "(no keywords)"


def load_namer(path: str, params: dict[str, Any] | None = None) -> TopicNamer:
    """Build the namer that ``path`` (``module:callable``) makes from ``params``."""
    module_name, _, attribute = path.partition(":") if ":" in path else path.rpartition(".")
    if not module_name or not attribute:
        raise ValueError(f"namer {path!r} is not an import path of the form 'package.module:factory'")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"cannot import namer {path!r}: {error}") from error
    namer = factory(**(params or {}))
    if not callable(namer):
        raise ValueError(f"namer {path!r} returned {type(namer).__name__}, which is not callable")
    return namer


def name_topics(
    keywords: Sequence[Sequence[str]],
    representatives: Sequence[Sequence[str]],
    sizes: Sequence[int],
    namer: TopicNamer | None = None,
    attempts: int = 3,
    fixed: Sequence[str | None] | None = None,
) -> NamingReport:
    """A unique name for every topic, larger topics first (they get the first pick of names).

    ``fixed``: names that must be kept (a saved model's), None where a topic is still to be named.
    """
    count = len(keywords)
    names: list[str | None] = list(fixed) if fixed is not None else [None] * count
    sources = ["saved" if n else "" for n in names]
    taken: dict[str, int] = {}
    for topic, name in enumerate(names):
        if name:
            taken[name_key(name)] = topic
    report = NamingReport([], [])
    order = sorted(range(count), key=lambda t: (-int(sizes[t]), t))
    for topic in order:
        if names[topic]:
            continue
        name, source = None, "keywords"
        if namer is not None:
            name = _ask(namer, topic, keywords[topic], representatives[topic], sizes[topic], taken, attempts, report)
            source = "namer"
        if name is None:
            name, source = _keyword_candidate(keywords[topic], topic, taken)
        names[topic] = name
        sources[topic] = source
        taken[name_key(name)] = topic
    report.names = [str(n) for n in names]
    report.sources = sources
    return report


def _ask(
    namer: TopicNamer,
    topic: int,
    keywords: Sequence[str],
    texts: Sequence[str],
    size: int,
    taken: dict[str, int],
    attempts: int,
    report: NamingReport,
) -> str | None:
    """The namer's first free name within ``attempts`` requests; None if it fails or keeps giving taken ones."""
    names_taken = frozenset(taken)
    for attempt in range(1, max(1, attempts) + 1):
        request = NamingRequest(topic, tuple(keywords), tuple(texts), int(size), names_taken, attempt)
        try:
            proposed = namer(request)
        except Exception as error:  # a backend that is down must not cost the run: keep the keyword name
            report.failures += 1
            message = f"topic {topic}: {type(error).__name__}: {error}"
            report.errors.append(message)
            logger.warning("topic namer failed, keeping the keyword name (%s)", message)
            return None
        if proposed is None:
            return None
        proposed = " ".join(str(proposed).split())[:MAX_NAME_CHARS]
        key = name_key(proposed)
        if key and key not in taken:
            return proposed
        report.retries += 1
        names_taken = names_taken | {key}
    return _disambiguate(proposed, keywords, topic, taken) if proposed and name_key(proposed) else None


def _keyword_candidate(keywords: Sequence[str], topic: int, taken: dict[str, int]) -> tuple[str, str]:
    """The keyword name, lengthened by further keywords while it is taken, then numbered."""
    for count in range(KEYWORDS_IN_NAME, max(KEYWORDS_IN_NAME, len(keywords)) + 1):
        candidate = keyword_name(keywords, count)
        if name_key(candidate) not in taken:
            return candidate, "keywords" if count == KEYWORDS_IN_NAME else "disambiguated"
    return _numbered(keyword_name(keywords), topic, taken), "disambiguated"


def _disambiguate(name: str, keywords: Sequence[str], topic: int, taken: dict[str, int]) -> str:
    for keyword in keywords:
        candidate = f"{name} ({keyword})"
        if keyword.casefold() not in name.casefold() and name_key(candidate) not in taken:
            return candidate
    return _numbered(name, topic, taken)


def _numbered(name: str, topic: int, taken: dict[str, int]) -> str:
    candidate = f"{name} #{topic}"
    suffix = 2
    while name_key(candidate) in taken:
        candidate = f"{name} #{topic}-{suffix}"
        suffix += 1
    return candidate
