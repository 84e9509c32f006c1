"""The labeled-data format every trainer reads, and the splits made from it.

One JSON object per line (``.jsonl`` or ``.jsonl.gz``)::

    {"text": "...", "label": "high", "source": "scrapinghub"}    # a class (LLM annotation, reference vs web)
    {"text": "...", "score": 3.5, "source": "llm-annotations"}   # a 0-5 style score (regression head)

``source`` says where a document came from; metrics are reported per source, and whole sources can be held
out of training to see whether a classifier learned quality or merely learned its sources. A file holds
either labels or scores, not both kinds.

Splits are deterministic: a document's side depends only on a hash of its text and the seed, so identical
texts always land on the same side (no train/validation leak through duplicates) and adding documents does
not reshuffle the others.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Head = Literal["classification", "regression"]
DEFAULT_SOURCE = "unknown"


class LabelError(ValueError):
    """A labeled file that cannot be used, with the file, the line and what to change."""


@dataclass(frozen=True)
class LabeledExample:
    text: str
    label: str | None = None
    score: float | None = None
    source: str = DEFAULT_SOURCE
    id: str = ""

    @property
    def target(self) -> str | float:
        return self.score if self.label is None else self.label

    def to_json(self) -> dict:
        record: dict = {"id": self.id, "text": self.text, "source": self.source}
        if self.label is not None:
            record["label"] = self.label
        else:
            record["score"] = self.score
        return record


def _normalise_label(value: object) -> str | None:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_record(record: object, where: str) -> LabeledExample:
    """One labeled example from a decoded JSON value; ``where`` (file:line) goes into any error."""
    if not isinstance(record, dict):
        raise LabelError(f"{where}: expected a JSON object, got {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LabelError(f"{where}: 'text' must be a non-empty string")
    has_label, has_score = record.get("label") is not None, record.get("score") is not None
    if has_label == has_score:
        raise LabelError(f"{where}: give exactly one of 'label' (a class) or 'score' (a number)")
    label = score = None
    if has_label:
        label = _normalise_label(record["label"])
        if label is None:
            raise LabelError(f"{where}: 'label' must be a string or an integer, got {record['label']!r}")
    else:
        value = record["score"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise LabelError(f"{where}: 'score' must be a number, got {value!r}")
        score = float(value)
    source = record.get("source") or DEFAULT_SOURCE
    identifier = record.get("id")
    return LabeledExample(
        text=text,
        label=label,
        score=score,
        source=str(source),
        id=str(identifier) if identifier is not None else "",
    )


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.name.endswith(".gz") else path.open(encoding="utf-8")


def _open_for_writing(path: Path):
    return gzip.open(path, "wt", encoding="utf-8") if path.name.endswith(".gz") else path.open("w", encoding="utf-8")


def read_labeled(path: str | Path) -> list[LabeledExample]:
    """Every example of a labeled JSONL file, validated; ids default to ``<file stem>:<line>``."""
    path = Path(path)
    if not path.is_file():
        raise LabelError(f"{path}: no such labeled file")
    examples: list[LabeledExample] = []
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise LabelError(f"{where}: not valid JSON ({error.msg})") from None
            example = parse_record(record, where)
            if not example.id:
                example = LabeledExample(example.text, example.label, example.score, example.source, f"{number}")
            examples.append(example)
    if not examples:
        raise LabelError(f"{path}: no labeled examples")
    infer_head(examples, str(path))
    return examples


def write_labeled(path: str | Path, examples: Iterable[LabeledExample]) -> int:
    """Write examples as JSONL (gzip when the name ends in .gz); returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with _open_for_writing(path) as handle:
        for example in examples:
            handle.write(json.dumps(example.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count


def infer_head(examples: Sequence[LabeledExample], where: str = "labeled data") -> Head:
    """``classification`` when every example has a label, ``regression`` when every one has a score."""
    labeled = sum(1 for e in examples if e.label is not None)
    if labeled and labeled != len(examples):
        raise LabelError(
            f"{where}: {labeled} examples have a 'label' and {len(examples) - labeled} a 'score'; "
            "use one kind per file (classification or regression)"
        )
    return "classification" if labeled else "regression"


def label_names(examples: Sequence[LabeledExample]) -> list[str]:
    """The classes present, sorted (numbers numerically: "0" < "1" < "10")."""
    names = {e.label for e in examples if e.label is not None}
    return sorted(names, key=lambda n: (0, int(n), "") if n.lstrip("-").isdigit() else (1, 0, n))


def text_key(text: str, seed: int) -> float:
    """A uniform number in [0, 1) fixed by the text (whitespace-normalised) and the seed."""
    digest = hashlib.blake2b(f"{seed}\x00{' '.join(text.split())}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class Split:
    train: list[LabeledExample]
    validation: list[LabeledExample]
    held_out: list[LabeledExample] = field(default_factory=list)

    def describe(self) -> dict[str, dict[str, int]]:
        return {
            name: dict(sorted(Counter(e.source for e in part).items()))
            for name, part in (("train", self.train), ("validation", self.validation), ("held_out", self.held_out))
        }


def split_examples(
    examples: Sequence[LabeledExample],
    validation_fraction: float = 0.15,
    seed: int = 0,
    hold_out_sources: Sequence[str] = (),
) -> Split:
    """Train / validation / held-out parts.

    Held-out sources go entirely to ``held_out`` (never trained on, never used for early stopping). The rest
    is split per (source, target) group, so every source and class is in validation in proportion; within a
    group the documents with the smallest text keys go to validation. A text that lands on both sides (an
    exact duplicate in two groups) is kept only in validation.
    """
    if not 0 < validation_fraction < 1:
        raise LabelError(f"validation_fraction must be between 0 and 1 (got {validation_fraction})")
    unknown = sorted(set(hold_out_sources) - {e.source for e in examples})
    if unknown:
        present = ", ".join(sorted({e.source for e in examples}))
        raise LabelError(f"held-out sources {unknown} are not in the data; sources present: {present}")
    held = set(hold_out_sources)
    groups: dict[tuple[str, str], list[LabeledExample]] = defaultdict(list)
    held_out: list[LabeledExample] = []
    for example in examples:
        if example.source in held:
            held_out.append(example)
        else:
            target = example.label if example.label is not None else _score_bucket(example.score)
            groups[(example.source, target)].append(example)
    train: list[LabeledExample] = []
    validation: list[LabeledExample] = []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda e: (text_key(e.text, seed), e.id))
        cut = round(validation_fraction * len(members)) if len(members) > 1 else 0
        validation += members[:cut]
        train += members[cut:]
    in_validation = {" ".join(e.text.split()) for e in validation}
    train = [e for e in train if " ".join(e.text.split()) not in in_validation]
    if not train or not validation:
        raise LabelError(
            f"too little data to split: {len(train)} training and {len(validation)} validation examples; "
            "add examples or change validation_fraction"
        )
    return Split(train=train, validation=validation, held_out=held_out)


def _score_bucket(score: float | None) -> str:
    return str(round(score or 0.0))


def balance_classes(examples: Sequence[LabeledExample], seed: int = 0) -> list[LabeledExample]:
    """Repeat examples of the smaller classes until every class is as large as the largest (deterministic).

    With balanced classes a probability of 0.5 means no preference, so the card's default threshold needs no
    tuning to the class mix of the training data.
    """
    by_label: dict[str, list[LabeledExample]] = defaultdict(list)
    for example in examples:
        by_label[example.label or ""].append(example)
    largest = max(len(members) for members in by_label.values())
    rng = random.Random(seed)
    balanced: list[LabeledExample] = []
    for label in sorted(by_label):
        members = by_label[label]
        copies, remainder = divmod(largest, len(members))
        balanced += members * copies + rng.sample(members, remainder)
    rng.shuffle(balanced)
    return balanced
