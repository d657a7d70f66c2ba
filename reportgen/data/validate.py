"""Consistency checks of a typed registry: unique ids, orphan records, dates in order,
plausible values.

Each check returns Problems naming file, patient, column and value. An error is a
contradiction no analysis can stand on (death before infusion); a warning is a value
that is possible but unusual enough that someone should look at it (a patient under
18 in an adult registry). ``check_registry`` runs them all; ``validate`` raises once
with every error, so one run shows every problem.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from reportgen.data.load import Registry
from reportgen.data.schema import PATIENTS, REGISTRY_TABLES
from reportgen.errors import DataValidationError, Problem, errors_of, summarize_problems


def _patient_numbers(frame: pd.DataFrame, position: np.ndarray, patients: int) -> np.ndarray:
    """Each row's patient as a number, the same for the same id: its ``position`` among the
    ``patients`` patients, else (an id not among them, or a missing one) a number after those."""
    numbers = position.copy()
    others = position < 0
    if others.any():  # a missing id is factorized as -1: numbered ``patients``, the others after it
        numbers[others] = patients + 1 + pd.factorize(frame["patient_id"].to_numpy()[others])[0]
    return numbers


def _duplicates(registry: Registry, patients: int, rows: dict[str, np.ndarray]) -> list[Problem]:
    """Rows whose key (the patient, and for a table of several rows per patient what tells them
    apart) repeats an earlier row's. Patients are compared by number (``_patient_numbers``), not
    hashed again by id."""
    problems = []
    for schema in REGISTRY_TABLES:
        frame = registry[schema.name]
        numbers = _patient_numbers(frame, rows[schema.name], patients)
        key = pd.DataFrame({column: numbers if column == "patient_id" else frame[column] for column in schema.key})
        duplicated = key.duplicated(keep="first").to_numpy()
        for index in frame.index[duplicated]:
            what = "patient" if schema.one_row_per_patient else "record " + ", ".join(schema.key)
            problems.append(Problem(registry.file_of(schema.name), frame.at[index, "patient_id"],
                                    ",".join(schema.key), f"duplicate {what}"))
    return problems


def _orphans_and_gaps(registry: Registry, ids: pd.Index, rows: dict[str, np.ndarray]) -> list[Problem]:
    """Records of unknown patients, and patients lacking a one-row-per-patient record.

    ``rows`` holds each table's row positions among the patients' ``ids`` (-1: an id not
    among them), so no id is hashed again here; Python sets are made only of the ids
    found wanting. A missing id (an empty patient_id, reported by typing) is neither an
    orphan nor a patient without records.
    """
    problems = []
    for schema in REGISTRY_TABLES:
        if schema is PATIENTS:
            continue
        frame = registry[schema.name]
        orphans = frame["patient_id"][rows[schema.name] < 0].dropna()
        for patient in sorted(set(orphans)):
            problems.append(Problem(registry.file_of(schema.name), patient, "patient_id",
                                    f"record of a patient who is not in {registry.file_of('patients')}"))
        if schema.one_row_per_patient:
            recorded = np.zeros(len(ids), dtype=bool)
            recorded[rows[schema.name][rows[schema.name] >= 0]] = True
            for patient in sorted(set(ids[~recorded].dropna())):
                problems.append(Problem(registry.file_of(schema.name), patient, "patient_id",
                                        "patient has no record in this table"))
    return problems


def _order(
    frame: pd.DataFrame, file: str, earlier: str, later: str, message: str, column: str = "",
    among: pd.Series | None = None,
) -> list[Problem]:
    """Rows (of those ``among``, by default all) where date ``later`` precedes date ``earlier``;
    reported on ``column`` (default ``later``). A missing date (NaT) precedes nothing."""
    column = column or later
    bad = frame[later].to_numpy() < frame[earlier].to_numpy()  # numpy: NaT compares as False
    if among is not None:
        bad &= among.to_numpy()
    return [
        Problem(file, frame.at[i, "patient_id"], column, message, str(frame.at[i, column].date()))
        for i in frame.index[bad]
    ]


def _patient_rows(registry: Registry, ids: pd.Index) -> dict[str, np.ndarray]:
    """For every table, each row's position among the patients' ``ids`` (-1 for an id not among them).

    Each table's ids are hashed once, here: the checks of duplicates, of orphans, of
    patients without records, and of dates across tables all look patients up by these
    positions.
    """
    return {schema.name: ids.get_indexer(registry[schema.name]["patient_id"]) for schema in REGISTRY_TABLES}


def _per_patient(registry: Registry, first: pd.DataFrame, rows: dict[str, np.ndarray]) -> pd.DataFrame:
    """The one-row-per-patient dates (and vital status), one row per patient of patients.csv
    (``first``: the first row of each).

    Each patient's first row of each table is taken (as a left merge on the unique
    patient_id gives it, without merging whole frames); a patient without one has
    missing values (NaT, NaN).
    """
    columns = {"patient_id": first["patient_id"].to_numpy(), "birth_date": first["birth_date"].to_numpy()}
    for table, names in (("diagnoses", ["diagnosis_date"]),
                         ("car_t", ["eligibility_date", "leukapheresis_date", "infusion_date", "best_response_date"]),
                         ("follow_up", ["last_contact_date", "death_date", "vital_status"])):
        position = rows[table]
        firsts = np.flatnonzero((position >= 0) & ~pd.Series(position).duplicated().to_numpy())
        row = np.full(len(first), -1)  # each patient's first row in the table, -1 for none
        row[position[firsts]] = firsts
        columns.update({name: take(registry[table][name].to_numpy(), row, allow_fill=True) for name in names})
    return pd.DataFrame(columns)


def _with_dates(frame: pd.DataFrame, position: np.ndarray, per_patient: pd.DataFrame,
                dates: list[str]) -> pd.DataFrame:
    """The rows of ``frame`` whose patient is in ``per_patient`` (``position``: each row's
    position there, -1 for none), in order, with that patient's ``dates`` beside them (as
    an inner merge on patient_id gives them).

    When every row's patient is known (a valid export), the rows are not copied: the
    dates are added to a shallow copy of ``frame``.
    """
    rows = np.flatnonzero(position >= 0)
    joined = frame.copy(deep=False) if len(rows) == len(frame) else frame.take(rows)
    for name in dates:
        joined[name] = per_patient[name].to_numpy()[position[rows]]
    return joined


def _date_order(registry: Registry, per_patient: pd.DataFrame, joined: dict[str, pd.DataFrame]) -> list[Problem]:
    """Dates that contradict each other within or across tables."""
    problems = _order(per_patient, registry.file_of("diagnoses"), "birth_date", "diagnosis_date", "diagnosis before birth")
    problems += _order(per_patient, registry.file_of("car_t"), "diagnosis_date", "eligibility_date",
                       "CAR T eligibility before diagnosis")
    problems += _order(per_patient, registry.file_of("car_t"), "eligibility_date", "leukapheresis_date",
                       "leukapheresis before CAR T eligibility")
    problems += _order(per_patient, registry.file_of("car_t"), "leukapheresis_date", "infusion_date",
                       "infusion before leukapheresis")
    problems += _order(per_patient, registry.file_of("follow_up"), "infusion_date", "last_contact_date",
                       "last contact before CAR T infusion")
    problems += _order(per_patient, registry.file_of("follow_up"), "diagnosis_date", "death_date", "death before diagnosis")
    dead = per_patient["vital_status"].isin(["dead"])  # isin: faster than == on text
    for i in per_patient.index[dead & per_patient["death_date"].isna()]:
        problems.append(Problem(registry.file_of("follow_up"), per_patient.at[i, "patient_id"], "death_date",
                                "vital status is dead but the death date is empty"))
    for i in per_patient.index[~dead & per_patient["death_date"].notna()]:
        problems.append(Problem(registry.file_of("follow_up"), per_patient.at[i, "patient_id"], "death_date",
                                "a death date is given but the vital status is alive"))

    lines = joined["treatment_lines"]
    file = registry.file_of("treatment_lines")
    problems += _order(lines, file, "start_date", "end_date", "treatment ends before it starts")
    problems += _order(lines, file, "start_date", "death_date", "treatment starts after death", column="start_date")
    problems += _order(joined["progressions"], registry.file_of("progressions"), "diagnosis_date", "progression_date",
                       "progression before diagnosis")
    return problems


def _after_death_or_contact(registry: Registry, per_patient: pd.DataFrame,
                            joined: dict[str, pd.DataFrame]) -> list[Problem]:
    """Events of the CAR T course that contradict the infusion, the death or the last contact."""
    follow_up = registry.file_of("follow_up")
    problems = _order(per_patient, follow_up, "infusion_date", "death_date", "death before CAR T infusion")
    problems += _order(per_patient, follow_up, "last_contact_date", "death_date", "last contact after death",
                       column="last_contact_date")
    events = joined["progressions"]
    file = registry.file_of("progressions")
    problems += _order(events, file, "infusion_date", "progression_date", "progression before CAR T infusion "
                       "(the progressions table holds progressions after CAR T)")
    problems += _order(events, file, "progression_date", "death_date", "progression after death",
                       column="progression_date")
    problems += _order(events, file, "progression_date", "last_contact_date", "progression after the last contact",
                       column="progression_date")
    car_t = registry.file_of("car_t")
    problems += _order(per_patient, car_t, "infusion_date", "best_response_date",
                       "best response to CAR T dated before the infusion")
    lines = joined["treatment_lines"]
    file = registry.file_of("treatment_lines")
    problems += _order(lines, file, "start_date", "best_response_date", "best response dated before the line started")
    problems += _order(lines, file, "end_date", "death_date", "treatment ends after death", column="end_date")
    problems += _order(lines, file, "start_date", "last_contact_date", "treatment starts after the last contact",
                       column="start_date")
    problems += _order(lines, file, "infusion_date", "start_date", "a post-CAR T line starts before the infusion",
                       among=lines["role"].isin(["post_car_t"]))  # isin: several times faster than == on text
    problems += _order(lines, file, "start_date", "leukapheresis_date", "a prior line starts after leukapheresis",
                       column="start_date", among=lines["role"].isin(["prior"]))
    problems += _order(joined["biopsies"], registry.file_of("biopsies"), "biopsy_date", "death_date",
                       "biopsy after death", column="biopsy_date")
    return problems


def _future_dates(registry: Registry, as_of: date) -> list[Problem]:
    """Dates after the data lock (or today): a typo in the year, or a date that has not happened yet."""
    limit = np.datetime64(as_of)
    problems = []
    for schema in REGISTRY_TABLES:
        frame = registry[schema.name]
        for column in (c.name for c in schema.columns if c.kind == "date"):
            late = frame[column].to_numpy() > limit  # numpy: NaT compares as False
            problems += [Problem(registry.file_of(schema.name), frame.at[i, "patient_id"], column,
                                 f"date after the data's reference date {as_of.isoformat()} (the lock, or today)",
                                 str(frame.at[i, column].date())) for i in frame.index[late]]
    return problems


#: Age at CAR T infusion, in years: above the first is an error, below the second a warning.
OLDEST, YOUNGEST = 100, 18


def _plausible_values(registry: Registry, per_patient: pd.DataFrame) -> list[Problem]:
    """Values that are possible by type but implausible together: ages, HCT-CI, vein-to-vein time."""
    problems = []
    age = (per_patient["infusion_date"] - per_patient["birth_date"]).dt.days / 365.25
    for i in per_patient.index[age > OLDEST]:
        problems.append(Problem(registry.file_of("patients"), per_patient.at[i, "patient_id"], "birth_date",
                                f"implausible age at CAR T infusion (over {OLDEST} years)", f"{age[i]:.0f} years"))
    for i in per_patient.index[(age >= 0) & (age < YOUNGEST)]:
        problems.append(Problem(registry.file_of("patients"), per_patient.at[i, "patient_id"], "birth_date",
                                f"younger than {YOUNGEST} at CAR T infusion", f"{age[i]:.1f} years",
                                severity="warning"))
    car_t = registry["car_t"]
    file = registry.file_of("car_t")
    evaluated = car_t["hctci_evaluated"].fillna(False).astype(bool)
    for i in car_t.index[~evaluated & car_t["hctci_score"].notna()]:
        problems.append(Problem(file, car_t.at[i, "patient_id"], "hctci_score",
                                "an HCT-CI score is given but hctci_evaluated is N (the score is not used)",
                                str(car_t.at[i, "hctci_score"]), severity="warning"))
    for i in car_t.index[evaluated & car_t["hctci_score"].isna()]:
        problems.append(Problem(file, car_t.at[i, "patient_id"], "hctci_score",
                                "hctci_evaluated is Y but the score is empty", severity="warning"))
    waited = (car_t["infusion_date"] - car_t["leukapheresis_date"]).dt.days
    for i in car_t.index[waited > 180]:
        problems.append(Problem(file, car_t.at[i, "patient_id"], "infusion_date",
                                "infusion more than 180 days after leukapheresis", f"{waited[i]:.0f} days",
                                severity="warning"))
    return problems


def check_registry(registry: Registry, as_of: date | None = None) -> list[Problem]:
    """Every consistency problem of a typed registry, errors and warnings (dates after ``as_of`` are errors)."""
    first = registry["patients"][["patient_id", "birth_date"]].drop_duplicates("patient_id")
    ids = pd.Index(first["patient_id"])
    rows = _patient_rows(registry, ids)
    per_patient = _per_patient(registry, first, rows)
    # each table with the per-patient dates its checks compare with
    joined = {name: _with_dates(registry[name], rows[name], per_patient, dates) for name, dates in (
        ("treatment_lines", ["leukapheresis_date", "infusion_date", "last_contact_date", "death_date"]),
        ("progressions", ["diagnosis_date", "infusion_date", "last_contact_date", "death_date"]),
        ("biopsies", ["death_date"]))}
    problems = _duplicates(registry, len(ids), rows) + _orphans_and_gaps(registry, ids, rows)
    problems += _date_order(registry, per_patient, joined)
    problems += _after_death_or_contact(registry, per_patient, joined) + _plausible_values(registry, per_patient)
    if as_of is not None:
        problems += _future_dates(registry, as_of)
    return problems


def validate(registry: Registry, as_of: date | None = None) -> Registry:
    """Run every consistency check; raise DataValidationError listing all errors found."""
    errors = errors_of(check_registry(registry, as_of))
    if errors:
        raise DataValidationError(summarize_problems(registry.source, list(errors)), errors)
    return registry
