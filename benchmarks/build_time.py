"""Time full builds of the example study at registry scale: wall, CPU and peak memory per stage.

Usage: python benchmarks/build_time.py [--patients 1500 15000 150000] [--runs 5]

For each size, the SYNTHETIC registry generator (examples/synthetic-registry) writes an
export of that many patients (same generator, same seed, scaled), and the example study
(manuscript and supplement, PDF and DOCX) is built from it ``--runs`` times in each of
three ways, every build a fresh ``reportgen build`` process (a cold start, imports
included):

* **cold**: the study's cache emptied first, so everything is computed (and cached);
* **unchanged**: built again with nothing changed (everything reused from the cache);
* **text edit**: a sentence of the manuscript template changed before the build.

Stages are read from the build's own progress lines as they are printed; at each line
the build's processes (the main one and its workers, from /proc: Linux only) are read
for their CPU time and their peak memory, so each stage gets its wall time, the CPU
time of all processes and the largest process's peak memory so far. "start-up" is the
time before the first progress line (interpreter and imports), "shutdown" after the
last. Medians are printed, then each stage's growth from one size to the next (10x the
patients: linear growth is at most 10x). The machine is shared and noisy: compare
within one run.
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

from scaled_registry import REPORTGEN, ROOT, generated_registry

EXAMPLE = ROOT / "examples" / "tafa-len"
LINE = re.compile(r"^\[\s*([\d.]+)s\] (.*)$")
#: Progress messages → benchmark stages, by the message's first words.
STAGES = (("reading the study spec", "spec + lock"), ("reading and validating", "load + validate"),
          ("reusing the analysis", "analysis (cached)"), ("deriving", "derive"), ("computing statistics", "analyse"),
          ("drawing figures", "figures"), ("composing", "compose"), ("writing", "PDF + DOCX"),
          ("cache:", "cache trim"), ("done", "done"))


def _stage(message: str) -> str | None:
    for start, stage in STAGES:
        if message.startswith(start):
            return stage
    return None


def study_for(data: Path, folder: Path) -> Path:
    """A copy of the example study reading ``data``, locked (so its dates, and its bytes, repeat)."""
    subprocess.run([*REPORTGEN, "lock", str(data), "--name", f"synthetic-{folder.name}", "--date", "2024-08-20"],
                   check=True, capture_output=True)
    study = folder / "study"
    shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns("output", ".reportgen-cache"))
    spec = study / "study.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("../synthetic-registry/data", data.as_posix()), encoding="utf-8")
    return study


def _processes(pid: int) -> list[int]:
    """``pid`` and its descendants, now."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def _usage(pid: int) -> tuple[float, float]:
    """CPU seconds of a process tree (processes already reaped included) and its largest peak memory (MB)."""
    cpu, peak = 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for process in _processes(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime
            status = Path(f"/proc/{process}/status").read_text()
            peak = max(peak, int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
        except (OSError, AttributeError, IndexError):
            pass
    return cpu, peak


def timed_build(study: Path, out: Path) -> dict[str, float]:
    """One build in a fresh process: per stage wall and CPU seconds and peak MB, plus totals."""
    start = time.perf_counter()
    child = subprocess.Popen([*REPORTGEN, "build", str(study), "--out", str(out)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    marks: list[tuple[float, str, float, float]] = []  # (wall, stage, CPU, peak MB) at each stage's start
    lines = []
    for line in child.stderr:
        lines.append(line)
        found = LINE.match(line.rstrip("\n"))
        stage = _stage(found.group(2)) if found else None
        if stage:
            marks.append((time.perf_counter() - start, stage, *_usage(child.pid)))
    _, status, usage = os.wait4(child.pid, 0)  # the whole run's CPU time and peak memory
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit("build failed:\n" + "".join(lines))
    figures: dict[str, float] = defaultdict(float)
    figures["start-up (to the first line)"] = marks[0][0]
    figures["start-up (to the first line) CPU"] = marks[0][2]
    for (at, stage, cpu, peak), (later, _, later_cpu, later_peak) in zip(marks, marks[1:]):
        figures[stage] += later - at
        figures[f"{stage} CPU"] += later_cpu - cpu
        figures[f"{stage} peak MB"] = max(figures[f"{stage} peak MB"], later_peak)
    figures["shutdown (after done)"] = wall - marks[-1][0]
    figures["wall"] = wall
    figures["CPU"] = usage.ru_utime + usage.ru_stime
    figures["peak MB"] = max(usage.ru_maxrss / 1024, *(mark[3] for mark in marks))  # KiB on Linux
    return dict(figures)


def _edit_text(study: Path, run: int) -> None:
    """Change one sentence of the manuscript template (a different one each run)."""
    original = (EXAMPLE / "templates" / "manuscript.md.j2").read_text(encoding="utf-8")
    edited = original.replace("\n# Methods\n", f"\n# Methods\n\nBenchmark edit number {run}.\n", 1)
    assert edited != original, "the manuscript template has no '# Methods' heading to add a sentence under"
    (study / "templates" / "manuscript.md.j2").write_text(edited, encoding="utf-8")


SCENARIOS = ("cold", "unchanged", "text edit")


def _print_table(title: str, table: dict[int, dict[str, float]]) -> None:
    """One row per stage: per size its wall s, CPU s and peak MB; then the wall time's growth per 10x patients."""
    sizes = list(table)
    print(f"\n{title}")
    print(f"{'stage':<30}" + "".join(f"{f'{size:,} patients: wall   CPU    MB':>36}" for size in sizes)
          + "".join(f"{f'wall x{b // a}':>10}" for a, b in zip(sizes, sizes[1:])))
    stages = [key for key in dict.fromkeys(key for size in sizes for key in table[size])
              if not key.endswith((" CPU", " peak MB")) and key not in ("CPU", "peak MB")]
    for stage in stages:
        cells = []
        for size in sizes:
            row = table[size]
            total = stage == "wall"
            cpu, peak = (row.get("CPU", 0.0), row.get("peak MB", 0.0)) if total else (
                row.get(f"{stage} CPU"), row.get(f"{stage} peak MB"))
            cells.append(f"{row.get(stage, 0.0):>24.2f}" + (f"{cpu:>6.2f}" if cpu is not None else f"{'':>6}")
                         + (f"{peak:>6.0f}" if peak is not None else f"{'':>6}"))
        walls = [table[size].get(stage, 0.0) for size in sizes]
        growth = [f"{b / a:>10.2f}" if a >= 0.05 else f"{'':>10}" for a, b in zip(walls, walls[1:])]
        print(f"{stage:<30}" + "".join(cells) + "".join(growth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[1500, 15000, 150000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tables: dict[str, dict[int, dict[str, float]]] = {scenario: {} for scenario in SCENARIOS}
    with tempfile.TemporaryDirectory() as scratch:
        for patients in args.patients:
            folder = Path(scratch) / str(patients)
            data = generated_registry(folder, patients)
            study = study_for(data, folder)
            runs: dict[str, list[dict[str, float]]] = defaultdict(list)
            for run in range(args.runs):  # the three scenarios in turn, so noise hits them alike
                shutil.rmtree(study / ".reportgen-cache", ignore_errors=True)
                runs["cold"].append(timed_build(study, folder / "out"))
                runs["unchanged"].append(timed_build(study, folder / "out"))
                _edit_text(study, run)
                runs["text edit"].append(timed_build(study, folder / "out"))
            for scenario, measured in runs.items():
                keys = list(dict.fromkeys(key for one in measured for key in one))
                tables[scenario][patients] = {key: statistics.median(one.get(key, 0.0) for one in measured)
                                              for key in keys}
            print(f"{patients} patients: median wall " + ", ".join(
                f"{scenario} {tables[scenario][patients]['wall']:.2f} s" for scenario in SCENARIOS), file=sys.stderr)
    for scenario in SCENARIOS:
        _print_table(f"Example study builds, {scenario}: medians of {args.runs} runs (seconds, CPU seconds of all "
                     f"the build's processes, MB of its largest process); growth per 10x patients", tables[scenario])


if __name__ == "__main__":
    main()
