"""The OpenAI-compatible chat-completions backend (vLLM, SGLang, llama.cpp's server, TGI, OpenAI itself).

Requests go through one ``aiohttp.ClientSession`` (keep-alive connections, HTTP/1.1), at most
``max_in_flight`` at a time, each with its own timeout. aiohttp's client rather than httpx: on the 2-core
machine httpx spends about 2 ms of CPU per request against a stub server and aiohttp about 0.3 ms
(``benchmarks/synth_client.py``), and the client must never be what limits a fast server.

429 (rate limited), 5xx, timeouts, dropped connections and malformed bodies are retried with exponential
backoff and jitter (a ``Retry-After`` header is honoured); other 4xx answers are final. Token counts come
from the response's ``usage``.

``base_url``, ``model`` and ``api_key`` come from the recipe, else from ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY``; without a key no ``Authorization`` header is sent, so a local server needs none.

With ``prefill: true`` a template's response prefix is sent as a final assistant message with
``continue_final_message: true, add_generation_prompt: false`` (vLLM's and SGLang's way to continue a
partial answer; llama.cpp's server continues a final assistant message by itself).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from typing import Any

import aiohttp
import orjson

from curation.synth.backends.base import Backend, BackendConfigError, BackendError, ChatRequest, Completion

BASE_URL_ENV = "OPENAI_BASE_URL"
API_KEY_ENV = "OPENAI_API_KEY"
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class OpenAIHTTPBackend(Backend):
    """Chat completions over HTTP with bounded concurrency, timeouts and retries.

    Args:
        model: the model name the server serves (sent as ``model``, recorded in provenance).
        base_url: e.g. ``http://127.0.0.1:8000/v1``; default ``$OPENAI_BASE_URL``.
        api_key: a key, or None to read ``api_key_env`` (default ``OPENAI_API_KEY``); none at all is fine.
        max_in_flight: requests awaiting an answer at once (per process).
        timeout: seconds one attempt may take, connection included.
        max_retries: further attempts after the first on a retryable failure.
        backoff: first retry delay in seconds; doubles per retry up to ``max_backoff``, with jitter.
        prefill: send a response prefix as a partial assistant turn to continue (see the module docstring).
        extra_body: more fields for the request body (``{"top_k": -1}``, ``{"repetition_penalty": 1.0}``);
            they are part of the payload, so they change cache keys.
    """

    kind = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = API_KEY_ENV,
        max_in_flight: int = 64,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        prefill: bool = False,
        extra_body: dict[str, Any] | None = None,
    ):
        base_url = base_url or os.environ.get(BASE_URL_ENV)
        if not base_url:
            raise BackendConfigError(
                f"the openai backend needs base_url (or ${BASE_URL_ENV}), e.g. http://host:8000/v1"
            )
        if not model:
            raise BackendConfigError("the openai backend needs the name of the served model (model: ...)")
        if max_in_flight < 1 or timeout <= 0 or max_retries < 0 or backoff < 0:
            raise BackendConfigError("max_in_flight >= 1, timeout > 0, max_retries >= 0 and backoff >= 0 are needed")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get(api_key_env) or None
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.prefill_supported = prefill
        self.extra_body = dict(extra_body or {})
        self.counters: Counter[str] = Counter()
        """``sent`` (attempts), ``retry_<reason>``, ``failed_<reason>``, ``prompt_tokens``, ``completion_tokens``."""
        self._sessions: dict[asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, asyncio.Semaphore]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_sessions"] = {}
        return state

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        return {**super().payload(request), **self.extra_body}

    @property
    def concurrency(self) -> int:
        return self.max_in_flight

    def describe(self) -> dict[str, Any]:
        return {"backend": self.kind, "model": self.model, "base_url": self.base_url}

    def _session(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        """The client and the in-flight bound of the running event loop (made on first use in it)."""
        loop = asyncio.get_running_loop()
        if loop not in self._sessions:
            headers = {"Content-Type": "application/json"}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            client = aiohttp.ClientSession(
                headers=headers,
                connector=aiohttp.TCPConnector(limit=self.max_in_flight, ttl_dns_cache=300),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
            self._sessions[loop] = (client, asyncio.Semaphore(self.max_in_flight))
        return self._sessions[loop]

    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body sent for ``request``: every sampling parameter stated explicitly."""
        body = self.payload(request)
        if self.prefill_supported and request.prefill:
            body["continue_final_message"] = True
            body["add_generation_prompt"] = False
        return body

    async def complete(self, request: ChatRequest) -> Completion:
        client, semaphore = self._session()
        content = orjson.dumps(self.body(request))
        url = f"{self.base_url}/chat/completions"
        attempt = 0
        while True:
            async with semaphore:
                self.counters["sent"] += 1
                reason, detail, retry_after, completion = await self._attempt(client, url, content, request)
            if completion is not None:
                return completion
            retryable = reason in ("rate_limited", "server_error", "timeout", "connection_error", "malformed_response")
            if not retryable or attempt >= self.max_retries:
                self.counters[f"failed_{reason}"] += 1
                raise BackendError(reason, f"{detail} (after {attempt + 1} attempt(s))")
            self.counters[f"retry_{reason}"] += 1
            delay = min(self.max_backoff, self.backoff * 2**attempt) * random.uniform(0.5, 1.0)
            if retry_after is not None:
                delay = min(self.max_backoff, max(delay, retry_after))
            attempt += 1
            await asyncio.sleep(delay)

    async def _attempt(
        self, client: aiohttp.ClientSession, url: str, content: bytes, request: ChatRequest
    ) -> tuple[str, str, float | None, Completion | None]:
        """(reason, detail, retry-after seconds, completion): the completion when it worked."""
        try:
            async with client.post(url, data=content) as response:
                status, headers, body = response.status, response.headers, await response.read()
        except TimeoutError as error:
            return "timeout", f"no answer within {self.timeout}s ({type(error).__name__})", None, None
        except aiohttp.ClientError as error:
            return "connection_error", f"{type(error).__name__}: {error}", None, None
        if status != 200:
            retry_after = _retry_after(headers.get("retry-after"))
            snippet = body[:200].decode("utf-8", "replace").replace("\n", " ")
            if status == 429:
                return "rate_limited", f"HTTP 429: {snippet}", retry_after, None
            if status >= 500 or status in RETRYABLE_STATUS:
                return "server_error", f"HTTP {status}: {snippet}", retry_after, None
            return f"http_{status}", f"HTTP {status}: {snippet}", None, None
        try:
            completion = self._parse(orjson.loads(body), request)
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as error:
            snippet = body[:120].decode("utf-8", "replace")
            return "malformed_response", f"{type(error).__name__}: {error}; body starts {snippet!r}", None, None
        return "", "", None, completion

    def _parse(self, data: Any, request: ChatRequest) -> Completion:
        choice = data["choices"][0]
        text = choice["message"]["content"]
        if not isinstance(text, str):
            raise TypeError(f"message content is {type(text).__name__}, not a string")
        finish = choice.get("finish_reason") or "stop"
        usage = data.get("usage") or {}
        prompt_tokens, completion_tokens = _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))
        if prompt_tokens is not None:
            self.counters["prompt_tokens"] += prompt_tokens
        if completion_tokens is not None:
            self.counters["completion_tokens"] += completion_tokens
        if self.prefill_supported and request.prefill:
            text = request.prefill + text  # a continued turn comes back without the part that was sent
        return Completion(text, str(finish), prompt_tokens, completion_tokens, str(data.get("model") or self.model))

    async def aclose(self) -> None:
        """Close this event loop's connections (each loop that used the backend has its own)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session[0].close()


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (an HTTP date is ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
