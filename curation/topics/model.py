"""A fitted topic model as a folder: assign later runs and other crawls against it, with the same topic ids.

Layout (any fsspec location)::

    model.json                 k, dimension, the encoder (name, revision, fingerprint), the fit (algorithm,
                               seed, sample size and fingerprint), names, keywords, parents
    centroids.npy              (k, dimension) float32, unit length
    parent_centroids.npy       (parent_k, dimension) float32 (only with a second level)
    similarity_quantiles.npy   (k, 21) float32: each topic's similarity distribution (topic_confidence)
    vocabulary.json            the c-TF-IDF vocabulary (keywords are counted with it)

``model.json`` is written last, so a folder with it is complete. A model is only valid for embeddings of the
encoder it was fitted on, with the same dimension: ``check_compatible`` refuses anything else with a
message that says which encoder each side used.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from datatrove.io import DataFolder, get_datafolder

from curation.dedup import storage

FORMAT_VERSION = 1
MODEL_FILE = "model.json"


class TopicModelError(ValueError):
    """A saved topic model that is missing, incomplete, or does not fit these embeddings."""


@dataclass
class TopicModel:
    """Centroids and what belongs to them; ``names[t]``/``keywords[t]`` describe topic ``t``."""

    centroids: np.ndarray
    encoder: dict[str, Any]
    similarity_quantiles: np.ndarray
    vocabulary: list[str]
    fit: dict[str, Any] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    keywords: list[list[str]] = field(default_factory=list)
    parents: np.ndarray | None = None
    parent_centroids: np.ndarray | None = None
    parent_names: list[str] = field(default_factory=list)

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    @property
    def dimension(self) -> int:
        return int(self.centroids.shape[1])

    def check_compatible(self, encoder_tags: set[str], dimension: int | None, where: str) -> None:
        """Refuse embeddings from another encoder or of another dimension (``where`` names the model)."""
        saved = self.encoder.get("tag", "unknown")
        if dimension is not None and dimension != self.dimension:
            raise TopicModelError(
                f"topic model {where} has {self.dimension}-dimensional centroids, but these embeddings have "
                f"{dimension} dimensions (encoder {', '.join(sorted(encoder_tags)) or 'unknown'}); embed with "
                f"the model's encoder {saved!r} or fit a new topic model"
            )
        other = sorted(tag for tag in encoder_tags if tag != saved)
        if other:
            raise TopicModelError(
                f"topic model {where} was fitted on embeddings of encoder {saved!r}, but these come from "
                f"{', '.join(repr(t) for t in other)}; its centroids mean nothing in another encoder's space. "
                "Embed with the model's encoder (same weights), or fit a new topic model"
            )

    def save(self, folder: DataFolder | str) -> None:
        folder = get_datafolder(folder)
        _save_npy(folder, "centroids.npy", self.centroids.astype(np.float32))
        _save_npy(folder, "similarity_quantiles.npy", self.similarity_quantiles.astype(np.float32))
        if self.parent_centroids is not None:
            _save_npy(folder, "parent_centroids.npy", self.parent_centroids.astype(np.float32))
        storage.write_bytes(folder, "vocabulary.json", json.dumps(self.vocabulary, ensure_ascii=False).encode())
        description = {
            "format_version": FORMAT_VERSION,
            "k": self.k,
            "dimension": self.dimension,
            "metric": "cosine",
            "encoder": self.encoder,
            "fit": self.fit,
            "names": self.names,
            "keywords": self.keywords,
            "parents": None if self.parents is None else [int(p) for p in self.parents],
            "parent_names": self.parent_names,
        }
        storage.write_bytes(folder, MODEL_FILE, json.dumps(description, indent=1, ensure_ascii=False).encode())

    @classmethod
    def load(cls, folder: DataFolder | str) -> TopicModel:
        folder = get_datafolder(folder)
        if not folder.exists(MODEL_FILE):
            raise TopicModelError(
                f"no topic model at {folder.path} ({MODEL_FILE} is missing); give the topic_model folder a "
                "topic_cluster run wrote (its output's topic_model/), or leave topic_model unset to fit one"
            )
        description = json.loads(storage.read_bytes(folder, MODEL_FILE))
        if description.get("format_version") != FORMAT_VERSION:
            raise TopicModelError(
                f"topic model {folder.path} has format {description.get('format_version')!r}; this version reads "
                f"format {FORMAT_VERSION}"
            )
        centroids = _load_npy(folder, "centroids.npy")
        if centroids.shape != (description["k"], description["dimension"]):
            raise TopicModelError(f"topic model {folder.path}: centroids.npy does not match model.json")
        parents = description.get("parents")
        return cls(
            centroids=centroids,
            encoder=description["encoder"],
            similarity_quantiles=_load_npy(folder, "similarity_quantiles.npy"),
            vocabulary=json.loads(storage.read_bytes(folder, "vocabulary.json")),
            fit=description.get("fit", {}),
            names=description.get("names", []),
            keywords=description.get("keywords", []),
            parents=None if parents is None else np.asarray(parents, dtype=np.int32),
            parent_centroids=_load_npy(folder, "parent_centroids.npy") if parents is not None else None,
            parent_names=description.get("parent_names", []),
        )


def _save_npy(folder: DataFolder, path: str, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    storage.write_bytes(folder, path, buffer.getvalue())


def _load_npy(folder: DataFolder, path: str) -> np.ndarray:
    try:
        return np.load(io.BytesIO(storage.read_bytes(folder, path)), allow_pickle=False)
    except FileNotFoundError as error:
        raise TopicModelError(f"topic model {folder.path} is incomplete: {path} is missing") from error
