"""Local transformers generation (a tiny random-weights Llama built from a config), batched, per-request
seeds, and the same model served over real HTTP."""

from __future__ import annotations

import asyncio

import pytest

from curation.synth.backends.base import ChatRequest, SamplingParams
from curation.synth.backends.openai_http import OpenAIHTTPBackend
from curation.synth.backends.transformers_local import TransformersBackend
from curation.synth.models import ModelNotFoundError, resolve_model
from curation.synth.server import BackendResponder, ChatServer
from tests.synth_support import build_tiny_chat_lm


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    return build_tiny_chat_lm(tmp_path_factory.mktemp("synth") / "tiny-chat-llama")


@pytest.fixture(scope="module")
def local(tiny_lm):
    return TransformersBackend(str(tiny_lm), device="cpu", batch_size=4)


def ask(text: str, seed: int, temperature: float = 0.9, max_tokens: int = 12, prefill: str = "") -> ChatRequest:
    sampling = SamplingParams(temperature, 0.9, max_tokens, seed)
    return ChatRequest(({"role": "user", "content": text},), sampling, prefill)


def test_a_requests_answer_depends_on_its_seed_not_on_its_batch(local):
    alone = local.generate([ask("rivers", 7)])[0]
    batched = local.generate([ask("a much longer prompt about markets and harbours", 1), ask("rivers", 7)])[1]
    assert alone.text == batched.text and alone.completion_tokens == batched.completion_tokens
    assert local.generate([ask("rivers", 8)])[0].text != alone.text
    greedy = [local.generate([ask("rivers", seed, temperature=0.0)])[0].text for seed in (1, 2)]
    assert greedy[0] == greedy[1]


def test_limits_prefix_and_token_counts(local):
    answer = local.generate([ask("rivers", 3, max_tokens=5, prefill="# ")])[0]
    assert answer.text.startswith("# ")
    assert answer.completion_tokens <= 5
    assert answer.finish_reason in ("length", "stop")
    if answer.finish_reason == "length":
        assert answer.completion_tokens == 5
    prompt = local.tokenizer(local.prompt_text(ask("rivers", 3, prefill="# ")), add_special_tokens=False)
    assert answer.prompt_tokens == len(prompt["input_ids"])


def test_concurrent_requests_are_batched(local):
    async def many():
        return await asyncio.gather(*(local.complete(ask(f"topic {i}", i)) for i in range(6)))

    before = local.generation_seconds
    answers = asyncio.run(many())
    assert len(answers) == 6 and local.generation_seconds > before
    for i, answer in enumerate(answers):  # each equals the request generated alone
        assert answer.text == local.generate([ask(f"topic {i}", i)])[0].text


def test_repetition_penalty_changes_greedy_answers_and_the_cache_key(local, tiny_lm):
    from curation.synth.backends.base import BackendConfigError

    penalised = TransformersBackend(str(tiny_lm), device="cpu", batch_size=4, repetition_penalty=1.5)
    request = ask("rivers and rivers", 1, temperature=0.0, max_tokens=24)
    plain, other = local.generate([request])[0], penalised.generate([request])[0]
    distinct = [len(set(local.tokenizer(a.text, add_special_tokens=False)["input_ids"])) for a in (plain, other)]
    assert distinct[1] > distinct[0]  # the tiny model loops over a few tokens; the penalty steers greedy decoding off
    assert "repetition_penalty" not in local.payload(request)  # off: the keys made before the option stay valid
    assert penalised.payload(request)["repetition_penalty"] == 1.5
    assert penalised.describe()["repetition_penalty"] == 1.5
    with pytest.raises(BackendConfigError, match="repetition_penalty"):
        TransformersBackend(str(tiny_lm), device="cpu", repetition_penalty=0)


def test_the_tiny_model_over_real_http_gives_the_local_answers(local):
    with ChatServer(BackendResponder(local), model="tiny") as server:
        client = OpenAIHTTPBackend("tiny", base_url=server.base_url, prefill=True)
        requests = [ask(f"harbour {i}", 100 + i, prefill="- ") for i in range(3)]

        async def send():
            try:
                return await asyncio.gather(*(client.complete(r) for r in requests))
            finally:
                await client.aclose()

        over_http = asyncio.run(send())
    direct = local.generate(requests)
    assert [a.text for a in over_http] == [a.text for a in direct]
    assert [a.completion_tokens for a in over_http] == [a.completion_tokens for a in direct]
    assert all(a.text.startswith("- ") for a in over_http)


def test_model_references(tmp_path, tiny_lm):
    assert resolve_model(str(tiny_lm)).local
    with pytest.raises(ModelNotFoundError, match="no model at"):
        resolve_model(str(tmp_path / "missing"))
    with pytest.raises(ModelNotFoundError, match="no bundled model"):
        resolve_model("bundled:nothing")
    not_gguf = tmp_path / "weights.bin"
    not_gguf.write_bytes(b"x")
    with pytest.raises(ModelNotFoundError, match=r"not a \.gguf"):
        resolve_model(str(not_gguf))
