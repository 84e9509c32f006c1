"""Progress while a run works: a live bar on a terminal, plain log lines anywhere else (CI, files, pipes)."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO


class ProgressReporter(Protocol):
    """What executors call while shards are processed."""

    def start(self, total_shards: int, already_done: int) -> None: ...

    def documents(self, count: int) -> None: ...

    def shard_finished(self, stem: str, ok: bool) -> None: ...

    def close(self) -> None: ...


class _Rates:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.docs = 0
        self.done = 0
        self.failed = 0
        self.total = 0

    @property
    def docs_per_second(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.docs / elapsed if elapsed > 0 else 0.0


class RichProgress:
    """A live bar: shards done/total, documents, docs/s, elapsed."""

    def __init__(self, stream: TextIO | None = None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.rates = _Rates()
        self.progress = Progress(
            TextColumn("[bold]shards"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[docs]:>12,} docs  {task.fields[rate]:>9,.0f} docs/s  {task.fields[failed]}"),
            TimeElapsedColumn(),
            console=Console(file=stream or sys.stderr),
            transient=False,
        )
        self.task = None

    def start(self, total_shards: int, already_done: int) -> None:
        self.rates.total = total_shards
        self.progress.start()
        self.task = self.progress.add_task(
            "run", total=total_shards, completed=already_done, docs=0, rate=0.0, failed=""
        )
        self.rates.done = already_done

    def documents(self, count: int) -> None:
        self.rates.docs += count
        self.progress.update(self.task, docs=self.rates.docs, rate=self.rates.docs_per_second)

    def shard_finished(self, stem: str, ok: bool) -> None:
        self.rates.done += 1
        if not ok:
            self.rates.failed += 1
        failed = f"[red]{self.rates.failed} failed" if self.rates.failed else ""
        self.progress.update(self.task, advance=1, docs=self.rates.docs, rate=self.rates.docs_per_second, failed=failed)

    def close(self) -> None:
        self.progress.stop()


class LogProgress:
    """Plain lines, at most one per ``interval`` seconds plus one at the end: readable in CI logs."""

    def __init__(self, stream: TextIO | None = None, interval: float = 10.0):
        self.stream = stream or sys.stderr
        self.interval = interval
        self.rates = _Rates()
        self.last = 0.0

    def _line(self) -> None:
        r = self.rates
        failed = f", {r.failed} failed" if r.failed else ""
        print(
            f"[curate] shards {r.done}/{r.total}{failed}, {r.docs:,} docs, {r.docs_per_second:,.0f} docs/s, "
            f"{time.monotonic() - r.started:.1f}s",
            file=self.stream,
            flush=True,
        )
        self.last = time.monotonic()

    def start(self, total_shards: int, already_done: int) -> None:
        self.rates.total = total_shards
        self.rates.done = already_done
        self._line()

    def documents(self, count: int) -> None:
        self.rates.docs += count
        if time.monotonic() - self.last >= self.interval:
            self._line()

    def shard_finished(self, stem: str, ok: bool) -> None:
        self.rates.done += 1
        if not ok:
            self.rates.failed += 1
        if time.monotonic() - self.last >= self.interval:
            self._line()

    def close(self) -> None:
        self._line()


class SilentProgress:
    """For the Python API and tests: no output."""

    def start(self, total_shards: int, already_done: int) -> None:
        pass

    def documents(self, count: int) -> None:
        pass

    def shard_finished(self, stem: str, ok: bool) -> None:
        pass

    def close(self) -> None:
        pass


def progress_for(mode: str = "auto", stream: TextIO | None = None) -> ProgressReporter:
    """``auto``: a bar on a terminal, log lines otherwise; ``bar``, ``log`` or ``none`` force one."""
    stream = stream or sys.stderr
    if mode == "none":
        return SilentProgress()
    if mode == "bar" or (mode == "auto" and stream.isatty()):
        return RichProgress(stream)
    return LogProgress(stream)
