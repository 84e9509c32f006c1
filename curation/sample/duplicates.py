"""Exact- and near-duplicate injection, plus the similarity measures the ground truth is defined by.

Exact duplicates are copies of a good document that are identical after normalising whitespace and
case (`normalise`), because that is what a hash-based exact-dedup stage compares; some copies are
byte-identical and some differ only in layout or case so a stage that hashes raw bytes is caught out.

Near duplicates are edited copies (word substitutions, deletions, insertions, an appended footer)
whose word-5-gram Jaccard similarity to the original is steered into a window well inside
[0.7, 0.95]: similar enough for MinHash dedup to find them, different enough that exact dedup must
not. Edits are applied one at a time and the similarity re-measured, so the window holds for short
and long documents alike.
"""

from __future__ import annotations

import random
import re

WORD_RE = re.compile(r"\w+")
SHINGLE_SIZE = 5
EXACT_VARIANTS = ("identical", "whitespace", "case")
NEAR_JACCARD_BOUNDS = (0.7, 0.95)
"""Promised similarity range of every near-duplicate pair (see `word_shingles`)."""
_NEAR_TARGET = (0.76, 0.9)
_TOKEN_RE = re.compile(r"^(\W*)(\w.*?\w|\w)(\W*)$")


def normalise(text: str) -> str:
    """Whitespace- and case-insensitive form under which exact duplicates are equal."""
    return " ".join(text.lower().split())


def word_shingles(text: str, n: int = SHINGLE_SIZE) -> set[tuple[str, ...]]:
    """Set of lower-cased word n-grams (words = runs of `\\w`, punctuation ignored)."""
    words = WORD_RE.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def exact_copy(text: str, variant: str, rng: random.Random) -> str:
    """A copy that equals `text` after `normalise`; only `identical` is byte-for-byte equal."""
    if variant == "identical":
        return text
    if variant == "whitespace":
        choice = rng.randrange(3)
        if choice == 0:
            copy = text.replace("\n\n", "\n")
        elif choice == 1:
            copy = text.replace(". ", ".  ")
        else:
            # Trailing spaces on paragraph ends, but no whitespace-only lines: those would count as
            # repeated lines for Gopher and make a "good" copy look like junk.
            copy = "  " + text.replace("\n\n", " \n\n") + "\n"
    elif variant == "case":
        title, sep, body = text.partition("\n")
        copy = text.lower() if rng.random() < 0.5 else title.upper() + sep + body
    else:
        raise ValueError(f"unknown exact-duplicate variant {variant!r}")
    if copy == text or normalise(copy) != normalise(text):
        # e.g. upper-casing "ß" gives "SS", which no longer lower-cases back; fall back to a safe edit.
        copy = text + "\n"
    return copy


def _edit_once(
    lines: list[list[str]], body: list[int], pool: list[str], fillers: tuple[str, ...], rng: random.Random
) -> None:
    """Apply one substitution, deletion or insertion to a token of one of the `body` lines."""
    tokens = lines[rng.choice(body)]
    k = rng.randrange(1, len(tokens))
    op = rng.randrange(3)
    match = _TOKEN_RE.match(tokens[k])
    if op == 0 and match:
        lead, core, trail = match.groups()
        replacement = rng.choice(pool)
        if replacement.lower() != core.lower():
            tokens[k] = f"{lead}{replacement}{trail}"
    elif op == 1 and match and not match[3] and not match[1]:
        del tokens[k]
    else:
        tokens.insert(k, rng.choice(fillers))


def near_copy(text: str, insertions: tuple[str, ...], footer: str | None, rng: random.Random) -> str:
    """An edited copy of `text` whose word-5-gram Jaccard to `text` lies in `NEAR_JACCARD_BOUNDS`."""
    original = word_shingles(text)
    pool = [w for w in WORD_RE.findall(text) if w.islower() and len(w) > 3] or list(insertions)
    low, high = NEAR_JACCARD_BOUNDS
    for _ in range(20):
        target = rng.uniform(*_NEAR_TARGET)
        lines = [line.split(" ") if line else [] for line in text.split("\n")]
        body = [i for i in range(1, len(lines)) if len(lines[i]) > 3]  # never the title or the footer
        if footer is not None and rng.random() < 0.6:
            lines += [[], footer.split(" ")]
        similarity = jaccard(original, word_shingles(_join(lines)))
        for _ in range(400):
            if similarity <= target:
                break
            _edit_once(lines, body, pool, insertions, rng)
            similarity = jaccard(original, word_shingles(_join(lines)))
        if low < similarity < high:
            return _join(lines)
    raise RuntimeError("could not steer a near duplicate into the promised similarity range")


def _join(lines: list[list[str]]) -> str:
    return "\n".join(" ".join(tokens) for tokens in lines)


def character_edits(text: str, edits: int, rng: random.Random) -> str:
    """``text`` with ``edits`` single characters replaced, inserted or deleted at random places.

    The kind of near copy that word shingles miss in scripts written without spaces (a changed character in
    a Chinese sentence). Replacements and insertions are drawn from the text's own letters, so the copy
    stays in the text's script.
    """
    characters = list(text)
    letters = [character for character in characters if character.isalpha()] or characters
    for _ in range(edits):
        if not characters:
            break
        position = rng.randrange(len(characters))
        operation = rng.randrange(3)
        if operation == 0:
            characters[position] = rng.choice(letters)
        elif operation == 1:
            characters.insert(position, rng.choice(letters))
        else:
            del characters[position]
    return "".join(characters)
