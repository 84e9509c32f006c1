"""LLM backends behind one interface (``Backend.complete``): OpenAI-compatible HTTP, local transformers,
and vLLM's offline engine when it is installed.

A recipe names a backend as a mapping, ``{kind: openai, base_url: ..., model: ...}``; ``make_backend``
builds it. Importing this package loads neither torch nor aiohttp.
"""

from __future__ import annotations

from typing import Any

from curation.synth.backends.base import (
    Backend,
    BackendConfigError,
    BackendError,
    ChatRequest,
    Completion,
    SamplingParams,
    payload_hash,
)

BACKEND_KINDS = {
    "openai": "curation.synth.backends.openai_http:OpenAIHTTPBackend",
    "transformers": "curation.synth.backends.transformers_local:TransformersBackend",
    "vllm": "curation.synth.backends.vllm_offline:VLLMBackend",
}

LOCAL_BACKEND_KINDS = ("transformers", "vllm")
"""Backends whose ``model`` is a model folder or hub id loaded in the worker (an HTTP backend's is a name)."""


def backend_class(kind: str) -> type[Backend]:
    """The class behind a backend kind (imported on demand)."""
    import importlib

    if kind not in BACKEND_KINDS:
        raise BackendConfigError(f"unknown backend kind {kind!r}; use one of {', '.join(BACKEND_KINDS)}")
    module, _, name = BACKEND_KINDS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def check_backend_spec(spec: dict[str, Any]) -> None:
    """Check a backend mapping without building it (no model is loaded, no connection made)."""
    import inspect

    if not isinstance(spec, dict) or "kind" not in spec:
        raise BackendConfigError(f"a backend is a mapping with a 'kind' ({', '.join(BACKEND_KINDS)}), got {spec!r}")
    options = {k: v for k, v in spec.items() if k != "kind"}
    cls = backend_class(str(spec["kind"]))
    parameters = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(options) - set(parameters))
    if unknown:
        allowed = ", ".join(p for p in parameters if p != "self")
        raise BackendConfigError(f"unknown option(s) {unknown} for the {spec['kind']} backend; allowed: {allowed}")
    missing = [
        name for name, p in parameters.items() if name != "self" and p.default is p.empty and name not in options
    ]
    if missing:
        raise BackendConfigError(f"the {spec['kind']} backend needs {', '.join(missing)}")


def make_backend(spec: dict[str, Any]) -> Backend:
    """Build a backend from ``{kind: ..., **options}``."""
    check_backend_spec(spec)
    options = {k: v for k, v in spec.items() if k != "kind"}
    return backend_class(str(spec["kind"]))(**options)


__all__ = [
    "BACKEND_KINDS",
    "Backend",
    "BackendConfigError",
    "BackendError",
    "ChatRequest",
    "Completion",
    "SamplingParams",
    "backend_class",
    "check_backend_spec",
    "make_backend",
    "payload_hash",
]
