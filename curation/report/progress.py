"""Progress while a run works: a live bar on a terminal, plain log lines anywhere else (CI, files, pipes).

Documents are counted per phase (a shard pass or a global wave): a recipe with a global stage reads every
document once per pass, and each pass's line speaks of its own documents and rate, so no document is
counted twice in one figure.
"""

from __future__ import annotations

import sys
import threading
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
        self.phase_started = self.started
        self.docs = 0
        self.done = 0
        self.failed = 0
        self.total = 0

    def new_phase(self, total: int, already_done: int) -> None:
        self.total = total
        self.done = already_done
        self.failed = 0
        self.docs = 0
        self.phase_started = time.monotonic()

    @property
    def docs_per_second(self) -> float:
        elapsed = time.monotonic() - self.phase_started
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
        self.rates.new_phase(total, already_done)
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(label, total=total, completed=already_done, docs=0, rate=0.0, failed="")
        else:
            self.progress.reset(
                self.task, total=total, completed=already_done, description=label, docs=0, rate=0.0, failed=""
            )

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
    """Plain lines: one when a phase starts, one every ``interval`` seconds while it works (a timer thread
    prints it even while the first shard is still loading its models), and one at the end."""

    def __init__(self, stream: TextIO | None = None, interval: float = 10.0):
        self.stream = stream or sys.stderr
        self.interval = interval
        self.rates = _Rates()
        self.last = 0.0
        self.label = "shards"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._closed = False

    def _line(self) -> None:
        with self._lock:
            r = self.rates
            failed = f", {r.failed} failed" if r.failed else ""
            print(
                f"[curate] {self.label} {r.done}/{r.total}{failed}, {r.docs:,} docs, "
                f"{r.docs_per_second:,.0f} docs/s, {time.monotonic() - r.started:.1f}s",
                file=self.stream,
                flush=True,
            )
            self.last = time.monotonic()

    def _start_timer(self) -> None:
        if self._timer is None and self.interval > 0:
            self._timer = threading.Thread(target=self._tick, name="curate-progress", daemon=True)
            self._timer.start()

    def _tick(self) -> None:
        while not self._stop.wait(min(1.0, self.interval)):
            if time.monotonic() - self.last >= self.interval:
                self._line()

    def phase(self, label: str, total: int, already_done: int) -> None:
        if self.rates.total:
            self._line()
        self.label = label
        self.rates.new_phase(total, already_done)
        self._line()
        self._start_timer()

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
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=2)
        if self.rates.total:
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
