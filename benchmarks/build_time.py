"""Time full builds of the example study at registry scale: wall, CPU and peak memory per stage.

Usage: python benchmarks/build_time.py [--patients 1500 15000 150000] [--runs 5]

For each size, the SYNTHETIC registry generator (examples/synthetic-registry) writes an
export of that many patients (same generator, same seed, scaled), and the example study
is built from it ``--runs`` times, each build a fresh ``reportgen build`` process (a cold
start: imports included). Stages are read from the build's own progress lines (the
time each stage started), so nothing is timed twice; "start-up" is the time before the
first progress line (interpreter and imports), "shutdown" after the last one. CPU time
and peak memory (max RSS) are the child process's, from the operating system. Medians
are printed; the machine is shared and noisy, so compare ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tafa-len"
GENERATOR = ROOT / "examples" / "synthetic-registry" / "generate.py"
REPORTGEN = [sys.executable, "-m", "reportgen"]
LINE = re.compile(r"^\[\s*([\d.]+)s\] (.*)$")
#: Progress messages → benchmark stages, by the message's first words.
STAGES = (("reading the study spec", "spec"), ("reading and validating", "load + validate"),
          ("deriving", "derive"), ("computing statistics", "analyse"), ("drawing figures", "figures"),
          ("composing", "compose"), ("writing", "PDF + DOCX"), ("done", "done"))


def _stage(message: str) -> str | None:
    for start, stage in STAGES:
        if message.startswith(start):
            return stage
    return None


def study_for(data: Path, folder: Path) -> Path:
    """A copy of the example study reading ``data``, unlocked."""
    study = folder / "study"
    shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns("output"))
    spec = study / "study.yaml"
    text = spec.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  lock: .*\n", "", text).replace("../synthetic-registry/data", data.as_posix())
    spec.write_text(text, encoding="utf-8")
    return study


def timed_build(study: Path, out: Path) -> dict[str, float]:
    """One cold build in a child process: seconds per stage, plus wall, CPU and peak MB."""
    log = out.parent / "build.log"
    with open(log, "w", encoding="utf-8") as stream:
        start = time.perf_counter()
        child = subprocess.Popen([*REPORTGEN, "build", str(study), "--out", str(out)], stdout=subprocess.DEVNULL,
                                 stderr=stream)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time and peak memory
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
    lines = log.read_text(encoding="utf-8").splitlines()
    if child.returncode:
        raise SystemExit("build failed:\n" + "\n".join(lines))
    marks = [(float(m.group(1)), _stage(m.group(2))) for m in map(LINE.match, lines) if m]
    marks = [(at, stage) for at, stage in marks if stage]
    seconds: dict[str, float] = defaultdict(float)
    for (at, stage), (later, _) in zip(marks, marks[1:]):
        seconds[stage] += later - at
    seconds["start-up (imports) + shutdown"] = wall - marks[-1][0]  # the clock starts after the imports
    seconds["wall"] = wall
    seconds["CPU"] = usage.ru_utime + usage.ru_stime
    seconds["peak MB"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return dict(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[1500, 15000, 150000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    table: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for patients in args.patients:
            folder = Path(scratch) / str(patients)
            data = folder / "data"
            subprocess.run([sys.executable, str(GENERATOR), "--out", str(data), "--patients", str(patients)],
                           check=True, capture_output=True)
            study = study_for(data, folder)
            runs = [timed_build(study, folder / "out") for _ in range(args.runs)]
            table[patients] = {key: statistics.median(run.get(key, 0.0) for run in runs) for key in runs[0]}
            print(f"{patients} patients: median wall {table[patients]['wall']:.2f} s of {args.runs} runs",
                  file=sys.stderr)
    sizes = list(table)
    print(f"Full builds of the example study (manuscript + supplement, PDF + DOCX), cold processes, "
          f"medians of {args.runs} runs; seconds unless marked")
    print(f"{'stage':<34}" + "".join(f"{size:>12,}" for size in sizes))
    for key in table[sizes[0]]:
        print(f"{key:<34}" + "".join(f"{table[size].get(key, 0.0):>12.2f}" for size in sizes))


if __name__ == "__main__":
    main()
