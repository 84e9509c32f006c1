"""Run a function in a fresh Python process and report its wall time and the peak memory of its process tree.

Peak memory is the largest sum of resident set sizes of the process and all its descendants (worker pools
included), sampled every 50 ms with psutil. The kernel's ``ru_maxrss`` is not used: Linux carries it across
fork and exec, so a process started by a large parent would report the parent's peak.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil


class TreeMemory:
    """Samples the resident memory of this process and its descendants in a background thread."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process(os.getpid())
        while not self._stop.is_set():
            total = 0
            try:
                for process in [me, *me.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += process.memory_info().rss
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_isolated(script: Path, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Run ``script --run-tool TOOL --arguments JSON`` and return the JSON it prints on its last line."""
    command = [sys.executable, str(script), "--run-tool", tool, "--arguments", json.dumps(arguments)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{tool} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def timed(function, *args: Any) -> dict[str, Any]:
    """Call ``function`` while measuring wall time and tree memory; merge its result dict with both."""
    with TreeMemory() as memory:
        started = time.perf_counter()
        result = function(*args)
        wall = time.perf_counter() - started
    return {**result, "wall_s": round(wall, 2), "peak_rss_mb": round(memory.peak / 2**20, 1)}
