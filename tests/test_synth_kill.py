"""A synth run killed with SIGKILL and run again: no answered request is sent twice, nothing answered is lost.

The server counts, per payload, the requests it received and the answers it delivered; the client's
cache says which requests were in flight (claimed, never answered) at the kill: those, and only those, are
sent again.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from curation.synth.server import ChatServer
from tests.helpers import docs, write_jsonl
from tests.synth_support import ScriptedResponder

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = 40
RECIPE = """
name: synth-kill
stages:
  - stage: synth_requests
    params: {{templates: [distilled_summary], per_topic: 1000}}
  - stage: synth_generate
    params:
      backend: {{kind: openai, base_url: "{base_url}", model: scripted, max_in_flight: 4}}
      window: 8
  - synth_format
"""


def write_input(folder: Path) -> None:
    rows = [dict(d, topic_id=0, topic_name="everything", language="en") for d in docs(DOCUMENTS, words=80, seed=2)]
    write_jsonl(folder / "part-0.jsonl", rows[:20])
    write_jsonl(folder / "part-1.jsonl", rows[20:])


def start_run(recipe: Path, tmp: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "curation", "run", str(recipe), "-i", str(tmp / "in"), "-o", str(tmp / "out")]
    command += ["-w", "1", "-q"]
    return subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def cache_rows(path: Path, key: str = "source_id") -> dict[str, tuple[str, bytes | None]]:
    """source id (or payload hash) -> (state, response) as committed in the cache file."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            found = connection.execute(f"SELECT {key}, state, response FROM requests").fetchall()
    except sqlite3.OperationalError:  # the file exists but its schema is not written yet
        return {}
    return {name: (state, response) for name, state, response in found}


def wait_for(condition, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def answer(request):
    return f"A summary in plain words, seed {request.sampling.seed}: " + request.messages[-1]["content"][-120:]


def output_texts(out: Path) -> dict[str, str]:
    rows = [row for path in sorted(out.glob("*.parquet")) for row in pq.read_table(path).to_pylist()]
    return {row["synth_source_id"]: row["text"] for row in rows}


def test_kill_while_requests_are_in_flight_then_resume(tmp_path):
    write_input(tmp_path / "in")
    responder = ScriptedResponder(answer)
    responder.hold_after = 12  # answer 12, then hold every request until the client is killed
    with ChatServer(responder, model="scripted") as server:
        recipe = tmp_path / "synth.yaml"
        recipe.write_text(RECIPE.format(base_url=server.base_url))
        cache = tmp_path / "out" / "synth_cache.sqlite"
        process = start_run(recipe, tmp_path)
        wait_for(lambda: cache.exists() and sum(s == "answered" for s, _ in cache_rows(cache).values()) == 12)
        wait_for(lambda: sum(server.log.received.values()) == 16)  # 4 more in flight, held by the server
        process.send_signal(signal.SIGKILL)
        process.wait()
        before = cache_rows(cache)
        answered_before = {s: r for s, (state, r) in before.items() if state == "answered"}
        in_flight = {s for s, (state, _) in before.items() if state == "pending"}
        assert len(answered_before) == 12 and len(in_flight) == 4
        delivered_before = dict(server.log.delivered)
        assert sum(delivered_before.values()) == 12
        responder.hold_after = None
        server._loop.call_soon_threadsafe(responder.gate.set)  # the held answers find the client gone

        rerun = start_run(recipe, tmp_path)
        assert rerun.wait(timeout=300) == 0, rerun.stderr.read().decode()
        after = cache_rows(cache)
        assert all(state == "answered" for state, _ in after.values()) and len(after) == DOCUMENTS
        # nothing answered before the kill was sent again, nor lost: the cache kept each answer as it was
        for source, response in answered_before.items():
            assert after[source][1] == response
        assert not server.log.repeats()
        received_twice = {k for k, n in server.log.received.items() if n > 1}
        assert len(received_twice) == len(in_flight) == 4  # only the requests in flight at the kill
        assert sum(server.log.received.values()) == DOCUMENTS + len(in_flight)
        assert sum(server.log.delivered.values()) == DOCUMENTS
        texts = output_texts(tmp_path / "out")
        assert len(texts) == DOCUMENTS
        for source, response in answered_before.items():
            assert texts[source] == orjson.loads(response)["text"]


def test_kills_at_random_moments_send_no_received_answer_twice(tmp_path):
    write_input(tmp_path / "in")
    rng = random.Random(7)

    async_delays = {}

    async def slow(request, body):
        import asyncio

        await asyncio.sleep(async_delays.setdefault(request.messages[-1]["content"][-20:], rng.uniform(0.01, 0.08)))
        return await plain(request, body)

    plain = ScriptedResponder(answer)
    with ChatServer(slow, model="scripted") as server:
        recipe = tmp_path / "synth.yaml"
        recipe.write_text(RECIPE.format(base_url=server.base_url))
        cache = tmp_path / "out" / "synth_cache.sqlite"
        received_answers: dict[str, bytes] = {}
        snapshots = []
        for _ in range(3):
            process = start_run(recipe, tmp_path)
            time.sleep(rng.uniform(1.0, 3.0))
            process.send_signal(signal.SIGKILL)
            process.wait()
            if cache.exists():
                rows = cache_rows(cache, "payload_hash")
                answered = {s: r for s, (state, r) in rows.items() if state == "answered"}
                received_answers |= answered
                snapshots.append((set(answered), dict(server.log.received)))
        final = start_run(recipe, tmp_path)
        assert final.wait(timeout=300) == 0, final.stderr.read().decode()
        rows = cache_rows(cache, "payload_hash")
        assert len(rows) == DOCUMENTS and all(state == "answered" for state, _ in rows.values())
        for payload, response in received_answers.items():
            assert rows[payload][1] == response  # an answer once committed is never replaced
        # no request whose answer the client had received (committed) reached the server again
        for answered, received in snapshots:
            assert all(server.log.received[key] == received[key] for key in answered)
        assert len(output_texts(tmp_path / "out")) == DOCUMENTS


def test_annotate_killed_mid_run_resumes_without_resending_answered_requests(tmp_path):
    from curation.classify.labels import read_labeled

    rows = [dict(d, text=f"{d['id']} says: {d['text']}", source="web") for d in docs(30, prefix="a", seed=4)]
    write_jsonl(tmp_path / "in" / "part-0.jsonl", rows)

    def score(request):  # a score the test can check per document: its number modulo 6
        number = int(request.messages[-1]["content"].split(" says: ", 1)[0].rsplit("a", 1)[1])
        return f"Clear enough for a class.\nEducational score: {number % 6}"

    responder = ScriptedResponder(score)
    responder.hold_after = 10  # answer 10, then hold every request until the client is killed
    with ChatServer(responder, model="judge") as server:
        labels = tmp_path / "labels.jsonl"
        command = [sys.executable, "-m", "curation", "annotate", str(tmp_path / "in"), "-o", str(labels)]
        command += ["--base-url", server.base_url, "--model", "judge", "--max-in-flight", "4", "-q"]
        cache = tmp_path / "labels.annotate" / "synth_cache.sqlite"
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for(lambda: cache.exists() and sum(s == "answered" for s, _ in cache_rows(cache).values()) == 10, 300)
        wait_for(lambda: sum(server.log.received.values()) == 14)  # 4 more in flight, held by the server
        process.send_signal(signal.SIGKILL)
        process.wait()
        before = cache_rows(cache, "payload_hash")
        answered_before = {k: r for k, (state, r) in before.items() if state == "answered"}
        in_flight = {k for k, (state, _) in before.items() if state == "pending"}
        assert len(answered_before) == 10 and len(in_flight) == 4 and not labels.exists()
        received_at_kill = dict(server.log.received)
        responder.hold_after = None
        server._loop.call_soon_threadsafe(responder.gate.set)  # the held answers find the client gone

        rerun = subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert rerun.returncode == 0, rerun.stderr.decode()
        after = cache_rows(cache, "payload_hash")
        assert len(after) == 30 and all(state == "answered" for state, _ in after.values())
        for key, response in answered_before.items():
            assert after[key][1] == response  # kept as received
            assert server.log.received[key] == received_at_kill[key] == 1  # never sent again
        received_twice = {k for k, n in server.log.received.items() if n > 1}
        assert received_twice == in_flight  # only the requests in flight at the kill, once more each
        assert sum(server.log.received.values()) == 30 + len(in_flight)
        assert not server.log.repeats()
    examples = read_labeled(labels)
    assert sorted(e.id for e in examples) == sorted(r["id"] for r in rows)
    assert all(e.score == int(e.id[1:]) % 6 for e in examples)
