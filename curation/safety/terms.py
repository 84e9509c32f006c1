"""``term_lists``: the operator's own term lists, each with an action: drop, tag or redact.

Policies differ: one team removes politically sensitive text, another brand names, legal or medical claims.
Each policy is a list of terms (words or phrases, any script) in a file, with what to do on a hit:

- ``drop``: the document is dropped as ``term_list_<name>`` once it holds ``min_hits`` occurrences;
- ``tag``: the document is kept and ``term_hits_<name>`` (occurrences) is written into its metadata, for
  every document, so a column exists to route or filter on later;
- ``redact``: every occurrence is replaced by ``replacement``.

A list file is YAML or plain text:

.. code-block:: yaml

    # brands.yaml: one list (or several under `lists:`)
    name: brands
    action: tag              # drop | tag | redact
    terms: [Acme, Globex Corporation, 某品牌]
    case_sensitive: false    # default
    whole_words: true        # default; scripts without spaces always match inside words
    min_hits: 1              # drop only
    replacement: "[redacted]"  # redact only
    languages: [en, de]      # only documents in these languages (default: all)

A ``.txt`` (or any other) file holds one term per line (``#`` starts a comment line); its name is the
file's stem and its action is given where the recipe names it. In a recipe, ``lists`` takes paths, or
mappings with ``path`` and any key above to set or override (``{path: brands.txt, action: redact}``), or a
whole list inline (``{name: claims, action: tag, terms: [...]}``).

All lists are matched together in one Aho-Corasick pass per document (``curation.safety.matching``; one
automaton per combination of ``case_sensitive`` and ``whole_words``), so the cost grows with the text, not
with the number of terms. Counts per list go to the stage's stats: ``<name>_documents`` (documents with a
hit), ``<name>_hits`` (occurrences) and ``<name>_redacted``, which the run summary shows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from curation.safety.matching import TermMatch, TermMatcher, leftmost_longest

ACTIONS = ("drop", "tag", "redact")
YAML_SUFFIXES = (".yaml", ".yml")
LIST_KEYS = ("name", "action", "terms", "case_sensitive", "whole_words", "min_hits", "replacement", "languages")
_NAME = re.compile(r"^[\w-]+$")
DEFAULT_REPLACEMENT = "[redacted]"
TAG_PREFIX = "term_hits_"
DROP_PREFIX = "term_list_"


class TermListError(ValueError):
    """A term list that cannot be used: what is wrong and in which file or entry."""


@dataclass(frozen=True)
class TermList:
    """One list: its name, action, terms and how they are matched (see the module docstring)."""

    name: str
    action: Literal["drop", "tag", "redact"]
    terms: tuple[str, ...]
    case_sensitive: bool = False
    whole_words: bool = True
    min_hits: int = 1
    replacement: str = DEFAULT_REPLACEMENT
    languages: frozenset[str] | None = None
    source: str = "<recipe>"

    def applies_to(self, language: object) -> bool:
        return self.languages is None or (isinstance(language, str) and language in self.languages)


def load_term_lists(entries: Iterable[str | dict[str, Any]], base: str | Path | None = None) -> list[TermList]:
    """Term lists from recipe entries (paths, mappings with ``path`` and overrides, or inline lists).

    Relative paths are read from ``base`` (default: the working directory).

    Raises:
        TermListError: a missing or unreadable file, an unknown key or action, an empty list, two lists of
            one name; the message names the file or entry.
    """
    lists: list[TermList] = []
    for position, entry in enumerate(entries):
        where = f"lists[{position}]"
        if isinstance(entry, (str, Path)):
            entry = {"path": str(entry)}
        if not isinstance(entry, dict):
            raise TermListError(f"{where}: give a file path or a mapping, not {type(entry).__name__}")
        unknown = sorted(set(entry) - {"path", *LIST_KEYS})
        if unknown:
            raise TermListError(f"{where}: unknown key {', '.join(unknown)}; allowed: path, {', '.join(LIST_KEYS)}")
        overrides = {key: value for key, value in entry.items() if key != "path"}
        if "path" in entry:
            lists += _lists_from_file(_resolve(entry["path"], base), overrides)
        else:
            lists.append(_make_list(overrides, source=where))
    seen: dict[str, str] = {}
    for term_list in lists:
        if term_list.name in seen:
            raise TermListError(
                f"two term lists are named {term_list.name!r} ({seen[term_list.name]} and {term_list.source}); "
                "give one a different name"
            )
        seen[term_list.name] = term_list.source
    return lists


def _resolve(path: object, base: str | Path | None) -> Path:
    if not isinstance(path, str) or not path:
        raise TermListError(f"a term list path must be a non-empty string, not {path!r}")
    resolved = Path(path).expanduser()
    if not resolved.is_absolute() and base is not None:
        resolved = Path(base) / resolved
    if not resolved.is_file():
        raise TermListError(f"term list {str(resolved)!r} does not exist")
    return resolved


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise TermListError(f"{path}: line {line} is not UTF-8 text") from None


def _lists_from_file(path: Path, overrides: dict[str, Any]) -> list[TermList]:
    text = _read_text(path)
    if path.suffix.lower() not in YAML_SUFFIXES:
        terms = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        return [_make_list({"name": path.stem, "terms": terms, **overrides}, source=str(path))]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise TermListError(f"{path}: {where}not valid YAML: {getattr(error, 'problem', error)}") from None
    if isinstance(data, dict) and "lists" in data:
        if set(data) != {"lists"} or not isinstance(data["lists"], list):
            raise TermListError(f"{path}: a file with several lists holds only `lists:`, a list of mappings")
        if overrides:
            raise TermListError(f"{path}: holds several lists; set their keys in the file, not where it is named")
        return [_make_list(item, source=f"{path}: lists[{i}]") for i, item in enumerate(data["lists"])]
    if not isinstance(data, dict):
        raise TermListError(f"{path}: expected a mapping with `terms` (and name, action...), got {type(data).__name__}")
    return [_make_list({"name": path.stem, **data, **overrides}, source=str(path))]


def _make_list(data: Any, source: str) -> TermList:
    if not isinstance(data, dict):
        raise TermListError(f"{source}: expected a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - set(LIST_KEYS))
    if unknown:
        raise TermListError(f"{source}: unknown key {', '.join(unknown)}; allowed: {', '.join(LIST_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise TermListError(f"{source}: `name` must be letters, digits, '_' or '-' (it names a column), got {name!r}")
    action = data.get("action")
    if action not in ACTIONS:
        raise TermListError(f"{source}: list {name!r} needs an action: {', '.join(ACTIONS)} (got {action!r})")
    terms = data.get("terms")
    if not isinstance(terms, list) or not all(isinstance(term, (str, int, float)) for term in terms):
        raise TermListError(f"{source}: `terms` of list {name!r} must be a list of strings")
    terms = tuple(str(term).strip() for term in terms if str(term).strip())
    if not terms:
        raise TermListError(f"{source}: list {name!r} has no terms")
    min_hits = data.get("min_hits", 1)
    if not isinstance(min_hits, int) or isinstance(min_hits, bool) or min_hits < 1:
        raise TermListError(f"{source}: `min_hits` of list {name!r} must be a whole number of at least 1")
    languages = data.get("languages")
    if languages is not None and (not isinstance(languages, list) or not languages):
        raise TermListError(f"{source}: `languages` of list {name!r} must be a non-empty list of codes")
    for flag in ("case_sensitive", "whole_words"):
        if not isinstance(data.get(flag, True), bool):
            raise TermListError(f"{source}: `{flag}` of list {name!r} must be true or false")
    return TermList(
        name=name,
        action=action,
        terms=terms,
        case_sensitive=data.get("case_sensitive", False),
        whole_words=data.get("whole_words", True),
        min_hits=min_hits,
        replacement=str(data.get("replacement", DEFAULT_REPLACEMENT)),
        languages=frozenset(map(str, languages)) if languages else None,
        source=source,
    )


@dataclass
class TermHits:
    """What the lists found in one text: occurrences per list name, and the spans of each list's matches."""

    counts: dict[str, int] = field(default_factory=dict)
    spans: dict[str, list[TermMatch]] = field(default_factory=dict)


class TermListMatcher:
    """All term lists compiled together: ``hits(text, language)`` says how often each list occurs in a text."""

    def __init__(self, lists: list[TermList]):
        self.lists = lists
        groups: dict[tuple[bool, bool], list[tuple[str, int]]] = defaultdict(list)
        for index, term_list in enumerate(lists):
            for term in term_list.terms:
                groups[(term_list.case_sensitive, term_list.whole_words)].append((term, index))
        self._matchers = [
            TermMatcher(
                [term for term, _ in entries],
                payloads=[index for _, index in entries],
                case_sensitive=case_sensitive,
                whole_words=whole_words,
            )
            for (case_sensitive, whole_words), entries in groups.items()
        ]

    def hits(self, text: str, language: object = None) -> TermHits:
        """Occurrences of each list that applies to ``language`` (0 for those without a hit)."""
        active = {i for i, term_list in enumerate(self.lists) if term_list.applies_to(language)}
        spans: dict[int, list[TermMatch]] = {i: [] for i in active}
        for matcher in self._matchers:
            for match in matcher.find(text):
                for index in matcher.payloads[match.term]:
                    if index in spans:
                        spans[index].append(match)
        result = TermHits()
        for index in sorted(active):
            chosen = leftmost_longest(spans[index])
            name = self.lists[index].name
            result.counts[name] = len(chosen)
            result.spans[name] = chosen
        return result


class TermLists(PipelineStep):
    """Apply the operator's term lists: drop, tag or redact documents that hold their terms.

    Args:
        lists: term list files (YAML or text) or mappings (see the module docstring), applied in order: a
            document is dropped by the first ``drop`` list it reaches ``min_hits`` of.
        base_dir: where relative list paths are read from (default: the working directory).
        default_language: the language of documents without ``language`` metadata, for lists limited to
            some languages.

    Raises:
        TermListError: a list that cannot be loaded (when the stage is built, so a run stops at once).
    """

    name = "📋 Term lists"
    type = "🔻 - FILTER"

    def __init__(self, lists: list[str | dict[str, Any]], base_dir: str | None = None, default_language: str = "en"):
        super().__init__()
        if not lists:
            raise TermListError("lists: give at least one term list")
        self.term_lists = load_term_lists(lists, base_dir)
        self.default_language = default_language
        self.matcher = TermListMatcher(self.term_lists)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for document in data:
            self.stat_update(StatHints.total)
            with self.track_time():
                reason = self.apply(document)
            if reason:
                self.stat_update(StatHints.dropped, f"dropped_{reason}")
                continue
            self.stat_update(StatHints.forwarded)
            yield document

    def apply(self, document: Document) -> str | None:
        """Tag or redact ``document`` in place; the drop reason when a ``drop`` list decides, else None."""
        language = document.metadata.get("language") or self.default_language
        found = self.matcher.hits(document.text, language)
        for term_list in self.term_lists:
            count = found.counts.get(term_list.name)
            if count:
                self.stat_update(f"{term_list.name}_documents")
                self.stat_update(f"{term_list.name}_hits", value=count)
        for term_list in self.term_lists:
            if term_list.action == "drop" and found.counts.get(term_list.name, 0) >= term_list.min_hits:
                return DROP_PREFIX + term_list.name
        redactions: list[tuple[TermMatch, TermList]] = []
        for term_list in self.term_lists:
            if term_list.name not in found.counts:
                continue
            if term_list.action == "tag":
                document.metadata[TAG_PREFIX + term_list.name] = found.counts[term_list.name]
            elif term_list.action == "redact":
                redactions += [(match, term_list) for match in found.spans[term_list.name]]
        if redactions:
            document.text = self._redact(document.text, redactions)
        return None

    def _redact(self, text: str, redactions: list[tuple[TermMatch, TermList]]) -> str:
        """``text`` with each chosen span replaced (leftmost-longest across lists; earlier lists win ties)."""
        order = {id(term_list): i for i, term_list in enumerate(self.term_lists)}
        redactions.sort(key=lambda item: (item[0].start, -(item[0].end - item[0].start), order[id(item[1])]))
        pieces, position = [], 0
        for match, term_list in redactions:
            if match.start < position:
                continue
            pieces += [text[position : match.start], term_list.replacement]
            position = match.end
            self.stat_update(f"{term_list.name}_redacted")
        pieces.append(text[position:])
        return "".join(pieces)
