"""Requests sent twice after a kill and a rerun: a real `curate run` of the synth chain, killed with SIGKILL.

    python benchmarks/synth_resume.py [--documents 300] [--kills 3] 2>/dev/null

A scripted OpenAI-compatible server (in this process, answering after a short random delay) counts every
request it receives and every answer it delivers, per payload. ``curate run`` with ``synth_requests`` and
``synth_generate`` (64 in flight) runs in a child process, which is killed with SIGKILL ``--kills`` times
(each once a random further share of the requests is answered, plus a random delay), then run to the end.
Printed: requests planned, answers received before each kill (committed in the cache), requests in flight
at each kill (claimed, unanswered), requests the server received more than once (and how many of those it
had finished: answers on their way when the process died), answered requests sent again after a kill (the
guarantee: 0), and whether every answer received before a kill stayed unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

RECIPE = """
name: synth-resume
stages:
  - stage: synth_requests
    params: {{templates: [distilled_summary, knowledge_list], per_topic: 100000}}
  - stage: synth_generate
    params:
      backend: {{kind: openai, base_url: "{base_url}", model: scripted, max_in_flight: 64}}
"""


def cache_rows(path: Path) -> dict[str, tuple[str, bytes | None]]:
    """payload hash -> (state, response); the server counts requests under the same hash."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            found = connection.execute("SELECT payload_hash, state, response FROM requests").fetchall()
    except sqlite3.OperationalError:
        return {}
    return {payload: (state, response) for payload, state, response in found}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from curation.synth.server import ChatServer
    from tests.helpers import docs, write_jsonl
    from tests.synth_support import ScriptedResponder

    rng = random.Random(args.seed)
    scripted = ScriptedResponder(lambda r: "- a fact\n- another fact\n- a third fact about " + str(r.sampling.seed))

    async def slow(request, body):
        await asyncio.sleep(rng.uniform(0.005, 0.05))
        return await scripted(request, body)

    with tempfile.TemporaryDirectory() as tmp, ChatServer(slow, model="scripted") as server:
        folder = Path(tmp)
        rows = [dict(d, topic_id=i % 5, language="en") for i, d in enumerate(docs(args.documents, words=80))]
        for part in range(4):
            write_jsonl(folder / "in" / f"part-{part}.jsonl", rows[part::4])
        recipe = folder / "synth.yaml"
        recipe.write_text(RECIPE.format(base_url=server.base_url))
        cache = folder / "out" / "synth_cache.sqlite"
        command = [sys.executable, "-m", "curation", "run", str(recipe), "-i", str(folder / "in")]
        command += ["-o", str(folder / "out"), "-w", "1", "-q"]
        received_before: dict[str, bytes] = {}
        in_flight_at_kills = 0
        sent_again_after_answer = 0
        snapshots: list[tuple[set[str], dict[str, int]]] = []
        planned = 2 * args.documents
        for kill in range(args.kills):
            process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # kill once a random share more of the requests has been answered, at a random moment
            target = min(planned - 1, int(planned * (kill + rng.uniform(0.2, 0.8)) / (args.kills + 1)))
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and process.poll() is None:
                if sum(s == "answered" for s, _ in cache_rows(cache).values()) >= target:
                    break
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 0.3))
            process.send_signal(signal.SIGKILL)
            process.wait()
            state = cache_rows(cache)
            answered = {k: r for k, (s, r) in state.items() if s == "answered"}
            pending = sum(s == "pending" for s, _ in state.values())
            in_flight_at_kills += pending
            received_before |= answered
            snapshots.append((set(answered), dict(server.log.received)))
            print(f"kill {kill + 1}: {len(answered):,} answers in the cache, {pending} requests in flight")
        started = time.perf_counter()
        final = subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert final.returncode == 0, final.stderr.decode()
        state = cache_rows(cache)
        unchanged = all(state[k][1] == r for k, r in received_before.items())
        for answered, received in snapshots:  # asked for again after its answer was in the cache?
            sent_again_after_answer += sum(server.log.received[k] > received.get(k, 0) for k in answered)
        received_twice = sum(1 for n in server.log.received.values() if n > 1)
        delivered_twice = len(server.log.repeats())
        print(f"final run: {time.perf_counter() - started:.1f}s")
        print(
            f"\nrequests planned {len(state):,}; answered {sum(s == 'answered' for s, _ in state.values()):,}; "
            f"received by the server {sum(server.log.received.values()):,}"
        )
        print(f"requests in flight at the kills (claimed, no answer received; sent again): {in_flight_at_kills}")
        print(f"requests the server received more than once: {received_twice}")
        print(
            f"  of which the server had finished before the kill (answer in transit, lost with the process): "
            f"{delivered_twice}"
        )
        print(f"answered requests sent again after a kill: {sent_again_after_answer}")
        print(f"answers received before a kill kept unchanged in the cache and output: {unchanged}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
