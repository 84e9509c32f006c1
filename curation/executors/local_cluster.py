"""Starting the embedded ``LocalCluster`` of a Dask run: one clear error for an unguarded script, quiet Ctrl-C.

Two things go wrong with worker processes started on this machine that the user cannot read from Dask's own
messages:

- A script that runs a recipe at its top level, without ``if __name__ == "__main__":``, is imported again by
  every worker process Dask starts (``spawn``), and each would start a run of its own. ``run_recipe`` and
  ``run_mixture`` leave such a process at once (``exit_if_spawn_bootstrap``) and, while a cluster starts,
  leave a mark in a file named by ``SPAWN_MARK_ENV``; Dask then only says "Nanny failed to start", so the
  start-up failure is turned into ``WorkerStartupError`` saying what to add to the script.
- Ctrl-C on a terminal reaches the whole process group, worker processes included, each of which would print
  its own ``KeyboardInterrupt`` traceback. Workers of the embedded cluster ignore SIGINT
  (``IgnoreInterrupts``): the client alone decides, cancels the run's tasks, closes the cluster and says what
  is done.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from curation.executors.jobs import WorkerStartupError

SPAWN_MARK_ENV = "CURATION_SPAWN_MARK"
"""A file a worker process touches when it finds itself re-running the user's script while starting."""
QUIET_ON_CLOSE_LOGGERS = ("distributed.worker", "distributed.worker.state_machine", "distributed.nanny")
"""Worker loggers that report each cancelled task when a run stopped by Ctrl-C closes its cluster."""


def mark_spawn_bootstrap() -> None:
    """In a worker process re-running the user's script: leave the mark the starting cluster looks for."""
    mark = os.environ.get(SPAWN_MARK_ENV)
    if mark:
        with contextlib.suppress(OSError), open(mark, "w", encoding="utf-8") as handle:
            handle.write(str(os.getpid()))


@contextlib.contextmanager
def watching_spawn_bootstrap() -> Iterator[Any]:
    """While worker processes start: yield a callable telling whether any of them re-ran the user's script."""
    handle, mark = tempfile.mkstemp(prefix="curation-spawn-")
    os.close(handle)
    os.unlink(mark)
    previous = os.environ.get(SPAWN_MARK_ENV)
    os.environ[SPAWN_MARK_ENV] = mark
    try:
        yield lambda: os.path.exists(mark)
    finally:
        if previous is None:
            os.environ.pop(SPAWN_MARK_ENV, None)
        else:
            os.environ[SPAWN_MARK_ENV] = previous
        with contextlib.suppress(OSError):
            os.unlink(mark)


class IgnoreInterrupts(WorkerPlugin):
    """Makes a worker process of the embedded cluster ignore SIGINT (see the module docstring)."""

    name = "curation-ignore-interrupts"

    def setup(self, worker: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_local_cluster(**options: Any) -> tuple[Any, Any]:
    """A ``LocalCluster`` (or ``LocalCUDACluster`` when ``cuda=True``) and a ``Client`` on it, built with
    ``options``; workers ignore SIGINT.

    Raises ``WorkerStartupError`` with the fix when the workers could not start because they re-ran the user's
    script (no ``if __name__ == "__main__":`` guard); other start-up errors as Dask raises them.
    """
    from distributed import Client, LocalCluster

    cuda = options.pop("cuda", False)
    with watching_spawn_bootstrap() as re_ran_script:
        try:
            if cuda:
                from dask_cuda import LocalCUDACluster

                cluster = LocalCUDACluster(**options)
            else:
                cluster = LocalCluster(**options)
        except Exception:
            if re_ran_script():
                from curation.executors.local import _startup_failure_message

                message = _startup_failure_message("use the local executor with workers=1")
                raise WorkerStartupError(message) from None
            raise
    client = Client(cluster)
    try:
        client.register_plugin(IgnoreInterrupts(), name=IgnoreInterrupts.name)
    except BaseException:
        client.close()
        cluster.close()
        raise
    return cluster, client


def quiet_worker_logs(client: Any) -> dict[str, int]:
    """Before closing a cluster on Ctrl-C: its workers, and the nannies in this process that stop them, need not
    report each task the close cancels or each worker still busy. Returns the levels to give back to this
    process's loggers afterwards (``restore_log_levels``)."""

    def quiet() -> None:
        for name in QUIET_ON_CLOSE_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)

    with contextlib.suppress(Exception):
        client.run(quiet)
    previous = {name: logging.getLogger(name).level for name in QUIET_ON_CLOSE_LOGGERS}
    quiet()
    return previous


def restore_log_levels(levels: dict[str, int]) -> None:
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
