"""Turns a corpus plan into records: writes the prose, junk, copies and malformed lines.

Each record draws from its own random stream seeded by (seed, position), so the text of one record
does not depend on how much randomness earlier records consumed; adding a junk kind, for example,
leaves every good document unchanged.
"""

from __future__ import annotations

import random
from collections import Counter
from urllib.parse import urlsplit

from curation.sample import prose, urls
from curation.sample.duplicates import exact_copy, near_copy
from curation.sample.grammar import get_grammar
from curation.sample.junk import junk_page
from curation.sample.lexicon import DOMAINS
from curation.sample.malformed import malformed_line
from curation.sample.plan import LANGUAGE_SHARES, Slot
from curation.sample.records import SOURCE, Record, record_id

_SAME_SHARD_PREFERENCE = 0.3
"""Chance that a duplicate copies an original from its own shard (if any), so both cases occur."""


def _rehost(url: str, hostname: str) -> str:
    """The same path on another host, as mirrors and syndication partners publish it."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"https://{hostname}{parts.path}{query}"


def _good(slot: Slot, rng: random.Random) -> Record:
    assert slot.language is not None and slot.domain is not None
    grammar = get_grammar(slot.language)
    text = prose.document(grammar, slot.domain, rng)
    hostname = urls.host(grammar.words, slot.domain, rng)
    url = urls.article_url(hostname, text.partition("\n")[0], rng)
    rid = record_id(slot.position)
    return Record(rid, slot.shard, slot.line, slot.language, slot.domain, "good", text, url)


def _junk(slot: Slot, rng: random.Random) -> Record:
    assert slot.language is not None and slot.domain is not None and slot.quality is not None
    page = junk_page(slot.quality, get_grammar(slot.language), slot.domain, rng)
    rid = record_id(slot.position)
    return Record(rid, slot.shard, slot.line, slot.language, page.domain, slot.quality, page.text, page.url)


def _pick_original(originals: list[Record], slot: Slot, copies: Counter[str], rng: random.Random) -> Record:
    """An earlier good original, preferring ones not copied yet; sometimes from the same shard."""
    same_shard = [o for o in originals if o.shard == slot.shard]
    pool = same_shard if same_shard and rng.random() < _SAME_SHARD_PREFERENCE else originals
    fresh = [o for o in pool if copies[o.id or ""] == 0]
    chosen = rng.choice(fresh or pool)
    copies[chosen.id or ""] += 1
    return chosen


def _copy_of(original: Record, slot: Slot, text: str, url: str, *, exact: bool) -> Record:
    """A good record at `slot` that duplicates `original` (same language and domain)."""
    return Record(
        id=record_id(slot.position),
        shard=slot.shard,
        line=slot.line,
        language=original.language,
        domain=original.domain,
        quality="good",
        text=text,
        url=url,
        exact_dup_of=original.id if exact else None,
        near_dup_of=None if exact else original.id,
    )


def _exact(slot: Slot, original: Record, rng: random.Random) -> Record:
    assert original.text is not None and original.url is not None and original.language is not None
    text = exact_copy(original.text, slot.variant or "identical", rng)
    words = get_grammar(original.language).words
    url = original.url  # a re-crawl of the same page ...
    if rng.random() < 0.5:  # ... or a mirror that copies it verbatim
        url = _rehost(original.url, urls.host(words, original.domain, rng))
    return _copy_of(original, slot, text, url, exact=True)


def _near(slot: Slot, original: Record, rng: random.Random) -> Record:
    assert original.text is not None and original.url is not None and original.language is not None
    assert original.domain is not None
    grammar = get_grammar(original.language)
    hostname = urls.host(grammar.words, original.domain, rng)
    footer_template = rng.choice(grammar.words.footers).replace("{HOST}", hostname)
    footer = grammar.realise(footer_template, original.domain, rng)
    text = near_copy(original.text, grammar.words.insertions, footer, rng)
    return _copy_of(original, slot, text, _rehost(original.url, hostname), exact=False)


def _malformed(slot: Slot, rng: random.Random) -> Record:
    """A bad line built from an ordinary article; its truth carries no language, domain or quality."""
    language = rng.choices(tuple(LANGUAGE_SHARES), weights=tuple(LANGUAGE_SHARES.values()))[0]
    domain = rng.choice(DOMAINS)
    grammar = get_grammar(language)
    text = prose.document(grammar, domain, rng)
    url = urls.article_url(urls.host(grammar.words, domain, rng), text.partition("\n")[0], rng)
    payload = {"id": record_id(slot.position), "text": text, "url": url, "source": SOURCE}
    raw, usable_id = malformed_line(slot.variant or "malformed_json", payload, rng)
    return Record(usable_id, slot.shard, slot.line, None, None, None, malformed=slot.variant, raw=raw)


def build_records(plan: list[Slot], seed: int) -> list[Record]:
    """Records for every slot of `plan`, in plan order."""
    originals: list[Record] = []
    copies: Counter[str] = Counter()
    records = []
    for slot in plan:
        rng = random.Random(f"record:{seed}:{slot.position}")
        if slot.kind == "good":
            record = _good(slot, rng)
            originals.append(record)
        elif slot.kind == "junk":
            record = _junk(slot, rng)
        elif slot.kind == "exact":
            record = _exact(slot, _pick_original(originals, slot, copies, rng), rng)
        elif slot.kind == "near":
            record = _near(slot, _pick_original(originals, slot, copies, rng), rng)
        elif slot.kind == "malformed":
            record = _malformed(slot, rng)
        else:
            raise ValueError(f"unknown slot kind {slot.kind!r}")
        records.append(record)
    return records
