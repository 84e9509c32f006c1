"""Count documents and time between stages without touching the stages themselves.

Stages are generators chained one into the next, so their work interleaves. A ``Meter`` sits between two
stages and records how many documents passed and how long each ``next()`` took (which includes all work
upstream of it). A stage's own time is then its output meter's time minus its input meter's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from time import perf_counter
from typing import Generic, TypeVar

T = TypeVar("T")


class Meter(Generic[T]):
    """An iterator wrapper that counts items and accumulates the time spent producing them."""

    __slots__ = ("_source", "count", "seconds")

    def __init__(self, source: Iterator[T]):
        self._source = source
        self.count = 0
        self.seconds = 0.0

    def __iter__(self) -> Meter[T]:
        return self

    def __next__(self) -> T:
        start = perf_counter()
        try:
            item = next(self._source)
        finally:
            self.seconds += perf_counter() - start
        self.count += 1
        return item
