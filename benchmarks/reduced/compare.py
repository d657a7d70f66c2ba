"""Time reportgen against an R script doing the same work: a reduced study, one Table 1 and 8
Kaplan-Meier figures with risk tables, into a .docx and a PDF.

Usage: python benchmarks/reduced/compare.py [--patients 1500 15000 150000] [--runs 5]

For each size, the SYNTHETIC registry generator (examples/synthetic-registry) writes an
export of that many patients; then ``--runs`` pairs of cold runs go one after the other, R
first in each pair: ``Rscript reduced_study.R DATA OUT`` and ``python -m reportgen build STUDY
--out OUT``, where STUDY is a copy of this folder's study.yaml (and templates) reading DATA,
unlocked and without reportgen's cache. Each run is a fresh process writing into an empty folder, timed on the wall clock;
its CPU time (the process and the children it waited for) comes from the operating system.
Printed: per size, the median wall and CPU seconds of each tool and the median of the per-pair
ratios R / reportgen (above 1: reportgen was faster).

Both tools read the same CSV files, keep the same patients (the cohort's patients whose first
treatment for progression after CAR T is TAFA-LEN, R2, LEN or POLA-BR) and draw the same 8
curves; reportgen also validates the whole export, draws its study flowchart (not placed in
this document) and writes its results store and provenance, which the R script does not do.

Needs R with the survival, survminer, flextable and officer packages (Debian:
r-cran-survminer r-cran-flextable r-cran-officer); without them the benchmark is skipped.
The machine may be shared and noisy: compare the ratios of one run, not runs across days.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # benchmarks/: what the benchmarks share
from scaled_registry import REPORTGEN, ROOT, generated_registry  # noqa: E402

R_SCRIPT = HERE / "reduced_study.R"
R_PACKAGES = ("survival", "survminer", "flextable", "officer")
#: The data path in study.yaml, replaced in each copy by the generated export's.
SPEC_DATA_PATH = "path: ../../examples/synthetic-registry/data"
OUTPUTS = ("report.docx", "report.pdf")


def missing_r() -> str:
    """Why R cannot run the script here ("" when it can)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript is not on the PATH"
    check = ("missing <- Filter(function(p) !requireNamespace(p, quietly = TRUE), c(%s)); "
             "cat(missing, sep = ' ')" % ", ".join(f'"{name}"' for name in R_PACKAGES))
    done = subprocess.run([rscript, "-e", check], capture_output=True, text=True)
    if done.returncode:
        return f"Rscript fails to start: {done.stderr.strip()}"
    if done.stdout.strip():
        return f"R package(s) missing: {done.stdout.strip()}"
    return ""


def study_for(data: Path, folder: Path) -> Path:
    """A copy of the reduced study (spec and templates) reading ``data``."""
    study = folder / "study"
    study.mkdir(parents=True)
    shutil.copytree(HERE / "templates", study / "templates")
    text = (HERE / "study.yaml").read_text(encoding="utf-8")
    if SPEC_DATA_PATH not in text:
        raise SystemExit(f"study.yaml no longer reads '{SPEC_DATA_PATH}': update compare.py")
    (study / "study.yaml").write_text(text.replace(SPEC_DATA_PATH, f"path: {data.as_posix()}"), encoding="utf-8")
    return study


def timed(command: list[str], out: Path, log: Path) -> tuple[float, float]:
    """Run ``command`` cold into an empty ``out``: wall and CPU seconds; stop on failure."""
    shutil.rmtree(out, ignore_errors=True)
    with open(log, "w", encoding="utf-8") as stream:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"failed: {' '.join(command)}\n{log.read_text(encoding='utf-8')}")
    missing = [name for name in OUTPUTS if not (out / name).is_file()]
    if missing:
        raise SystemExit(f"{' '.join(command)} did not write {', '.join(missing)}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[1500, 15000, 150000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    why = missing_r()
    if why:
        print(f"skipped: the R side of the comparison cannot run ({why}).", file=sys.stderr)
        return
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for patients in args.patients:
            folder = Path(scratch) / str(patients)
            data = generated_registry(folder, patients)
            study = study_for(data, folder)
            r_command = ["Rscript", str(R_SCRIPT), str(data), str(folder / "r_out")]
            # --no-cache: every run computes everything, as the R script does
            reportgen_command = [*REPORTGEN, "build", str(study), "--out", str(folder / "reportgen_out"), "--no-cache"]
            pairs = []
            for run in range(1, args.runs + 1):
                r = timed(r_command, folder / "r_out", folder / "r.log")
                ours = timed(reportgen_command, folder / "reportgen_out", folder / "reportgen.log")
                pairs.append((r, ours))
                print(f"{patients:,} patients, pair {run}/{args.runs}: R {r[0]:.2f} s, reportgen {ours[0]:.2f} s, "
                      f"ratio {r[0] / ours[0]:.2f}", file=sys.stderr)
            rows.append((patients, statistics.median(r[0] for r, _ in pairs),
                         statistics.median(ours[0] for _, ours in pairs),
                         statistics.median(r[0] / ours[0] for r, ours in pairs),
                         statistics.median(r[1] for r, _ in pairs), statistics.median(ours[1] for _, ours in pairs)))
    print(f"Reduced study (Table 1 + 8 Kaplan-Meier figures with risk tables, .docx + PDF) on the synthetic "
          f"registry: cold processes, medians of {args.runs} paired runs, seconds")
    print(f"{'patients':>10}{'R wall':>10}{'reportgen':>11}{'R/reportgen':>13}{'R CPU':>9}{'reportgen CPU':>15}")
    for patients, r_wall, our_wall, ratio, r_cpu, our_cpu in rows:
        print(f"{patients:>10,}{r_wall:>10.2f}{our_wall:>11.2f}{ratio:>13.2f}{r_cpu:>9.2f}{our_cpu:>15.2f}")


if __name__ == "__main__":
    main()
