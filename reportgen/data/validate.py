"""Consistency checks of a typed registry: unique ids, orphan records, dates in order.

Each check returns Problems naming file, patient and column; ``validate`` runs them
all and raises once with the full list, so one run shows every problem.
"""

from __future__ import annotations

import pandas as pd

from reportgen.data.load import Registry
from reportgen.data.schema import PATIENTS, REGISTRY_TABLES
from reportgen.errors import DataValidationError, Problem, summarize_problems


def _duplicates(registry: Registry) -> list[Problem]:
    problems = []
    for schema in REGISTRY_TABLES:
        frame = registry[schema.name]
        duplicated = frame.duplicated(list(schema.key), keep="first")
        for index in frame.index[duplicated]:
            what = "patient" if schema.one_row_per_patient else "record " + ", ".join(schema.key)
            problems.append(Problem(registry.file_of(schema.name), frame.at[index, "patient_id"],
                                    ",".join(schema.key), f"duplicate {what}"))
    return problems


def _orphans_and_gaps(registry: Registry) -> list[Problem]:
    """Records of unknown patients, and patients lacking a one-row-per-patient record."""
    known = set(registry["patients"]["patient_id"])
    problems = []
    for schema in REGISTRY_TABLES:
        if schema is PATIENTS:
            continue
        frame = registry[schema.name]
        for patient in sorted(set(frame["patient_id"]) - known):
            problems.append(Problem(registry.file_of(schema.name), patient, "patient_id",
                                    "record of a patient who is not in patients.csv"))
        if schema.one_row_per_patient:
            for patient in sorted(known - set(frame["patient_id"])):
                problems.append(Problem(registry.file_of(schema.name), patient, "patient_id",
                                        "patient has no record in this table"))
    return problems


def _order(
    frame: pd.DataFrame, file: str, earlier: str, later: str, message: str, column: str = ""
) -> list[Problem]:
    """Rows where date ``later`` precedes date ``earlier``; reported on ``column`` (default ``later``)."""
    column = column or later
    bad = frame[earlier].notna() & frame[later].notna() & (frame[later] < frame[earlier])
    return [
        Problem(file, frame.at[i, "patient_id"], column, message, str(frame.at[i, column].date()))
        for i in frame.index[bad]
    ]


def _date_order(registry: Registry) -> list[Problem]:
    """Dates that contradict each other within or across tables."""
    per_patient = (
        registry["patients"][["patient_id", "birth_date"]]
        .merge(registry["diagnoses"][["patient_id", "diagnosis_date"]], on="patient_id", how="left")
        .merge(registry["car_t"][["patient_id", "eligibility_date", "leukapheresis_date", "infusion_date"]],
               on="patient_id", how="left")
        .merge(registry["follow_up"][["patient_id", "last_contact_date", "death_date", "vital_status"]],
               on="patient_id", how="left")
    )
    problems = _order(per_patient, "diagnoses.csv", "birth_date", "diagnosis_date", "diagnosis before birth")
    problems += _order(per_patient, "car_t.csv", "diagnosis_date", "eligibility_date",
                       "CAR T eligibility before diagnosis")
    problems += _order(per_patient, "car_t.csv", "eligibility_date", "leukapheresis_date",
                       "leukapheresis before CAR T eligibility")
    problems += _order(per_patient, "car_t.csv", "leukapheresis_date", "infusion_date",
                       "infusion before leukapheresis")
    problems += _order(per_patient, "follow_up.csv", "infusion_date", "last_contact_date",
                       "last contact before CAR T infusion")
    problems += _order(per_patient, "follow_up.csv", "diagnosis_date", "death_date", "death before diagnosis")
    dead = per_patient["vital_status"] == "dead"
    for i in per_patient.index[dead & per_patient["death_date"].isna()]:
        problems.append(Problem("follow_up.csv", per_patient.at[i, "patient_id"], "death_date",
                                "vital status is dead but the death date is empty"))
    for i in per_patient.index[~dead & per_patient["death_date"].notna()]:
        problems.append(Problem("follow_up.csv", per_patient.at[i, "patient_id"], "death_date",
                                "a death date is given but the vital status is alive"))

    lines = registry["treatment_lines"].merge(per_patient[["patient_id", "death_date"]], on="patient_id")
    problems += _order(lines, "treatment_lines.csv", "start_date", "end_date", "treatment ends before it starts")
    problems += _order(lines, "treatment_lines.csv", "start_date", "death_date", "treatment starts after death",
                       column="start_date")
    events = registry["progressions"].merge(per_patient[["patient_id", "death_date", "diagnosis_date"]],
                                            on="patient_id")
    problems += _order(events, "progressions.csv", "diagnosis_date", "progression_date",
                       "progression before diagnosis")
    return problems


def validate(registry: Registry) -> Registry:
    """Run every consistency check; raise DataValidationError listing all problems found."""
    problems = _duplicates(registry) + _orphans_and_gaps(registry) + _date_order(registry)
    if problems:
        raise DataValidationError(summarize_problems(registry.source, problems), tuple(problems))
    return registry
