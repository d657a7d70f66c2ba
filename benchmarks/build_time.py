"""Time a full build of the example study, stage by stage; prints medians over repeated runs.

Usage: python benchmarks/build_time.py [--runs 5]

Each stage's time is the wall time from its progress message to the next one, taken
from the build's own progress callback, so nothing inside the build is timed twice.
The machine is shared and noisy: compare ratios within one run and quote medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from reportgen.build import build

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tafa-len"


def timed_build(out: Path) -> dict[str, float]:
    """One build; seconds spent in each stage (named by its progress message)."""
    marks: list[tuple[str, float]] = []
    build(EXAMPLE, out, progress=lambda message: marks.append((message, time.perf_counter())))
    marks.append(("end", time.perf_counter()))
    return {name: later - start for (name, start), (_, later) in zip(marks, marks[1:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    stages: dict[str, list[float]] = defaultdict(list)
    totals = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            seconds = timed_build(Path(folder) / "out")
            for stage, value in seconds.items():
                stages[stage].append(value)
            totals.append(sum(seconds.values()))
    print(f"example study, {runs} builds (first includes imports); median seconds per stage:")
    for stage, values in stages.items():
        print(f"  {statistics.median(values):7.3f}  {stage}")
    print(f"  {statistics.median(totals):7.3f}  total (first build {totals[0]:.3f})")


if __name__ == "__main__":
    main()
