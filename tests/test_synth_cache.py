"""The SQLite request cache and the dispatcher: keys, claims, budget, order, no request sent twice."""

from __future__ import annotations

import pytest

from curation.synth.backends.base import ChatRequest, SamplingParams, payload_hash
from curation.synth.backends.openai_http import OpenAIHTTPBackend
from curation.synth.cache import Claim, RequestCache, RequestKey
from curation.synth.dispatch import Dispatcher, Job
from curation.synth.server import ChatServer
from tests.synth_support import ScriptedResponder


def key(source: str, rollout: int = 0, payload: str = "p") -> RequestKey:
    return RequestKey(source, "textbook_chapter", "1", rollout, payload)


def test_claim_answer_and_interruption(tmp_path):
    from curation.synth.backends.base import Completion

    cache = RequestCache(tmp_path / "c.sqlite")
    assert cache.lookup(key("a")) is None
    assert cache.claim(key("a")) is Claim.FIRST
    assert cache.lookup(key("a")).state == "pending"
    # a second process opening the file sees the committed claim: it was in flight when "killed"
    other = RequestCache(tmp_path / "c.sqlite")
    assert other.claim(key("a")) is Claim.AFTER_INTERRUPTION
    other.answer(key("a"), Completion("text", "stop", 3, 1, "m"))
    entry = cache.lookup(key("a"))
    assert entry.state == "answered" and entry.completion.text == "text" and entry.sends == 2
    with pytest.raises(RuntimeError, match="already answered"):
        cache.claim(key("a"))
    cache.claim(key("b"))
    cache.fail(key("b"), "timeout", "no answer")
    assert cache.claim(key("b")) is Claim.RETRY_OF_FAILED
    assert cache.counts() == {"answered": 1, "failed": 0, "pending": 1, "sends": 4, "sends_beyond_first": 2}


def test_every_part_of_the_key_matters(tmp_path):
    from curation.synth.backends.base import Completion

    cache = RequestCache(tmp_path / "c.sqlite")
    cache.claim(key("a"))
    cache.answer(key("a"), Completion("x", "stop", 1, 1, "m"))
    for other in (key("a", rollout=1), key("a", payload="q"), RequestKey("a", "textbook_chapter", "2", 0, "p")):
        assert cache.lookup(other) is None


def test_the_budget_refuses_sends_across_processes(tmp_path):
    first = RequestCache(tmp_path / "c.sqlite", max_sends=3)
    second = RequestCache(tmp_path / "c.sqlite", max_sends=3)
    claims = [first.claim(key("a")), second.claim(key("b")), first.claim(key("c")), second.claim(key("d"))]
    assert claims == [Claim.FIRST, Claim.FIRST, Claim.FIRST, Claim.OVER_BUDGET]


@pytest.fixture
def server():
    with ChatServer(ScriptedResponder(), model="scripted") as running:
        yield running


def jobs(backend, names):
    for name in names:
        request = ChatRequest(({"role": "user", "content": name},), SamplingParams(seed=1))
        yield name, Job(RequestKey(name, "t", "1", 0, payload_hash(backend.payload(request))), request)


def test_dispatch_keeps_input_order_sends_duplicates_once_and_reuses_answers(tmp_path, server):
    backend = OpenAIHTTPBackend("scripted", base_url=server.base_url, max_in_flight=8)
    names = [f"doc{i}" for i in range(40)] + ["doc3", "doc3"]
    dispatcher = Dispatcher(backend, RequestCache(tmp_path / "c.sqlite"), window=16)
    results = list(dispatcher.map(jobs(backend, names)))
    dispatcher.close()
    assert [name for name, _ in results] == names
    assert all(o.status == "answered" and o.completion.text == f"Answer to: {n}" for n, o in results)
    assert sum(server.log.received.values()) == 40  # doc3 three times in the stream, sent once
    again = Dispatcher(backend, RequestCache(tmp_path / "c.sqlite"))
    results = list(again.map(jobs(backend, names)))
    again.close()
    assert all(o.from_cache for _, o in results) and sum(server.log.received.values()) == 40
    assert again.counters == {"answered_from_cache": 42}
    renamed = OpenAIHTTPBackend("another-model", base_url=server.base_url)
    fresh = Dispatcher(renamed, RequestCache(tmp_path / "c.sqlite"))
    assert not any(o.from_cache for _, o in fresh.map(jobs(renamed, names[:5])))
    fresh.close()
    assert sum(server.log.received.values()) == 45  # a changed model makes new keys


def test_dispatch_reads_at_most_a_window_ahead_and_answers_a_lone_job_at_once(tmp_path, server):
    backend = OpenAIHTTPBackend("scripted", base_url=server.base_url, max_in_flight=4)
    dispatcher = Dispatcher(backend, RequestCache(tmp_path / "c.sqlite"), window=12)
    names = [f"doc{i}" for i in range(300)]
    read, ahead = 0, []

    def counted():
        nonlocal read
        for item in jobs(backend, names):
            read += 1
            yield item

    for done, (name, outcome) in enumerate(dispatcher.map(counted()), start=1):
        ahead.append(read - done)
        assert outcome.status == "answered" and name == names[done - 1]
    assert max(ahead) <= 12 and max(ahead) >= 4  # bounded by the window, yet several jobs settled at once
    # one job alone (as the namer sends them) is handed over at once, not held for a batch to fill
    assert dispatcher.settle_one(next(iter(jobs(backend, ["single"])))[1]).completion.text == "Answer to: single"
    dispatcher.close()
    assert sum(server.log.received.values()) == 301


def test_failures_are_counted_and_retried_on_a_later_run_only_if_asked(tmp_path, server):
    server.responder.faults = {"doc1": [500, 500]}
    backend = OpenAIHTTPBackend("scripted", base_url=server.base_url, max_retries=0, backoff=0.01)
    cache_path = tmp_path / "c.sqlite"
    first = Dispatcher(backend, RequestCache(cache_path))
    outcomes = dict(first.map(jobs(backend, ["doc0", "doc1"])))
    assert outcomes["doc1"].status == "failed" and outcomes["doc1"].reason == "server_error"
    assert first.counters == {"answered_now": 1, "failed_server_error": 1}
    kept = Dispatcher(backend, RequestCache(cache_path), retry_failed=False)
    assert dict(kept.map(jobs(backend, ["doc1"])))["doc1"].reason == "server_error"
    assert sum(server.log.received.values()) == 2
    retried = Dispatcher(backend, RequestCache(cache_path))
    assert dict(retried.map(jobs(backend, ["doc1"])))["doc1"].reason == "server_error"  # fails a second time
    final = Dispatcher(backend, RequestCache(cache_path))
    assert dict(final.map(jobs(backend, ["doc1"])))["doc1"].status == "answered"
    assert final.counters["resent_after_failure"] == 1
    for dispatcher in (first, kept, retried, final):
        dispatcher.close()
