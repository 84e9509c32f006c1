"""A per-document time limit for extractors: a stalled page costs at most ``seconds``, and the worker lives on.

Two mechanisms, because no single one stops every kind of stall:

- ``SignalTimeLimit``: ``setitimer`` + SIGALRM in the worker itself. Nearly free (two system calls a page), and
  it stops anything that runs Python bytecode, including the ``re`` module's matching loop (trafilatura's
  stalls are of that kind). It cannot stop a native call that never returns to the interpreter, and signals are
  only delivered to the main thread.
- ``ProcessTimeLimit``: the extractor runs in a helper process, started once and reused; the worker waits for
  each answer with a deadline and, past it, kills the helper and starts a new one. It stops anything, native
  code and segfaults included, at the price of copying each page through a pipe.

``make_time_limit`` chooses: signals when the extractor is interruptible and we are on the main thread, the
helper process otherwise. datatrove's extractors always use a helper process with a round trip per page.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from typing import Literal

from curation.extract.extractors import Extraction, HtmlExtractor

TimeLimitMode = Literal["auto", "signal", "process"]
HELPER_START_SECONDS = 120.0
"""How long a new helper process may take to import its extractor (a cold start on a loaded machine)."""


class ExtractTimeout(BaseException):
    """The extractor ran past the time limit on this document.

    A BaseException, so an extractor's own ``except Exception`` cannot swallow the interruption.
    """


class ExtractorCrashed(Exception):
    """The helper process died while extracting this document (segfault, out of memory)."""


class ExtractorFailed(Exception):
    """The extractor raised on this document; the message is the helper's error."""


class SignalTimeLimit:
    """Run the extractor in this thread, interrupted by SIGALRM after ``seconds``."""

    def __init__(self, extractor: HtmlExtractor, seconds: float):
        self.extractor = extractor
        self.seconds = seconds
        self._armed = False
        self._prepared = False

    def _on_alarm(self, signum, frame) -> None:
        if self._armed:
            self._armed = False
            raise ExtractTimeout(f"extraction took longer than {self.seconds} s")

    def extract_page(self, html: str) -> Extraction:
        if not self._prepared:
            self.extractor.prepare()  # imports happen before the clock starts
            self._prepared = True
        previous = signal.signal(signal.SIGALRM, self._on_alarm)
        self._armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        try:
            return self.extractor.extract_page(html)
        finally:
            self._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def extract(self, html: str) -> str:
        return self.extract_page(html).text

    def close(self) -> None:
        return None


_HEADER = struct.Struct("!BQ")
_OK, _ERROR = 0, 1


class ProcessTimeLimit:
    """Run the extractor in a reusable helper process; kill and replace it when a document overruns."""

    def __init__(self, extractor: HtmlExtractor, seconds: float):
        self.extractor = extractor
        self.seconds = seconds
        self._process: subprocess.Popen | None = None
        self._to_helper: int | None = None
        self._from_helper: int | None = None
        self.starts = 0

    def extract(self, html: str) -> str:
        return self.extract_page(html).text

    def extract_page(self, html: str) -> Extraction:
        if self._process is None or self._process.poll() is not None:
            self._start()
        data = html.encode("utf-8", "surrogatepass")
        try:
            _write_frame(self._to_helper, _OK, data)
        except (BrokenPipeError, OSError) as error:
            self._stop()
            raise ExtractorCrashed(f"the extractor process was gone before this document: {error}") from error
        deadline = time.monotonic() + self.seconds
        try:
            status, body = _read_frame(self._from_helper, deadline)
        except TimeoutError:
            self._stop()
            raise ExtractTimeout(f"extraction took longer than {self.seconds} s") from None
        except EOFError as error:
            code = self._process.wait(timeout=5) if self._process else None
            self._stop()
            raise ExtractorCrashed(f"the extractor process died (exit code {code})") from error
        if status == _ERROR:
            raise ExtractorFailed(body.decode("utf-8", "replace"))
        return pickle.loads(body)

    def _start(self) -> None:
        import cloudpickle

        self._stop()
        parent_read, child_write = os.pipe()
        child_read, parent_write = os.pipe()
        command = [sys.executable, "-m", "curation.extract.time_limit", str(child_read), str(child_write)]
        command.append(str(os.getpid()))
        # The helper must import what the worker imports (a user's extractor subclass, a test's module).
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path and os.path.isdir(path)))
        self._process = subprocess.Popen(command, pass_fds=(child_read, child_write), stdin=subprocess.DEVNULL, env=env)
        os.close(child_read)
        os.close(child_write)
        self._to_helper, self._from_helper = parent_write, parent_read
        _write_frame(parent_write, _OK, cloudpickle.dumps(self.extractor))
        try:
            status, body = _read_frame(parent_read, time.monotonic() + HELPER_START_SECONDS)
        except (TimeoutError, EOFError) as error:
            self._stop()
            raise RuntimeError(f"the extractor helper process did not start: {error!r}") from error
        if status == _ERROR:
            self._stop()
            raise RuntimeError(f"the extractor helper process could not load the extractor: {body.decode()}")
        self.starts += 1
        _LIVE_HELPERS.add(self)

    def _stop(self) -> None:
        for fd in (self._to_helper, self._from_helper):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._to_helper = self._from_helper = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None
        _LIVE_HELPERS.discard(self)

    def close(self) -> None:
        self._stop()

    def __getstate__(self) -> dict:
        return {"extractor": self.extractor, "seconds": self.seconds}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["extractor"], state["seconds"])


_LIVE_HELPERS: set[ProcessTimeLimit] = set()


@atexit.register
def _stop_helpers() -> None:
    for helper in list(_LIVE_HELPERS):
        helper.close()


def make_time_limit(extractor: HtmlExtractor, seconds: float, mode: TimeLimitMode = "auto"):
    """The time-limit runner for ``extractor``: see the module docstring for how ``auto`` chooses."""
    on_main_thread = threading.current_thread() is threading.main_thread()
    if mode == "signal" and not on_main_thread:
        raise ValueError("time_limit_mode 'signal' needs the main thread; use 'process' or 'auto' here")
    if mode == "signal" or (mode == "auto" and extractor.interruptible and on_main_thread):
        return SignalTimeLimit(extractor, seconds)
    return ProcessTimeLimit(extractor, seconds)


def _write_frame(fd: int, status: int, body: bytes) -> None:
    view = memoryview(_HEADER.pack(status, len(body)) + body)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = []
    while size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None) -> tuple[int, bytes]:
    status, size = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline))
    return status, _read_exactly(fd, size, deadline)


def _die_with_parent(parent_pid: int) -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _serve(read_fd: int, write_fd: int) -> None:
    """The helper's loop: load the extractor, then answer one page at a time (a pickled ``Extraction``) until the
    pipe closes."""
    try:
        _, body = _read_frame(read_fd, None)
        extractor = pickle.loads(body)
        extractor.prepare()  # imports count against the start-up allowance, not the first page's limit
    except EOFError:
        return
    except Exception as error:
        _write_frame(write_fd, _ERROR, f"{type(error).__name__}: {error}".encode())
        return
    _write_frame(write_fd, _OK, b"ready")
    while True:
        try:
            _, body = _read_frame(read_fd, None)
        except EOFError:
            return
        try:
            extraction = extractor.extract_page(body.decode("utf-8", "surrogatepass"))
        except Exception as error:
            _write_frame(write_fd, _ERROR, f"{type(error).__name__}: {error}".encode())
            continue
        _write_frame(write_fd, _OK, pickle.dumps(extraction, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _die_with_parent(int(sys.argv[3]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _serve(int(sys.argv[1]), int(sys.argv[2]))
