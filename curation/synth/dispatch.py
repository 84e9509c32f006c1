"""Send many requests through the cache and a backend, keeping many in flight, answering in input order.

``Dispatcher.map`` takes ``(item, Job)`` pairs from any iterator (a shard's documents, a labels file) and
yields ``(item, Outcome)`` in the same order, while up to ``window`` jobs are being settled concurrently
on an event loop in a background thread. Settling a job:

- an answer in the cache is used as it is (``from_cache``), nothing is sent;
- otherwise, once one of the backend's ``concurrency`` slots is free, the job is claimed in the cache
  (committed) and sent through the backend, and its answer (or its failure reason) is committed the moment
  it arrives. Claiming only when a slot is free keeps ``pending`` rows exact: after a kill they are the
  requests that were really in flight;
- a job whose key is already being settled in this process waits for that one instead of sending again.

``window`` (jobs looked up and queued ahead) only needs to be larger than the backend's concurrency.
Every job ends as exactly one of answered, failed (with the backend's reason) or skipped (over the
cache's budget): ``counters`` adds them up.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from curation.synth.backends.base import Backend, BackendError, ChatRequest, Completion
from curation.synth.cache import Claim, RequestCache, RequestKey

Item = TypeVar("Item")
ANSWERED, FAILED, SKIPPED = "answered", "failed", "skipped"


@dataclass(frozen=True)
class Job:
    """One request to settle and the key it is cached under."""

    key: RequestKey
    request: ChatRequest


@dataclass(frozen=True)
class Outcome:
    """How a job ended: ``status`` answered / failed / skipped, the completion or the reason."""

    status: str
    completion: Completion | None = None
    reason: str | None = None
    from_cache: bool = False


class _LoopThread:
    """An asyncio event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="synth-dispatch", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coroutine) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class Dispatcher(Generic[Item]):
    """Settles jobs through ``cache`` and ``backend`` (see the module docstring).

    Args:
        backend: any ``Backend``.
        cache: the ``RequestCache`` (used from the loop thread only).
        window: jobs settled concurrently; the output order is the input order.
        retry_failed: send again a request that failed in an earlier run (else report its old failure).
    """

    BATCH = 64
    """Jobs handed to the loop thread at once (at most a quarter of the window)."""

    def __init__(self, backend: Backend, cache: RequestCache, window: int = 512, retry_failed: bool = True):
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self.backend = backend
        self.cache = cache
        self.window = window
        self.retry_failed = retry_failed
        self.counters: Counter[str] = Counter()
        self._loop: _LoopThread | None = None
        self._inflight: dict[RequestKey, asyncio.Future] = {}
        self._slots: asyncio.Semaphore | None = None

    def map(self, items: Iterable[tuple[Item, Job]]) -> Iterator[tuple[Item, Outcome]]:
        """``(item, outcome)`` for every ``(item, job)``, in input order.

        Jobs cross to the loop thread in batches (one hand-over per ``batch`` jobs, not one per job): the
        hand-over wakes the loop and blocks on a lock, which at thousands of requests a second costs as
        much CPU as the request itself. A batch is handed over when it is full, when the window would
        otherwise run dry or fill, or when the input ends; at most ``window`` jobs are read ahead of the output.
        """
        if self._loop is None:
            self._loop = _LoopThread()
        batch_size = max(1, min(self.BATCH, self.window // 4))
        pending: deque[tuple[list[Item], concurrent.futures.Future]] = deque()
        queued = 0  # jobs handed over and not yet yielded
        batch_items: list[Item] = []
        batch_jobs: list[Job] = []
        try:
            for item, job in items:
                batch_items.append(item)
                batch_jobs.append(job)
                if len(batch_jobs) >= batch_size or queued == 0 or queued + len(batch_jobs) >= self.window:
                    pending.append((batch_items, self._loop.submit(self._settle_batch(batch_jobs))))
                    queued += len(batch_jobs)
                    batch_items, batch_jobs = [], []
                while pending and (queued >= self.window or pending[0][1].done()):
                    heads, future = pending.popleft()
                    queued -= len(heads)
                    yield from zip(heads, map(self._count, future.result()), strict=True)
            if batch_jobs:
                pending.append((batch_items, self._loop.submit(self._settle_batch(batch_jobs))))
            while pending:
                heads, future = pending.popleft()
                yield from zip(heads, map(self._count, future.result()), strict=True)
        finally:
            for _, future in pending:
                future.cancel()

    async def _settle_batch(self, jobs: list[Job]) -> list[Outcome]:
        if len(jobs) == 1:
            return [await self._settle(jobs[0])]
        return list(await asyncio.gather(*(self._settle(job) for job in jobs)))

    def settle_one(self, job: Job) -> Outcome:
        """Settle a single job and wait for it (for callers with one request at a time)."""
        return next(iter(self.map([(None, job)])))[1]

    def _count(self, outcome: Outcome) -> Outcome:
        if outcome.status == ANSWERED:
            self.counters["answered_from_cache" if outcome.from_cache else "answered_now"] += 1
        else:
            self.counters[f"{outcome.status}_{outcome.reason}"] += 1
        return outcome

    async def _settle(self, job: Job) -> Outcome:
        running = self._inflight.get(job.key)
        if running is not None:  # the same request twice in one stream: send it once
            return await asyncio.shield(running)
        future = asyncio.get_running_loop().create_future()
        self._inflight[job.key] = future
        try:
            outcome = await self._settle_once(job)
            future.set_result(outcome)
            return outcome
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        finally:
            del self._inflight[job.key]

    async def _settle_once(self, job: Job) -> Outcome:
        entry = self.cache.lookup(job.key)
        if entry is not None and entry.state == "answered":
            return Outcome(ANSWERED, entry.completion, from_cache=True)
        if entry is not None and entry.state == "failed" and not self.retry_failed:
            return Outcome(FAILED, reason=entry.failure, from_cache=True)
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(1, self.backend.concurrency))
        async with self._slots:
            claim = self.cache.claim(job.key)
            if claim is Claim.OVER_BUDGET:
                return Outcome(SKIPPED, reason="over_budget")
            if claim is Claim.AFTER_INTERRUPTION:
                self.counters["resent_after_interruption"] += 1
            elif claim is Claim.RETRY_OF_FAILED:
                self.counters["resent_after_failure"] += 1
            try:
                completion = await self.backend.complete(job.request)
            except BackendError as error:
                self.cache.fail(job.key, error.reason, str(error))
                return Outcome(FAILED, reason=error.reason)
            self.cache.answer(job.key, completion)
        return Outcome(ANSWERED, completion)

    def close(self, close_cache: bool = False) -> None:
        """Close the backend's connections and stop the loop thread (and close the cache if asked)."""
        if self._loop is not None:
            self._loop.submit(self.backend.aclose()).result(timeout=30)
            self._loop.stop()
            self._loop = None
        if close_cache:
            self.cache.close()

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("a Dispatcher holds a running event loop; build one per process")
