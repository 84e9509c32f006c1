"""Progress while a run works: a live bar on a terminal, plain log lines anywhere else (CI, files, pipes)."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO


class ProgressReporter(Protocol):
    """What executors call while a run works: one phase per shard pass or global wave."""

    def phase(self, label: str, total: int, already_done: int) -> None: ...

    def documents(self, count: int) -> None: ...

    def finished(self, ok: bool) -> None: ...

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
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[docs]:>12,} docs  {task.fields[rate]:>9,.0f} docs/s  {task.fields[failed]}"),
            TimeElapsedColumn(),
            console=Console(file=stream or sys.stderr),
            transient=False,
        )
        self.task = None

    def phase(self, label: str, total: int, already_done: int) -> None:
        self.rates.total = total
        self.rates.done = already_done
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(label, total=total, completed=already_done, docs=0, rate=0.0, failed="")
        else:
            self.progress.reset(self.task, total=total, completed=already_done, description=label)

    def documents(self, count: int) -> None:
        self.rates.docs += count
        self.progress.update(self.task, docs=self.rates.docs, rate=self.rates.docs_per_second)

    def finished(self, ok: bool) -> None:
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
        self.label = "shards"

    def _line(self) -> None:
        r = self.rates
        failed = f", {r.failed} failed" if r.failed else ""
        print(
            f"[curate] {self.label} {r.done}/{r.total}{failed}, {r.docs:,} docs, {r.docs_per_second:,.0f} docs/s, "
            f"{time.monotonic() - r.started:.1f}s",
            file=self.stream,
            flush=True,
        )
        self.last = time.monotonic()

    def phase(self, label: str, total: int, already_done: int) -> None:
        if self.rates.total:
            self._line()
        self.label = label
        self.rates.total = total
        self.rates.done = already_done
        self.rates.failed = 0
        self._line()

    def documents(self, count: int) -> None:
        self.rates.docs += count
        if time.monotonic() - self.last >= self.interval:
            self._line()

    def finished(self, ok: bool) -> None:
        self.rates.done += 1
        if not ok:
            self.rates.failed += 1
        if time.monotonic() - self.last >= self.interval:
            self._line()

    def close(self) -> None:
        self._line()


class SilentProgress:
    """For the Python API and tests: no output."""

    def phase(self, label: str, total: int, already_done: int) -> None:
        pass

    def documents(self, count: int) -> None:
        pass

    def finished(self, ok: bool) -> None:
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
