"""Requests sent twice after a kill and a rerun: a real `curate run` of the synth chain, killed with SIGKILL.

    python benchmarks/synth_resume.py [--documents 300] [--kills 3] 2>/dev/null

A scripted OpenAI-compatible server (in this process, answering after a short random delay) counts every
request it receives and every answer it delivers, per payload. ``curate run`` with ``synth_requests`` and
``synth_generate`` (64 in flight) runs in a child process, which is killed with SIGKILL ``--kills`` times
(each once a random further share of the requests is answered, plus a random delay), then run to the end.
Printed, for the two halves of the guarantee (docs/synth.md, "The request cache"):

- answered requests sent again after a kill (answer received and committed before it): must be 0;
- requests in flight at each kill (claimed, answer not committed), which are sent again: at most the
  in-flight bound (``max_in_flight`` 64, one worker) per kill, and equal to the extra sends the server
  counted (of which, how many it had finished: answers on their way when the process died);

and requests planned, answers in the cache at each kill, and whether every answer received before a kill
stayed unchanged.
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
IN_FLIGHT = 64
sys.path.insert(0, str(REPO_ROOT))

RECIPE = """
name: synth-resume
stages:
  - stage: synth_requests
    params: {{templates: [distilled_summary, knowledge_list], per_topic: 100000}}
  - stage: synth_generate
    params:
      backend: {{kind: openai, base_url: "{base_url}", model: scripted, max_in_flight: {in_flight}}}
"""


def cache_rows(path: Path) -> dict[str, tuple[str, bytes | None]]:
    """payload hash -> (state, response); the server counts requests under the same hash."""
    return {payload: (state, response) for payload, (state, response, _) in cache_sends(path).items()}


def cache_sends(path: Path) -> dict[str, tuple[str, bytes | None, int]]:
    """payload hash -> (state, response, sends so far)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            found = connection.execute("SELECT payload_hash, state, response, sends FROM requests").fetchall()
    except sqlite3.OperationalError:
        return {}
    return {payload: (state, response, sends) for payload, state, response, sends in found}


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
        recipe.write_text(RECIPE.format(base_url=server.base_url, in_flight=IN_FLIGHT))
        cache = folder / "out" / "synth_cache.sqlite"
        command = [sys.executable, "-m", "curation", "run", str(recipe), "-i", str(folder / "in")]
        command += ["-o", str(folder / "out"), "-w", "1", "-q"]
        received_before: dict[str, bytes] = {}
        in_flight_at_kills: list[int] = []
        sent_again_after_answer = 0
        snapshots: list[tuple[set[str], dict[str, int]]] = []
        planned = 2 * args.documents
        sends_before: dict[str, int] = {}
        for kill in range(args.kills):
            answered_now = sum(s == "answered" for s, _ in cache_rows(cache).values())
            process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # kill once a random share more of the requests has been answered (at least one more in this
            # run), at a random moment
            target = min(planned - 1, int(planned * (kill + rng.uniform(0.2, 0.8)) / (args.kills + 1)))
            target = min(planned - 1, max(target, answered_now + 1))
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and process.poll() is None:
                if sum(s == "answered" for s, _ in cache_rows(cache).values()) >= target:
                    break
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 0.3))
            process.send_signal(signal.SIGKILL)
            process.wait()
            with_sends = cache_sends(cache)
            state = {k: (s, r) for k, (s, r, _) in with_sends.items()}
            answered = {k: r for k, (s, r) in state.items() if s == "answered"}
            # in flight at this kill: claimed by this run (sends went up) and not answered
            pending = sum(s == "pending" and n > sends_before.get(k, 0) for k, (s, _, n) in with_sends.items())
            sends_before = {k: n for k, (_, _, n) in with_sends.items()}
            in_flight_at_kills.append(pending)
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
        resent = sum(n - 1 for n in server.log.received.values() if n > 1)
        delivered_twice = sum(n - 1 for n in server.log.repeats().values())
        print(f"final run: {time.perf_counter() - started:.1f}s")
        print(
            f"\nrequests planned {len(state):,}; answered {sum(s == 'answered' for s, _ in state.values()):,}; "
            f"received by the server {sum(server.log.received.values()):,}"
        )
        print(
            f"requests in flight at each kill (claimed, answer not committed): {in_flight_at_kills}, "
            f"{sum(in_flight_at_kills)} in all; bound per kill: {IN_FLIGHT} (max_in_flight, 1 worker); "
            f"within it: {max(in_flight_at_kills, default=0) <= IN_FLIGHT}"
        )
        print(f"requests sent again (extra requests the server received): {resent}")
        print(
            f"  of which the server had finished before the kill (answer in transit, lost with the process): "
            f"{delivered_twice}"
        )
        print(f"answered requests sent again after a kill (answer received and committed before it): "
              f"{sent_again_after_answer}")  # fmt: skip
        print(f"answers received before a kill kept unchanged in the cache and output: {unchanged}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
