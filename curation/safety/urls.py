"""``url_filter``: FineWeb's URL filter (datatrove's ``URLFilter``, UT1 block list), offline, lean, with the
operator's own block and allow lists.

datatrove's ``URLFilter`` is what FineWeb filtered URLs with: the UT1 block list of the Université Toulouse
Capitole (about 4.6 million adult, gambling, malware... domains and 19,000 URLs, shipped inside the
datatrove wheel), banned words in the URL, soft-banned words (two or more) and banned sub-words. This stage
is that filter, with its rules and drop reasons (``domain``, ``subdomain``, ``url``, ``hard_blacklisted``,
``soft_blacklisted``, ``blacklisted_subword``), and three changes:

- **offline by construction**: the URL is split into domain parts with tldextract's bundled copy of the
  Public Suffix List; datatrove's default ``TLDExtract()`` first tries to download the list from
  publicsuffix.org, and only falls back to its copy once the network has failed;
- **lean**: datatrove keeps the 4.6 million domains in a Python set in each worker (about 620 MB and 8-10
  seconds to build, per worker). Here the domains are kept as a sorted array of their 64-bit xxh3 hashes
  (36 MB), built once per machine from the wheel's archive into a cache folder and memory-mapped by every
  worker, so they share one copy through the page cache. Lookups are a binary search; the chance that a
  domain not on the list collides with one of the 4.6 million hashes is about 2.5e-13 per lookup;
- **the operator's lists**, per run: ``block`` and ``allow`` entries (and files of them, one per line):
  ``example.com`` or ``domain:example.com`` (the domain and every subdomain), ``substring:/casino/`` (a
  piece of the lower-cased URL), ``regex:^https?://[^/]+\\.xxx/`` (a Python regular expression searched in
  the URL). Allow entries win over every block rule, the UT1 list's included (counted as ``allowed``);
  block entries drop as ``blocked_domain``, ``blocked_substring`` or ``blocked_pattern``.

A document without a ``url`` in its metadata passes, counted as ``no_url`` (datatrove's filter stops the
run with an assertion there); ``missing_url: drop`` drops it as ``no_url`` instead.
"""

from __future__ import annotations

import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np
import xxhash
from datatrove.data import Document
from datatrove.pipeline.filters.url_filter import URLFilter, get_list
from datatrove.utils._import_utils import ASSETS_PATH

from curation.safety.matching import TermMatcher

UT1_ARCHIVE = "url_filterblacklistsv0_3_0.tar.gz"
"""The UT1 block list inside the datatrove wheel (members ``domains`` and ``urls``)."""
ENTRY_KINDS = ("domain", "substring", "regex")
NO_URL = "no_url"


def _hash(domain: str) -> int:
    return xxhash.xxh3_64_intdigest(domain.encode("utf-8", "surrogatepass"))


class DomainSet:
    """A set of domains held as sorted 64-bit hashes (``in`` is a binary search), plus a few plain strings."""

    def __init__(self, hashes: np.ndarray, extra: set[str] | None = None):
        self.hashes = hashes
        self.extra = set(extra or ())

    def __contains__(self, domain: object) -> bool:
        if not isinstance(domain, str) or not domain:
            return False
        if domain in self.extra:
            return True
        key = np.uint64(_hash(domain))
        position = int(np.searchsorted(self.hashes, key))
        return position < len(self.hashes) and self.hashes[position] == key

    def __len__(self) -> int:
        return len(self.hashes) + len(self.extra)


def default_index_dir() -> Path:
    """The cache folder of the domain index: Hugging Face's assets cache (``HF_ASSETS_CACHE``), our namespace."""
    from huggingface_hub import cached_assets_path

    return Path(cached_assets_path(library_name="curation", namespace="safety", subfolder="ut1"))


def _archive_key(archive: Path) -> str:
    """Names the index after the archive it was built from (datatrove's version and the archive's size)."""
    from importlib.metadata import version

    return f"{version('datatrove')}-{archive.stat().st_size}"


def ut1_domain_hashes(index_dir: str | Path | None = None) -> np.ndarray:
    """The UT1 domains of the datatrove wheel as a sorted, memory-mapped ``uint64`` array of xxh3 hashes.

    Built on first use from the wheel's archive (about 10 seconds) into ``index_dir`` (default
    ``default_index_dir()``), under a name that changes with the archive, and written atomically, so
    workers that race build the same file and any of them may win.
    """
    archive = Path(ASSETS_PATH) / UT1_ARCHIVE
    folder = Path(index_dir) if index_dir else default_index_dir()
    path = folder / f"ut1-domains-{_archive_key(archive)}.npy"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("domains")
            assert member is not None
            lines = member.read().decode("utf-8", "surrogateescape").splitlines()
        domains = [domain for line in lines if (domain := line.strip()) and domain[0] != "#"]
        hashes = np.fromiter(map(_hash, domains), dtype=np.uint64, count=len(domains))
        hashes.sort()  # sort, then drop repeats: numpy's hash-based ``unique`` takes ten times longer here
        hashes = hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        with temporary.open("wb") as handle:
            np.save(handle, hashes)
        os.replace(temporary, path)
    return np.load(path, mmap_mode="r")


def ut1_urls() -> set[str]:
    """The UT1 list's blocked URLs (about 19,000), read from the wheel's archive."""
    with tarfile.open(Path(ASSETS_PATH) / UT1_ARCHIVE, "r:gz") as tar:
        member = tar.extractfile("urls")
        assert member is not None
        lines = member.read().decode("utf-8", "surrogateescape").splitlines()
    return {url for line in lines if (url := line.strip()) and not url.startswith("#")}


@dataclass
class UrlRules:
    """Domains, URL substrings and regular expressions, from entries like ``domain:x``, ``substring:y``."""

    domains: set[str] = field(default_factory=set)
    substrings: list[str] = field(default_factory=list)
    patterns: list[re.Pattern] = field(default_factory=list)

    @classmethod
    def parse(cls, entries: list[str], files: list[str], what: str) -> UrlRules:
        """Rules from inline entries and from files of entries (one per line, ``#`` comments).

        Raises:
            ValueError: an unknown kind or an invalid regular expression, naming the entry and its file/line.
            FileNotFoundError: a list file that is not there.
        """
        rules = cls()
        located = [(entry, f"{what}[{i}]") for i, entry in enumerate(entries)]
        for name in files:
            path = Path(name).expanduser()
            if not path.is_file():
                raise FileNotFoundError(f"{what} list {str(path)!r} does not exist")
            for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
                if line.strip() and not line.lstrip().startswith("#"):
                    located.append((line, f"{path}:{number}"))
        for entry, where in located:
            rules._add(entry, where)
        return rules

    def _add(self, entry: str, where: str) -> None:
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(f"{where}: empty entry")
        kind, separator, value = entry.strip().partition(":")
        if not separator or kind not in ENTRY_KINDS:
            kind, value = "domain", entry.strip()
        value = value.strip()
        if kind == "domain":
            domain = value.lower().strip(".")
            if not domain or "/" in domain or " " in domain:
                raise ValueError(
                    f"{where}: {entry!r} is not a domain; write domain:example.com, substring:TEXT or regex:PATTERN"
                )
            self.domains.add(domain.removeprefix("www."))
        elif kind == "substring":
            self.substrings.append(value.lower())
        else:
            try:
                self.patterns.append(re.compile(value))
            except re.error as error:
                raise ValueError(f"{where}: invalid regular expression {value!r}: {error}") from None

    def __bool__(self) -> bool:
        return bool(self.domains or self.substrings or self.patterns)

    def compile(self) -> UrlMatcher:
        return UrlMatcher(self)


class UrlMatcher:
    """Which rule, if any, of a ``UrlRules`` a URL meets: ``domain``, ``substring`` or ``pattern``."""

    def __init__(self, rules: UrlRules):
        self.domains = frozenset(rules.domains)
        self.substrings = TermMatcher(rules.substrings, whole_words=False) if rules.substrings else None
        self.patterns = list(rules.patterns)

    def match(self, url: str) -> str | None:
        if self.domains:
            host = (urlsplit(url).hostname or "").rstrip(".")
            labels = host.split(".")
            if any(".".join(labels[i:]) in self.domains for i in range(len(labels))):
                return "domain"
        if self.substrings is not None and self.substrings.find(url):
            return "substring"
        if any(pattern.search(url) for pattern in self.patterns):
            return "pattern"
        return None


class URLBlocklist(URLFilter):
    """FineWeb's URL filter (datatrove's ``URLFilter`` and its UT1 list), offline, with the operator's lists.

    Args:
        block / allow: entries ``example.com`` (or ``domain:example.com``: that domain and its subdomains),
            ``substring:TEXT`` (in the lower-cased URL), ``regex:PATTERN`` (Python ``re``, searched).
        block_files / allow_files: files of such entries, one per line (``#`` comments).
        use_integrated_lists: apply the UT1 list and datatrove's URL word lists (FineWeb's filter); False
            applies only ``block`` and ``allow``.
        soft_word_threshold: soft-banned words in a URL that drop it (datatrove's default, 2).
        missing_url: ``keep`` (counted as ``no_url``) or ``drop`` documents without a ``url``.
        index_dir: folder for the UT1 domain index (default: Hugging Face's assets cache).

    Raises:
        ValueError / FileNotFoundError: a bad entry or a missing list file (when the stage is built).
    """

    name = "😈 URL filter (UT1, offline)"

    def __init__(
        self,
        block: list[str] | None = None,
        allow: list[str] | None = None,
        block_files: list[str] | None = None,
        allow_files: list[str] | None = None,
        use_integrated_lists: bool = True,
        soft_word_threshold: int = 2,
        missing_url: Literal["keep", "drop"] = "keep",
        index_dir: str | None = None,
    ):
        from tldextract import TLDExtract

        super().__init__(soft_word_threshold=soft_word_threshold, use_integrated_lists=use_integrated_lists)
        if missing_url not in ("keep", "drop"):
            raise ValueError(f"missing_url must be 'keep' or 'drop', not {missing_url!r}")
        self.block_rules = UrlRules.parse(block or [], block_files or [], "block")
        self.allow_rules = UrlRules.parse(allow or [], allow_files or [], "allow")
        self._block = self.block_rules.compile()
        self._allow = self.allow_rules.compile()
        self.missing_url = missing_url
        self.index_dir = index_dir
        # the bundled Public Suffix List snapshot; never the network
        self.tldextractor = TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)

    def __getstate__(self) -> dict[str, Any]:
        """Travel without the loaded UT1 lists: a worker that unpickles the stage maps the index itself."""
        from tldextract import TLDExtract

        state = self.__dict__.copy()
        state["tldextractor"] = TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
        if state.get("_downloaded"):
            state.update(
                _downloaded=False,
                block_listed_domains=set(),
                block_listed_url=set(),
                banned_words=set(),
                banned_subwords=set(),
                soft_banned_words=set(),
            )
            import ahocorasick

            state["banned_subwords_automaton"] = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        return state

    def download_data(self) -> None:
        """Load the UT1 domains (memory-mapped hash index), URLs and datatrove's URL word lists, once."""
        if self._downloaded or not self.use_integrated_lists:
            return
        self.block_listed_domains = DomainSet(ut1_domain_hashes(self.index_dir), self.block_listed_domains)
        self.block_listed_url = ut1_urls() | self.block_listed_url
        self.banned_words = get_list(ASSETS_PATH, "banned_words.txt", self.banned_words)
        self.banned_subwords = get_list(ASSETS_PATH, "banned_subwords.txt", self.banned_subwords)
        self.soft_banned_words = get_list(ASSETS_PATH, "soft_banned_words.txt", self.soft_banned_words)
        for word in self.banned_subwords:
            self.banned_subwords_automaton.add_word(word, len(self.banned_subwords_automaton))
        self.banned_subwords_automaton.make_automaton()
        self._downloaded = True

    def filter(self, document: Document) -> bool | tuple[bool, str]:
        url = document.metadata.get("url")
        if not isinstance(url, str) or not url.strip():
            self.stat_update(NO_URL)
            return (False, NO_URL) if self.missing_url == "drop" else True
        if self._allow.match(url) is not None:
            self.stat_update("allowed")
            return True
        blocked = self._block.match(url)
        if blocked is not None:
            return False, f"blocked_{blocked}"
        if not self.use_integrated_lists:
            return True
        return super().filter(document)
