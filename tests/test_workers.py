"""The build's worker processes: jobs run on them, and they never outlive the build."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from reportgen.workers import Workers


def _pid(_: object) -> int:
    return os.getpid()


def _fail(item: int) -> int:
    raise ValueError(f"job {item} failed")


def test_jobs_run_on_the_workers_even_a_single_one():
    with Workers(2) as workers:
        assert workers.map(_pid, [0]) != [os.getpid()]
        assert len(workers.map(_pid, range(6))) == 6
        processes = multiprocessing.active_children()
    assert len(processes) == 2 and all(process.exitcode == 0 for process in processes)  # let finish


def test_one_worker_means_this_process():
    with Workers(1) as workers:
        assert workers.map(_pid, range(3)) == [os.getpid()] * 3


def test_workers_given_no_job_are_stopped_at_once_and_a_failure_stops_them():
    with Workers(2):  # a build that reused everything: the processes, maybe still importing, are stopped
        processes = multiprocessing.active_children()
    assert len(processes) == 2 and all(process.exitcode == -signal.SIGTERM for process in processes)
    with pytest.raises(ValueError, match="job 1 failed"):
        with Workers(2) as workers:
            processes = multiprocessing.active_children()
            workers.map(_fail, [1, 2])
    assert len(processes) == 2 and all(process.exitcode == -signal.SIGTERM for process in processes)


def test_a_build_that_draws_has_every_worker_load_matplotlib_before_its_jobs():
    """After ``prepare_drawing``, each job finds matplotlib loaded, in whichever process runs it: one still
    starting reads the request at the end of its start, one already waiting takes a load call. Run in a
    fresh interpreter, whose processes have not loaded matplotlib through other tests; the jobs are long
    enough that both processes take some."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import os, sys, time
        from reportgen.workers import Workers

        def loaded(_):
            time.sleep(0.2)
            return os.getpid(), "matplotlib.pyplot" in sys.modules

        with Workers(2) as workers:
            before = workers.map(loaded, range(2))
        with Workers(2) as workers:
            workers.prepare_drawing()
            after = workers.map(loaded, range(16))
        print(any(found for _, found in before), all(found for _, found in after), len({pid for pid, _ in after}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True", "2"]
