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
