"""The OpenAI-compatible HTTP backend against a real aiohttp server on 127.0.0.1: retries, timeouts,
malformed answers, explicit sampling, bounded in-flight requests, usage counts."""

from __future__ import annotations

import asyncio
import time

import pytest

from curation.synth.backends import make_backend
from curation.synth.backends.base import BackendConfigError, BackendError, ChatRequest, Completion, SamplingParams
from curation.synth.backends.openai_http import OpenAIHTTPBackend
from curation.synth.server import ChatServer, Reply, body_key
from tests.synth_support import ScriptedResponder


def ask(text: str, seed: int = 0, max_tokens: int = 32) -> ChatRequest:
    return ChatRequest(({"role": "user", "content": text},), SamplingParams(0.7, 0.9, max_tokens, seed))


def backend_for(server: ChatServer, **options) -> OpenAIHTTPBackend:
    options.setdefault("backoff", 0.01)
    return OpenAIHTTPBackend("scripted", base_url=server.base_url, **options)


def run(coroutine):
    return asyncio.run(coroutine)


async def _complete(backend, requests):
    try:
        return await asyncio.gather(*(backend.complete(r) for r in requests), return_exceptions=True)
    finally:
        await backend.aclose()


def settled(condition, timeout: float = 5.0) -> bool:
    """``condition()`` once the server has finished its bookkeeping: it counts an answer delivered after the
    last byte is written, which can be a moment after the client has read it."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


@pytest.fixture
def scripted():
    responder = ScriptedResponder()
    with ChatServer(responder, model="scripted") as server:
        yield server, responder


def test_rate_limits_and_server_errors_are_retried_until_answered(scripted):
    server, responder = scripted
    responder.faults = {"flaky": [429, 500, 429]}
    backend = backend_for(server)
    answer = run(_complete(backend, [ask("a flaky one"), ask("a calm one")]))
    assert all(isinstance(a, Completion) for a in answer)
    assert answer[0].text == "Answer to: a flaky one"
    assert backend.counters["retry_rate_limited"] == 2 and backend.counters["retry_server_error"] == 1
    assert backend.counters["sent"] == 5
    assert sum(server.log.received.values()) == 5
    assert settled(lambda: sum(server.log.delivered.values()) == 2), server.log.delivered


def test_retries_stop_after_max_retries_with_the_reason(scripted):
    server, responder = scripted
    responder.faults = {"always": [429] * 10, "broken": [500] * 10}
    backend = backend_for(server, max_retries=2)
    limited, broken = run(_complete(backend, [ask("always limited"), ask("broken server")]))
    assert isinstance(limited, BackendError) and limited.reason == "rate_limited"
    assert isinstance(broken, BackendError) and broken.reason == "server_error"
    assert backend.counters["sent"] == 6  # 1 + 2 retries each


def test_a_timeout_is_retried_and_a_persistent_one_fails(scripted):
    server, responder = scripted
    responder.slow_seconds = 1.5
    responder.faults = {"once": ["slow"], "always": ["slow"] * 5}
    backend = backend_for(server, timeout=0.3, max_retries=1)
    once, always = run(_complete(backend, [ask("slow once"), ask("slow always")]))
    assert isinstance(once, Completion) and once.text == "Answer to: slow once"
    assert isinstance(always, BackendError) and always.reason == "timeout"
    assert backend.counters["retry_timeout"] == 2


def test_malformed_answers_are_retried_then_reported(scripted):
    server, responder = scripted
    responder.faults = {"odd": ["malformed", "garbage"], "bad": ["garbage"] * 5}
    backend = backend_for(server, max_retries=2)
    odd, bad = run(_complete(backend, [ask("odd body"), ask("bad body")]))
    assert isinstance(odd, Completion)
    assert isinstance(bad, BackendError) and bad.reason == "malformed_response"
    assert "proxy error" in str(bad)


def test_other_client_errors_are_final(scripted):
    server, _ = scripted

    async def reject(request, body):
        return Reply(400, b'{"error": {"message": "context too long"}}')

    server.responder = reject
    backend = backend_for(server)
    (error,) = run(_complete(backend, [ask("too long")]))
    assert isinstance(error, BackendError) and error.reason == "http_400"
    assert backend.counters["sent"] == 1


def test_sampling_parameters_are_always_sent_and_usage_is_read(scripted):
    server, _ = scripted
    bodies = []

    async def record(request, body):
        bodies.append(body)
        return Completion("ok", "stop", 11, 2, "served-name")

    server.responder = record
    backend = backend_for(server, extra_body={"top_k": -1})
    (answer,) = run(_complete(backend, [ask("x", seed=42, max_tokens=7)]))
    assert {k: bodies[0][k] for k in ("model", "temperature", "top_p", "max_tokens", "seed", "top_k")} == {
        "model": "scripted",
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 7,
        "seed": 42,
        "top_k": -1,
    }
    assert (answer.prompt_tokens, answer.completion_tokens, answer.model) == (11, 2, "served-name")
    assert backend.counters["prompt_tokens"] == 11
    # the server's key for a request is the payload hash the client's cache uses
    assert settled(lambda: body_key(bodies[0]) in server.log.delivered)


def test_prefill_continues_a_partial_answer(scripted):
    server, _ = scripted
    backend = backend_for(server, prefill=True)
    request = ChatRequest(({"role": "user", "content": "q"},), SamplingParams(), prefill="Question 1:")
    (answer,) = run(_complete(backend, [request]))
    assert answer.text == "Question 1:Answer to: q"  # the server answered the continuation only
    assert backend.payload(request)["messages"][-1] == {"role": "assistant", "content": "Question 1:"}


def test_in_flight_requests_are_bounded(scripted):
    server, _ = scripted
    state = {"now": 0, "most": 0}

    async def slow(request, body):
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        await asyncio.sleep(0.05)
        state["now"] -= 1
        return Completion("ok", "stop", 1, 1, "m")

    server.responder = slow
    backend = backend_for(server, max_in_flight=3)
    answers = run(_complete(backend, [ask(f"q{i}") for i in range(12)]))
    assert all(isinstance(a, Completion) for a in answers)
    assert state["most"] == 3


def test_base_url_and_key_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "secret")
    backend = make_backend({"kind": "openai", "model": "m"})
    assert backend.base_url == "http://127.0.0.1:9/v1" and backend.api_key == "secret"
    monkeypatch.delenv("OPENAI_API_KEY")
    assert make_backend({"kind": "openai", "model": "m"}).api_key is None  # a local server needs none
    monkeypatch.delenv("OPENAI_BASE_URL")
    with pytest.raises(BackendConfigError, match="base_url"):
        make_backend({"kind": "openai", "model": "m"})
    with pytest.raises(BackendConfigError, match="unknown option"):
        make_backend({"kind": "openai", "model": "m", "base_url": "http://x/v1", "temprature": 1})
