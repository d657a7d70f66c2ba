"""The build's worker processes: figures drawn and documents written on every core.

A build ends in independent jobs: drawing each figure, then writing each PDF and Word
file. :class:`Workers` runs them on forked processes. The processes are started when the
build starts, before the statistics packages are loaded, and import the writing packages
(WeasyPrint, python-docx) while the main process reads the spec and the data, so those
imports are off the build's critical path; a build that will draw figures (it computes
its analysis) asks each of them to load matplotlib too (:meth:`Workers.prepare_drawing`).
A rebuild after a text edit, which draws nothing, does not wait for matplotlib before
writing. They load one at a time on two cores (the cores but one), so the main process
keeps a core.

Every job is a pure function of its arguments (dates included), so the bytes it writes
do not depend on the process that ran it: serial and parallel builds are identical
(tested). This module imports nothing heavy: it is loaded before the processes fork.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, TypeVar

__all__ = ["DEFAULT_WORKERS", "Workers"]

#: Processes for the figures and the PDF and Word files: the machine's cores, at most 4.
DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))

Item = TypeVar("Item")
Value = TypeVar("Value")


#: Processes that may load packages at once: the cores but one, which the main process keeps for
#: its analysis (set in each worker by :func:`_start`). Unbounded, two workers importing beside the
#: main process on two cores slowed it by a third.
_loading: multiprocessing.synchronize.Semaphore | None = None


def _start(loading: multiprocessing.synchronize.Semaphore, drawing: multiprocessing.synchronize.Event) -> None:
    """A worker's start: keep the shared semaphore, load the writers' packages, then the drawing
    packages if the build has asked for them meanwhile (``drawing`` is set)."""
    global _loading
    _loading = loading
    _load(_load_writing)
    if drawing.is_set():
        _load(load_drawing)


def _load(function: Callable[[], None]) -> None:
    """Run ``function`` (imports) when no more than the allowed number of workers are loading."""
    if _loading is None:
        function()
        return
    with _loading:
        function()


def _load_writing() -> None:
    """Import what the writers use (WeasyPrint: 0.7 s)."""
    import weasyprint  # noqa: F401  (reportgen.render.pdf imports it only when writing)

    import reportgen.render.docx  # noqa: F401
    import reportgen.render.pdf  # noqa: F401


def load_drawing() -> None:
    """Import what drawing figures uses (matplotlib: 0.5 s), which no module loads on import."""
    import reportgen.format.flowchart  # noqa: F401
    from reportgen.format.figures import pyplot

    pyplot()


class Workers:
    """``count`` forked processes (none when ``count`` is 1: the jobs then run in this process).

    Use as a context manager; :meth:`map` runs a function over items and returns the
    results in order.
    """

    def __init__(self, count: int = DEFAULT_WORKERS) -> None:
        self.count = max(1, count)
        self._pool: ProcessPoolExecutor | None = None
        self._used = False
        if self.count > 1:
            context = multiprocessing.get_context("fork")
            loading = context.Semaphore(max(1, (os.cpu_count() or 1) - 1))
            self._drawing = context.Event()
            self._pool = ProcessPoolExecutor(self.count, mp_context=context, initializer=_start,
                                             initargs=(loading, self._drawing))
            self._pool.submit(int)  # start the processes now, so they warm up during the analysis

    def map(self, function: Callable[[Item], Value], items: Iterable[Item]) -> list[Value]:
        """``[function(item) for item in items]``, on the processes (which have the packages loaded)."""
        items = list(items)
        if self._pool is None or not items:
            return [function(item) for item in items]
        self._used = True
        return list(self._pool.map(function, items))

    def prepare_drawing(self) -> None:
        """Have every process load the drawing packages ahead of its jobs, without waiting for it.

        A process still starting sees the ``drawing`` event at the end of its start; one already
        waiting for jobs takes one of the calls submitted here (each is taken by whichever process is
        free, so a busy process's call may go to another, which finds its imports done: hence both)."""
        if self._pool is not None:
            self._drawing.set()
            for _ in range(self.count):
                self._pool.submit(_load, load_drawing)

    def close(self, failed: bool = False) -> None:
        """Let the processes finish; stop them at once if they were never given a job (a build that reused
        everything: they may still be importing, which took longer than the build) or the build failed."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if failed or not self._used:
            # Python 3.14 names this; before, the executor's processes are only in its private table
            terminate = getattr(pool, "terminate_workers", None)
            if terminate is not None:
                terminate()
            else:
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        self.close(failed=exc_type is not None)
