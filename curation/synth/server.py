"""A small OpenAI-compatible chat-completions server (aiohttp) over a local model or a scripted responder.

It answers ``POST /v1/chat/completions`` and ``GET /v1/models`` the way vLLM does, including
``continue_final_message`` (continue a final assistant message; the answer holds the continuation only),
so the HTTP backend can be exercised end to end without a GPU server:

    python -m curation.synth.server --model bundled:smollm2 --port 8000     # SmolLM2 through transformers
    python -m curation.synth.server --stub "A fixed answer." --port 8001    # zero-latency stub, for benchmarks

A *responder* decides each answer: ``BackendResponder`` asks any ``Backend`` (the local transformers one
batches concurrent requests), ``FixedResponder`` returns a fixed text at once. A responder may also return
a ``Reply`` (any status, headers and raw body), which is how tests script rate limits, server errors,
slow answers and malformed bodies.

The server counts, per payload hash (model, sampling parameters, messages: what the client's cache hashes),
the requests it *received* and the answers it *delivered* (written whole to a connection still open), so a
test can check that no request is answered twice.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from curation.synth.backends.base import Backend, ChatRequest, Completion, SamplingParams, payload_hash


@dataclass(frozen=True)
class Reply:
    """A raw HTTP answer a responder can give instead of a completion (an error, a malformed body)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[ChatRequest, dict[str, Any]], Awaitable[Completion | Reply]]
"""``await responder(request, body)``: the parsed request, and the raw JSON body for anything else."""


class BackendResponder:
    """Answers with a ``Backend`` (e.g. ``TransformersBackend``: concurrent requests are batched)."""

    def __init__(self, backend: Backend):
        self.backend = backend

    async def __call__(self, request: ChatRequest, body: dict[str, Any]) -> Completion:
        return await self.backend.complete(request)


class FixedResponder:
    """Answers every request at once with ``text`` (a zero-latency stub for measuring client overhead)."""

    def __init__(self, text: str = "A fixed answer from the stub server.", model: str = "stub"):
        self.text = text
        self.model = model
        self.completion_tokens = len(text.split())

    async def __call__(self, request: ChatRequest, body: dict[str, Any]) -> Completion:
        prompt_tokens = sum(len(m["content"].split()) for m in request.messages)
        return Completion(request.prefill + self.text, "stop", prompt_tokens, self.completion_tokens, self.model)


@dataclass
class RequestLog:
    """Requests received and answers delivered, per payload hash."""

    received: Counter[str] = field(default_factory=Counter)
    delivered: Counter[str] = field(default_factory=Counter)

    def repeats(self) -> dict[str, int]:
        """Payloads whose answer was delivered more than once, with the count."""
        return {key: count for key, count in self.delivered.items() if count > 1}


def parse_body(body: Any) -> ChatRequest:
    """The ``ChatRequest`` a chat-completions body asks for; ``ValueError`` saying what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("'messages' must be a non-empty list")
    messages = [{"role": m.get("role"), "content": m.get("content")} for m in messages if isinstance(m, dict)]
    prefill = ""
    if body.get("continue_final_message") and messages and messages[-1]["role"] == "assistant":
        prefill = str(messages.pop()["content"])
    sampling = SamplingParams(
        temperature=float(body.get("temperature", 1.0)),
        top_p=float(body.get("top_p", 1.0)),
        max_tokens=int(body.get("max_tokens") or 256),
        seed=int(body.get("seed") or 0),
    )
    return ChatRequest(tuple(messages), sampling, prefill)


def body_key(body: dict[str, Any]) -> str:
    """The payload hash of a request body, as the client computes it (transport flags left out)."""
    payload = {k: v for k, v in body.items() if k not in ("continue_final_message", "add_generation_prompt", "stream")}
    return payload_hash(payload)


class ChatServer:
    """The server (see the module docstring); ``start()`` runs it in a background thread."""

    def __init__(self, responder: Responder, model: str = "local", host: str = "127.0.0.1", port: int = 0):
        self.responder = responder
        self.model = model
        self.host = host
        self.port = port
        self.log = RequestLog()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        return app

    async def _models(self, request: web.Request) -> web.Response:
        data = {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "curation"}]}
        return web.Response(body=orjson.dumps(data), content_type="application/json")

    async def _chat(self, http_request: web.Request) -> web.StreamResponse:
        raw = await http_request.read()
        try:
            body = orjson.loads(raw)
            request = parse_body(body)
        except (orjson.JSONDecodeError, ValueError, TypeError) as error:
            return _json_response(400, {"error": {"message": str(error), "type": "invalid_request_error"}})
        key = body_key(body)
        self.log.received[key] += 1
        answer = await self.responder(request, body)
        if isinstance(answer, Reply):
            response = web.Response(status=answer.status, body=answer.body, headers=answer.headers)
            response.content_type = answer.headers.get("Content-Type", "application/json")
            return response
        text = (
            answer.text[len(request.prefill) :]
            if request.prefill and answer.text.startswith(request.prefill)
            else answer.text
        )
        data = {
            "id": f"chatcmpl-{key[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": answer.model or self.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": answer.finish_reason}
            ],
            "usage": {
                "prompt_tokens": answer.prompt_tokens or 0,
                "completion_tokens": answer.completion_tokens or 0,
                "total_tokens": (answer.prompt_tokens or 0) + (answer.completion_tokens or 0),
            },
        }
        return await self._deliver(http_request, orjson.dumps(data), key)

    async def _deliver(self, http_request: web.Request, payload: bytes, key: str) -> web.StreamResponse:
        """Write the answer; count it delivered only if the whole body went to a connection still open."""
        transport = http_request.transport
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = len(payload)
        if transport is None or transport.is_closing():
            return response
        try:
            await response.prepare(http_request)
            await response.write(payload)
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            return response
        if http_request.transport is not None and not http_request.transport.is_closing():
            self.log.delivered[key] += 1
        return response

    def start(self, timeout: float = 30.0) -> ChatServer:
        """Serve in a background thread; returns once the port is bound (``port`` 0 picks a free one)."""
        self._thread = threading.Thread(target=self._serve, name="chat-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the chat server did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the chat server failed to start: {self._error}") from self._error
        return self

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._open())
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    async def _open(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        sockets = site._server.sockets if site._server is not None else []  # the bound port when 0 was asked
        if sockets:
            self.port = sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _json_response(status: int, data: dict[str, Any]) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m curation.synth.server", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="bundled:smollm2, a GGUF file or a model folder (transformers)")
    source.add_argument("--stub", metavar="TEXT", help="answer every request at once with TEXT")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--batch-size", type=int, default=8, help="requests generated together (--model)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    if args.stub is not None:
        responder: Responder = FixedResponder(args.stub)
        name = "stub"
    else:
        from curation.synth.backends.transformers_local import TransformersBackend

        responder = BackendResponder(TransformersBackend(args.model, device=args.device, batch_size=args.batch_size))
        name = args.model
    server = ChatServer(responder, model=name, host=args.host, port=args.port)
    web.run_app(server.app(), host=args.host, port=args.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
