"""The course after CAR T, per patient: response, failure, death, toxicity, CD19 biopsies,
and the lines of a regimen given before CAR T.

Every column is computed from the registry's dates and codes (never from stored
durations). Missing stays missing (None or NaN); a code that says "not done" is kept
apart from "no record" only where the registry makes the difference, and the study
spec decides how levels are labelled and pooled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reportgen.data.load import Registry
from reportgen.spec import Conventions

RESPONDER_CODES = ("CR", "PR")
NO_BIOPSY = "none"  # CD19 code of a patient without a biopsy in the window


def days_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole days from ``start`` to ``end`` (NaN where either date is missing)."""
    return (end - start).dt.days.astype("float")


def months_between(start: pd.Series, end: pd.Series, conventions: Conventions) -> pd.Series:
    """Months of ``conventions.days_per_month`` days from ``start`` to ``end``."""
    return days_between(start, end) / conventions.days_per_month


def years_between(start: pd.Series, end: pd.Series, conventions: Conventions) -> pd.Series:
    """Years of ``conventions.days_per_year`` days from ``start`` to ``end``."""
    return days_between(start, end) / conventions.days_per_year


def by_patient(table: pd.DataFrame, columns: list[str], patients: pd.Index) -> pd.DataFrame:
    """``columns`` of a one-row-per-patient table, a row for each of ``patients`` (empty where it has none).

    Only the columns asked for are indexed and aligned, not the whole table.
    """
    return table[["patient_id", *columns]].set_index("patient_id").reindex(patients)


def _optional(values: pd.Series) -> pd.Series:
    """A column (flags, codes) as Python objects with missing values as None (object dtype, as the
    tables expect)."""
    return pd.Series(values.to_numpy(dtype=object, na_value=None), index=values.index, name=values.name)


def car_t_outcome(registry: Registry, baseline: pd.DataFrame, follow_up: pd.DataFrame,
                  conventions: Conventions) -> pd.DataFrame:
    """Best response to CAR T, time to it, time to failure, and death with its cause (from
    ``follow_up``, each patient's: ``by_patient``).

    ``car_t_evaluable``: a best response is recorded (NE included, as a response
    assessment that could not be read); ``car_t_responder``: CR or PR.
    """
    car_t = by_patient(registry["car_t"], ["best_response", "best_response_date"], baseline.index)
    response = _optional(car_t["best_response"])
    evaluable = response.notna()
    responded = response.isin(RESPONDER_CODES)
    frame = pd.DataFrame(index=baseline.index)
    frame["car_t_response"] = response
    frame["car_t_evaluable"] = evaluable
    frame["car_t_responder"] = _optional(responded.where(evaluable))
    frame["car_t_complete_response"] = _optional(response.isin(["CR"]).where(evaluable))  # isin: faster than ==
    frame["car_t_time_to_response_months"] = months_between(baseline["infusion_date"], car_t["best_response_date"],
                                                     conventions).where(responded)
    frame["infusion_to_progression_months"] = months_between(baseline["infusion_date"], baseline["first_progression_date"],
                                                      conventions)
    frame["dead"] = follow_up["death_date"].notna()
    frame["death_cause"] = _optional(follow_up["death_cause"])
    return frame


def toxicity(registry: Registry, index: pd.Index) -> pd.DataFrame:
    """CAR T toxicities as flags; a row with every field empty means "not evaluated" (all missing).

    ``car_t_toxicity`` is CRS or neurotoxicity (ICANS) of any grade, the population in
    which tocilizumab use and intensive care admission are usually reported.
    """
    rows = registry["toxicities"].set_index("patient_id").reindex(index)
    evaluated = rows.notna().any(axis=1)
    crs, icans = rows["crs_grade"], rows["icans_grade"]
    flags = {
        "crs_any": crs >= 1,
        "crs_grade_3_4": crs.between(3, 4),
        "icans_any": icans >= 1,
        "icans_grade_3_4": icans.between(3, 4),
        "car_t_toxicity": (crs.fillna(0) >= 1) | (icans.fillna(0) >= 1),
        "tocilizumab": rows["tocilizumab"],
        "icu_admission": rows["icu_admission"],
        "prolonged_cytopenia": rows["prolonged_cytopenia"],
        "infection_grade_3_5": rows["infection_grade_3_5"],
    }
    frame = pd.DataFrame({"toxicity_evaluated": evaluated}, index=index)
    for name, values in flags.items():
        frame[name] = _optional(values.astype("boolean").where(evaluated))
    return frame


def _biopsy_in_window(biopsies: pd.DataFrame, index: pd.Index, after: pd.Series | None, until: pd.Series | None,
                      last: bool) -> pd.Series:
    """The CD19 code of the first (or ``last``) biopsy with after < date <= until; ``none`` if there is none.

    ``after`` and ``until`` are aligned with ``index`` (the patients). Each biopsy is
    placed among the patients once (its position in ``index``); its bounds, and its
    patient's group, are then taken by that position, not looked up by id.
    """
    patient = index.get_indexer(biopsies["patient_id"])
    dates = biopsies["biopsy_date"].to_numpy()
    kept = patient >= 0
    if after is not None:
        kept &= dates > after.to_numpy()[patient]
    if until is not None:  # no bound date (e.g. never treated): the window stays open
        bound = until.to_numpy()[patient]
        kept &= np.isnat(bound) | (dates <= bound)
    # In date order (a stable sort keeps each patient's rows in that order within the group).
    rows = np.flatnonzero(kept)
    rows = rows[np.argsort(dates[rows], kind="stable")]
    grouped = pd.Series(biopsies["cd19_ihc"].to_numpy()[rows]).groupby(patient[rows], sort=False)
    chosen = (grouped.last() if last else grouped.first()).dropna()  # no code on any biopsy: none
    codes = np.empty(len(index), dtype=object)
    codes[:] = NO_BIOPSY  # one string object for every patient without a biopsy
    codes[chosen.index] = chosen.to_numpy()
    return pd.Series(codes, index=index, name="cd19_ihc")


def cd19_status(registry: Registry, baseline: pd.DataFrame) -> pd.DataFrame:
    """CD19 (IHC) on the last biopsy before infusion, the first after it (up to the first
    treatment for progression), and the first after that treatment started."""
    biopsies = registry["biopsies"]
    infusion = baseline["infusion_date"]
    treatment = baseline["first_treatment_start"]
    return pd.DataFrame({
        "cd19_before_infusion": _biopsy_in_window(biopsies, baseline.index, None, infusion, last=True),
        "cd19_after_infusion": _biopsy_in_window(biopsies, baseline.index, infusion, treatment, last=False),
        "cd19_after_first_treatment": _biopsy_in_window(biopsies, baseline.index, treatment, None, last=False),
    }, index=baseline.index)


def regimen_before_car_t(registry: Registry, baseline: pd.DataFrame, regimen: str,
                         conventions: Conventions) -> pd.DataFrame:
    """For patients given ``regimen`` before their infusion: as a prior line and/or as bridging,
    how long, the washout to infusion, the bridging response, and CD19 around it.

    Durations run from a line's start to its end; washouts from its end to the infusion.
    Prior-line figures are in months, bridging ones in days (bridging lasts weeks).
    """
    lines = registry["treatment_lines"]
    infusion = baseline["infusion_date"]
    given = lines[lines["regimen"].isin([regimen]) & lines["role"].isin(["prior", "bridging"])]
    given = given[given["start_date"] < given["patient_id"].map(infusion)]
    patients = pd.Index(sorted(given["patient_id"].unique()), name=baseline.index.name)
    frame = pd.DataFrame(index=patients)
    for role in ("prior", "bridging"):
        # each patient's last line in start order (a stable sort by date keeps ties in row order)
        rows = given[given["role"] == role].sort_values("start_date", kind="stable").groupby(
            "patient_id", sort=False).last()
        frame[f"index_as_{role}"] = patients.isin(rows.index)
        start = rows["start_date"].reindex(patients)
        end = rows["end_date"].reindex(patients)
        duration, washout = days_between(start, end), days_between(end, infusion.reindex(patients))
        if role == "prior":
            frame["index_prior_duration_months"] = duration / conventions.days_per_month
            frame["index_prior_washout_months"] = washout / conventions.days_per_month
        else:
            frame["index_bridging_duration_days"] = duration
            frame["index_bridging_washout_days"] = washout
            frame["index_bridging_response"] = rows["best_response"].reindex(patients).astype("object")
    first_start = given.groupby("patient_id", sort=False)["start_date"].min().reindex(patients)
    biopsies = registry["biopsies"]
    frame["cd19_before_index"] = _biopsy_in_window(biopsies, patients, None, first_start, last=True)
    frame["cd19_after_index"] = _biopsy_in_window(biopsies, patients, first_start, infusion.reindex(patients),
                                                  last=False)
    return frame
