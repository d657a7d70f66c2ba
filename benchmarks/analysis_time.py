"""Time the analysis stage at registry scale: the IPW step alone, and the example study's analyse.

Usage: python benchmarks/analysis_time.py [--patients 1500 15000 150000] [--runs 5] [--no-study]

Two measurements per size, each the median of ``--runs`` runs in this process (imports
and data preparation are not timed), wall seconds (time.perf_counter) and CPU seconds of
the whole process, all threads (time.process_time):

- **IPW step**: the propensity model and weights (``stats.propensity_weights``), the
  weighted Kaplan-Meier curve of each arm (``stats.kaplan_meier``) and the weighted Cox
  model with robust (sandwich) variance and robust score test (``stats.cox_hazard_ratio``),
  the functions the study's comparisons call, over made-up inputs built here with that
  many patients: once with times in whole days (ties, as registry dates give) and once
  with continuous times (no ties: every event its own risk set, the case where a
  quadratic robust variance shows).
- **analyse stage**: ``reportgen.analysis.study.analyse`` of the example study on a
  SYNTHETIC registry of that many patients (examples/synthetic-registry/generate.py,
  same seed, scaled), derived once beforehand.

The growth ratios 15k/1.5k and 150k/15k follow: about 10 for a linear cost (less while
fixed costs still dominate), about 100 for a quadratic one. Needs no R. The machine is
shared and noisy, so compare ratios within one run.

numpy's OpenBLAS starts one thread per core, and its idle threads spin; on a small shared
machine they take the CPU from the main thread, and every stage gets slower, not only the
linear algebra. The header prints the setting; compare with
``OPENBLAS_NUM_THREADS=1 python benchmarks/analysis_time.py``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from build_time import study_for  # benchmarks/build_time.py, beside this file
from scaled_registry import generated_registry

from reportgen import stats
from reportgen.analysis.study import analyse
from reportgen.build import validated
from reportgen.data.derive import derive
from reportgen.lock import build_moment
from reportgen.spec import load_spec
from reportgen.validation import checked_registry

DAYS_PER_MONTH = 30.4375
COVARIATES = ("age", "sex_male", "ecog", "stage")


@dataclass(frozen=True)
class Timing:
    """Median wall and CPU seconds of some runs."""

    wall: float
    cpu: float


def timed(work: Callable[[], object], runs: int) -> Timing:
    """Run ``work`` ``runs`` times; the median wall and CPU seconds."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return Timing(statistics.median(walls), statistics.median(cpus))


def ipw_inputs(patients: int, tied: bool, seed: int = 20240820) -> pd.DataFrame:
    """Made-up comparison data: covariates, a treatment that depends on them, and survival.

    Event times are exponential (the hazard depends on the treatment and the covariates),
    censored by an independent exponential time; in months, continuous or rounded up to
    whole days (``tied``), as registry dates give.
    """
    rng = np.random.default_rng(seed)
    age = rng.normal(62, 10, patients).round()
    sex_male = rng.random(patients) < 0.6
    ecog = pd.Categorical(np.where(rng.random(patients) < 0.3, "≥2", "0-1"), categories=["0-1", "≥2"])
    stage = pd.Categorical(rng.choice(["I-II", "III", "IV"], patients, p=[0.2, 0.3, 0.5]),
                           categories=["I-II", "III", "IV"])
    high_ecog = np.asarray(ecog == "≥2")
    linear = -1.0 + 0.02 * (age - 62) + 0.3 * sex_male - 0.4 * high_ecog
    treated = rng.random(patients) < 1 / (1 + np.exp(-linear))
    hazard = 0.08 * np.exp(-0.3 * treated + 0.5 * high_ecog + 0.01 * (age - 62))
    event_time = rng.exponential(1 / hazard)
    censor_time = rng.exponential(24.0, patients)
    time_months = np.minimum(event_time, censor_time)
    if tied:
        time_months = np.maximum(np.ceil(time_months * DAYS_PER_MONTH), 1.0) / DAYS_PER_MONTH
    return pd.DataFrame({"treated": treated, "time": time_months, "event": event_time <= censor_time,
                         "age": age, "sex_male": sex_male, "ecog": ecog, "stage": stage})


def ipw_step(data: pd.DataFrame) -> stats.CoxResult:
    """What a comparison computes for one endpoint: weights, each arm's weighted KM, weighted Cox."""
    weights = stats.propensity_weights(data["treated"], data[list(COVARIATES)])
    time_months = data["time"].to_numpy(dtype=float)
    event = data["event"].to_numpy(dtype=bool)
    treated = data["treated"].to_numpy(dtype=bool)
    for members in (treated, ~treated):
        stats.kaplan_meier(time_months[members], event[members], weights=weights.weight[members])
    return stats.cox_hazard_ratio(time_months, event, pd.Series(treated.astype(float), name="treated"),
                                  weights=weights.weight, robust=True)


def study_analysis(patients: int, folder: Path) -> Callable[[], object]:
    """The example study's analyse over a fresh SYNTHETIC registry of ``patients``, derived now."""
    data = generated_registry(folder, patients)
    spec = load_spec(study_for(data, folder) / "study.yaml")
    derived = derive(checked_registry(validated(spec, build_moment(None).date())), spec)
    return lambda: analyse(derived, spec)


def _growth(values: list[float]) -> str:
    return "".join(f"{later / earlier:>12.1f}" if earlier > 0 else f"{'-':>12}"
                   for earlier, later in itertools.pairwise(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[1500, 15000, 150000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-study", action="store_true", help="time the IPW step only")
    args = parser.parse_args()
    rows: dict[str, list[Timing]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for patients in args.patients:
            for label, tied in (("IPW step, day times (ties)", True), ("IPW step, continuous times", False)):
                data = ipw_inputs(patients, tied)
                ipw_step(data)  # warm-up: lazy imports and caches
                rows.setdefault(label, []).append(timed(partial(ipw_step, data), args.runs))
            if not args.no_study:
                work = study_analysis(patients, Path(scratch) / str(patients))
                work()
                rows.setdefault("analyse stage, example study", []).append(timed(work, args.runs))
            print(f"{patients} patients done", file=sys.stderr)
    sizes = args.patients
    growth = [f"{later / 1000:g}k/{earlier / 1000:g}k" for earlier, later in itertools.pairwise(sizes)]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset (one per core)")
    print(f"Analysis stage timings, medians of {args.runs} runs, seconds (wall, then CPU of all threads); "
          f"growth = ratio of wall times; OPENBLAS_NUM_THREADS={threads}")
    print(f"{'':<32}{'':<6}" + "".join(f"{size:>12,}" for size in sizes) + "".join(f"{g:>12}" for g in growth))
    for label, timings in rows.items():
        for clock in ("wall", "cpu"):
            values = [getattr(t, clock) for t in timings]
            name = label if clock == "wall" else ""
            ratios = _growth(values) if clock == "wall" else ""
            print(f"{name:<32}{clock:<6}" + "".join(f"{v:>12.3f}" for v in values) + ratios)


if __name__ == "__main__":
    main()
