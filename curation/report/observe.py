"""What a run records for its report while documents pass: bounded histograms, drop examples, composition.

A run's counts say how many documents each stage dropped; a report also shows *which* and *how close to the
line*. A ``StageObserver`` sits around one stage of the shard pipeline (between its input and its output
iterators, without touching the stage):

- it keeps each document that entered and has not come out yet; when a later document comes out (stages keep
  their order), the ones before it that never came out were dropped. Each drop takes the next reason the
  stage's own stats counted (``dropped_<reason>``) since the last drop, which is exact for stages that decide
  one document at a time and the batch's reasons, in order, for batched ones;
- for each of the stage's thresholded metrics (``curation.report.thresholds``) it histograms the metric over
  every document that entered (kept or dropped), with the count on each side of each threshold;
- it keeps the first few dropped documents per reason (text cut to ``EXAMPLE_CHARS``), and the characters and
  ``token_count`` tokens entering and leaving.

``OutputObserver`` counts what reaches the writer: documents and tokens per language, domain and topic (at most
``MAX_VALUES`` values per field and shard, the rest as ``OTHER_VALUE``) and the length in characters.

Everything is a fixed number of numbers per shard, so a shard's completion marker carries it
(``ShardResult.observations``) and a report over a million documents reads kilobytes per shard. Observations
merge across shards with ``merge_observations``.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from datatrove.data import Document

from curation.report.thresholds import KEEP_AT_LEAST, MetricProbe, probes_for

EXAMPLES_PER_REASON = 3
MAX_PENDING = 10_000
"""Documents a stage may hold before the observer stops waiting for them (a stage that buffers more, or that
gives its outputs new ids, is not one whose drops can be told): the oldest are then no longer waited for."""
EXAMPLE_CHARS = 400
MAX_VALUES = 200
OTHER_VALUE = "(other)"
COMPOSITION_FIELDS = ("language", "domain", "topic_id")
TOKEN_FIELD = "token_count"
LENGTH_LOW, LENGTH_HIGH, LENGTH_BINS = 1.0, 1e7, 70
"""Document length in characters: 70 bins equal on a log10 scale from 1 to 10 million."""


class Histogram:
    """Counts in ``bins`` equal bins over [low, high] (log10 scale when ``log``); outside values go to the ends."""

    __slots__ = ("_scale", "_start", "bins", "counts", "high", "log", "low")

    def __init__(self, low: float, high: float, bins: int, log: bool = False):
        self.low, self.high, self.bins, self.log = low, high, bins, log
        self.counts = [0] * bins
        self._start = math.log10(low) if log else low
        span = (math.log10(high) if log else high) - self._start
        self._scale = bins / span if span > 0 else 0.0

    def add(self, value: float) -> None:
        if self.log:
            value = math.log10(value) if value > 0 else self._start
        index = int((value - self._start) * self._scale)
        self.counts[min(max(index, 0), self.bins - 1)] += 1

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "bins": self.bins, "log": self.log, "counts": self.counts}


def edges(histogram: dict[str, Any]) -> list[float]:
    """The ``bins + 1`` bin edges of a histogram dictionary, in the metric's own units."""
    bins, low, high = histogram["bins"], histogram["low"], histogram["high"]
    if histogram.get("log"):
        start, stop = math.log10(low), math.log10(high)
        return [10 ** (start + (stop - start) * i / bins) for i in range(bins + 1)]
    return [low + (high - low) * i / bins for i in range(bins + 1)]


class _MetricTally:
    """One probe's histogram and the counts on each side of its thresholds."""

    def __init__(self, probe: MetricProbe):
        self.probe = probe
        self.histogram = Histogram(probe.low, probe.high, probe.bins, probe.log)
        self.observed = 0
        self.missing = 0
        self.outside = [0] * len(probe.thresholds)

    def add(self, value: Any) -> None:
        if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
            self.missing += 1
            return
        self.observed += 1
        self.histogram.add(value)
        for position, threshold in enumerate(self.probe.thresholds):
            if (value < threshold.value) if threshold.side == KEEP_AT_LEAST else (value > threshold.value):
                self.outside[position] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.probe.describe(),
            "histogram": self.histogram.to_dict(),
            "observed": self.observed,
            "missing": self.missing,
            "outside": self.outside,
        }


def _sampled(document: Document, every: int) -> bool:
    return every <= 1 or zlib.crc32(str(document.id).encode()) % every == 0


class StageObserver:
    """Wraps one stage's input and output iterators; ``to_dict()`` is what the shard's marker keeps.

    ``step``: the stage (its ``stats`` give drop reasons; ``probes_for(step)`` its metrics).
    """

    def __init__(self, name: str, step: Any, examples_per_reason: int = EXAMPLES_PER_REASON):
        self.name = name
        self.step = step
        self.examples_per_reason = examples_per_reason
        probes = probes_for(step)
        self.read_probes = [_MetricTally(p) for p in probes if p.compute is None]
        self.computed_probes = [_MetricTally(p) for p in probes if p.compute is not None]
        self.pending: OrderedDict[Any, Document] = OrderedDict()
        self.examples: dict[str, list[dict[str, Any]]] = {}
        self.chars_in = self.chars_out = self.tokens_in = self.tokens_out = 0
        self._counted_reasons: Counter[str] = Counter()
        self._unclaimed: list[str] = []

    def entering(self, documents: Iterable[Document]) -> Iterator[Document]:
        for document in documents:
            self.chars_in += _chars(document)
            self.tokens_in += _tokens(document)
            for tally in self.computed_probes:
                if _sampled(document, tally.probe.sample_every):
                    tally.add(tally.probe.compute(document))
            key = document.id
            # a repeated id, or too many held: stop waiting for the earlier (or oldest) one; if it comes out,
            # it is observed then, as a document the observer did not see enter
            if key in self.pending:
                del self.pending[key]
            elif len(self.pending) >= MAX_PENDING:
                self.pending.popitem(last=False)
            self.pending[key] = document
            yield document

    def leaving(self, documents: Iterable[Document]) -> Iterator[Document]:
        unmatched = 0
        for document in documents:
            if document.id in self.pending:
                while self.pending:
                    key, earlier = self.pending.popitem(last=False)
                    if key == document.id:
                        break
                    self._settle(earlier, dropped=True)
            else:
                unmatched += 1
            self.chars_out += _chars(document)
            self.tokens_out += _tokens(document)
            self._observe_metrics(document)
            yield document
        # what never came out was dropped, unless the stage also emitted documents of its own (new ids): then
        # the leftovers cannot be told from documents it replaced
        while self.pending:
            self._settle(self.pending.popitem(last=False)[1], dropped=not unmatched)

    def _observe_metrics(self, document: Document) -> None:
        for tally in self.read_probes:
            tally.add(document.metadata.get(tally.probe.field))

    def _settle(self, document: Document, dropped: bool) -> None:
        self._observe_metrics(document)
        if dropped:
            self._keep_example(self._next_reason(), document)

    def _next_reason(self) -> str:
        """The oldest drop reason the stage counted and no dropped document has taken yet."""
        if not self._unclaimed:
            stats = getattr(getattr(self.step, "stats", None), "stats", {}) or {}
            now: Counter[str] = Counter()
            for key, metric in stats.items():
                if key.startswith("dropped_"):
                    now[key.removeprefix("dropped_")] = int(getattr(metric, "total", 0))
            for reason, count in sorted(now.items()):
                self._unclaimed += [reason] * max(0, count - self._counted_reasons[reason])
            self._counted_reasons = now
        return self._unclaimed.pop(0) if self._unclaimed else "unspecified"

    def _keep_example(self, reason: str, document: Document) -> None:
        kept = self.examples.setdefault(reason, [])
        if len(kept) < self.examples_per_reason:
            kept.append(example_of(document))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "chars_in": self.chars_in,
            "chars_out": self.chars_out,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "metrics": [tally.to_dict() for tally in self.read_probes + self.computed_probes],
            "examples": self.examples,
            "device": _device_of(self.step),
        }


def example_of(document: Document, chars: int = EXAMPLE_CHARS) -> dict[str, Any]:
    """A dropped document as the report shows it: id, text cut to ``chars``, scalar metadata (values cut)."""
    text = document.text if isinstance(document.text, str) else repr(document.text)
    metadata = {
        str(key): (value if isinstance(value, int | float | bool) or value is None else str(value)[:80])
        for key, value in list(document.metadata.items())[:12]
        if isinstance(value, str | int | float | bool) or value is None
    }
    return {
        "id": str(document.id)[:200],
        "text": text[:chars],
        "chars": len(text),
        "metadata": metadata,
    }


def _chars(document: Document) -> int:
    return len(document.text) if isinstance(document.text, str) else 0


def _tokens(document: Document) -> int:
    value = document.metadata.get(TOKEN_FIELD)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _device_of(step: Any) -> str | None:
    """Where a model stage ran: the inference engine's device (``cuda:0``, ``cpu``), ``cpu (fasttext)`` for a
    fastText classifier; None for stages without a model, or whose model never loaded."""
    classifier = getattr(step, "_classifier", None)
    for engine in (getattr(step, "_engine", None), getattr(classifier, "engine", None)):
        placement = getattr(engine, "placement", None)
        if placement is not None:
            return str(placement.device)
    if classifier is not None:
        return f"cpu ({getattr(classifier, 'backend', 'model')})"
    return None


class OutputObserver:
    """Documents and tokens per value of the composition fields, and lengths, of what reaches the writer."""

    def __init__(self, fields: Iterable[str] = COMPOSITION_FIELDS):
        self.fields = tuple(fields)
        self.composition: dict[str, dict[str, list[int]]] = {name: {} for name in self.fields}
        self.length = Histogram(LENGTH_LOW, LENGTH_HIGH, LENGTH_BINS, log=True)
        self.token_length = Histogram(LENGTH_LOW, LENGTH_HIGH, LENGTH_BINS, log=True)

    def counted(self, documents: Iterable[Document]) -> Iterator[Document]:
        length, token_length = self.length.add, self.token_length.add
        fields = [(name, self.composition[name]) for name in self.fields]
        for document in documents:
            metadata = document.metadata
            tokens = metadata.get(TOKEN_FIELD)
            if type(tokens) is not int:
                tokens = 0
            text = document.text
            length(len(text) if type(text) is str else 0)
            if tokens:
                token_length(tokens)
            for name, values in fields:
                value = metadata.get(name)
                if value is None:
                    continue
                key = value if type(value) is str else str(value)
                entry = values.get(key)
                if entry is None:
                    if len(values) >= MAX_VALUES:
                        key = OTHER_VALUE
                    entry = values.setdefault(key, [0, 0])
                entry[0] += 1
                entry[1] += tokens
            yield document

    def to_dict(self) -> dict[str, Any]:
        return {
            "composition": {name: values for name, values in self.composition.items() if values},
            "length_chars": self.length.to_dict(),
            "length_tokens": self.token_length.to_dict() if any(self.token_length.counts) else None,
        }


def merge_observations(parts: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    """Shard observations merged: stages line up by position; histograms and counts add; examples are the
    first ``EXAMPLES_PER_REASON`` per reason in the order given; composition keeps every value seen."""
    merged: dict[str, Any] = {"stages": [], "output": None, "shards": 0}
    for part in parts:
        if not part:
            continue
        merged["shards"] += 1
        for position, stage in enumerate(part.get("stages", [])):
            if position == len(merged["stages"]):
                merged["stages"].append(_copy_stage(stage))
                continue
            _merge_stage(merged["stages"][position], stage)
        output = part.get("output")
        if output:
            merged["output"] = _merge_output(merged["output"], output)
    return merged


def _copy_stage(stage: dict[str, Any]) -> dict[str, Any]:
    copied = dict(stage)
    copied["metrics"] = [
        {**m, "histogram": {**m["histogram"], "counts": list(m["histogram"]["counts"])}, "outside": list(m["outside"])}
        for m in stage.get("metrics", [])
    ]
    copied["examples"] = {reason: list(items) for reason, items in stage.get("examples", {}).items()}
    return copied


def _merge_stage(into: dict[str, Any], stage: dict[str, Any]) -> None:
    for key in ("chars_in", "chars_out", "tokens_in", "tokens_out"):
        into[key] = into.get(key, 0) + stage.get(key, 0)
    into["device"] = into.get("device") or stage.get("device")
    for target, metric in zip(into["metrics"], stage.get("metrics", []), strict=False):
        if target["field"] != metric["field"] or target["histogram"]["bins"] != metric["histogram"]["bins"]:
            continue
        _add_lists(target["histogram"]["counts"], metric["histogram"]["counts"])
        _add_lists(target["outside"], metric["outside"])
        target["observed"] += metric["observed"]
        target["missing"] += metric["missing"]
    for reason, items in stage.get("examples", {}).items():
        kept = into["examples"].setdefault(reason, [])
        kept += items[: max(0, EXAMPLES_PER_REASON - len(kept))]


def _merge_output(into: dict[str, Any] | None, output: dict[str, Any]) -> dict[str, Any]:
    if into is None:
        into = {"composition": {}, "length_chars": None, "length_tokens": None}
    for name, values in output.get("composition", {}).items():
        target = into["composition"].setdefault(name, {})
        for value, (documents, tokens) in values.items():
            entry = target.setdefault(value, [0, 0])
            entry[0] += documents
            entry[1] += tokens
    for key in ("length_chars", "length_tokens"):
        histogram = output.get(key)
        if not histogram:
            continue
        if into[key] is None:
            into[key] = {**histogram, "counts": list(histogram["counts"])}
        elif into[key]["bins"] == histogram["bins"]:
            _add_lists(into[key]["counts"], histogram["counts"])
    return into


def _add_lists(into: list[int], values: list[int]) -> None:
    for index, value in enumerate(values[: len(into)]):
        into[index] += value
