"""Analysis-ready data (``data.form: patients``): typed by what the spec declares, then derived.

A registry export is relational, and reportgen derives every set and endpoint from its
dates (``reportgen.data.derive``). Analysis-ready data are already shaped by the study's
statistician: one row per patient, with baseline variables, times or dates and event
flags, and optionally long time-to-event rows in the CDISC ADaM ADTTE shape (USUBJID,
PARAMCD, AVAL, CNSR, optionally AVALU). Nothing in them is known in advance, so each
column is typed by its use in the spec: a continuous variable's or an endpoint's time
as a number, a binary variable's or an event's as a flag, an endpoint's origin and
end as dates, a categorical variable's as a code. Every value that does not fit is a
Problem naming the file, the patient, the column and the value, and every problem is
found before any is reported, as for a registry export.

Times are converted to months (``conventions.days_per_month``; a year is
``days_per_year`` days), the unit of every time in the documents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen.data.derive import Arms, Derived, FlowStep, analysis_sets, derive_comparison, endpoint_data, meeting
from reportgen.data.load import Loaded, Registry
from reportgen.data.schema import Column, TableSchema
from reportgen.data.sources import RawExport, RawTable, read_export
from reportgen.errors import Problem, SpecError
from reportgen.spec import ComparisonSpec, Conventions, StudySpec, condition_of

PATIENTS = TableSchema("patients", (), ("patient_id",), True)  # its columns are the data's own
ADTTE_COLUMNS = ("USUBJID", "PARAMCD", "AVAL", "CNSR")
# its columns' names, for the adapter; they are typed here (_type_adtte), not by the schema's kinds
ADTTE = TableSchema("adtte", tuple(Column(name, "text") for name in (*ADTTE_COLUMNS, "AVALU")), ("USUBJID", "PARAMCD"),
                    False)
#: How an event or binary flag may be written (compared in lower case).
FLAGS = {"1": True, "0": False, "true": True, "false": False, "yes": True, "no": False, "y": True, "n": False}
#: Time units (AVALU or ``data.time_unit``, compared in lower case, singular or plural) and their days.
UNIT_DAYS = {"day": 1.0, "week": 7.0}
ROOT = "data"  # the flow step of every patient in the data


@dataclass(frozen=True)
class Use:
    """How the spec uses one column: its kind (number, flag, date, code) and who uses it, for messages."""

    kind: str
    by: str
    event_values: tuple[str, ...] = ()


def tables_read(spec: StudySpec) -> tuple[TableSchema, ...]:
    """The patients table, and the ADTTE table when an endpoint names a parameter."""
    return (PATIENTS, ADTTE) if any(endpoint.paramcd for endpoint in spec.endpoints.values()) else (PATIENTS,)


def column_uses(spec: StudySpec) -> dict[str, Use]:
    """Each column of the patients table the spec uses, with its kind; a column used as two kinds is a
    SpecError (a binary variable may also be shown as a categorical one: its codes are then the
    flag's True and False)."""
    uses: dict[str, Use] = {}

    def use(column: str, kind: str, by: str, event_values: tuple[str, ...] = ()) -> None:
        earlier = uses.get(column)
        if earlier is None or (earlier.kind == "code" and kind == "flag"):
            uses[column] = Use(kind, by, event_values)
        elif earlier.kind != kind and not (earlier.kind == "flag" and kind == "code"):
            raise SpecError(f"{by}: column {column!r} is already used as a {earlier.kind} by {earlier.by}")
        elif earlier.event_values != event_values and kind == "flag":
            raise SpecError(f"{by}: column {column!r} is read with other event_values by {earlier.by}")

    kinds = {"continuous": "number", "binary": "flag", "categorical": "code"}
    for name, variable in spec.variables.items():
        use(variable.column, kinds[variable.type], f"variables.{name}")
    for name, endpoint in spec.endpoints.items():
        where = f"endpoints.{name}"
        if endpoint.time:
            use(endpoint.time, "number", where)
        for column in (endpoint.origin, endpoint.end):
            if column:
                use(column, "date", where)
        if endpoint.event:
            use(endpoint.event, "flag", where, endpoint.event_values)
    return uses


def _typed_column(text: pd.Series, use: Use, ids: pd.Series, where: str, column: str, missing: pd.Series,
                  problems: list[Problem]) -> pd.Series:
    """One column of text typed by its use; each value that does not fit is a Problem (and missing)."""
    if use.kind == "code":
        return text.where(~missing, None).astype(object)
    if use.kind == "number":
        values = pd.to_numeric(text.where(~missing), errors="coerce")
        message = "not a number"
    elif use.kind == "date":
        values = pd.to_datetime(text.where(~missing), format="%Y-%m-%d", errors="coerce")
        message = "not a date in YYYY-MM-DD form"
    elif use.event_values:
        values = pd.Series(text.isin(use.event_values), index=text.index, dtype="boolean").where(~missing)
        message = ""
    else:
        values = text.str.lower().map(FLAGS).astype("boolean")
        message = "not a flag (1/0, true/false, yes/no or Y/N; event_values can name other event codes)"
    bad = values.isna() & ~missing
    problems += [Problem(where, patient, column, message, value) for patient, value in zip(ids[bad], text[bad])]
    if use.kind == "number" and use.by.startswith("endpoints"):  # a time
        negative = values < 0
        problems += [Problem(where, patient, column, "a time cannot be negative", value)
                     for patient, value in zip(ids[negative], text[negative])]
    return values


def _patient_ids(table: RawTable, problems: list[Problem]) -> pd.Series:
    """The id column (``patient_id``, else ``USUBJID``), else row numbers from 1; an empty or repeated id
    is a problem."""
    frame = table.frame
    column = next((name for name in ("patient_id", "USUBJID") if name in frame.columns), None)
    if column is None:
        return pd.Series([str(row + 1) for row in range(len(frame))], index=frame.index, dtype=object)
    ids = frame[column].astype(str).str.strip().astype(object)
    problems += [Problem(table.where, f"row {row + 1}", column, "the patient id is empty") for row in
                 np.flatnonzero(ids.eq("").to_numpy())]
    repeated = ids[ids.duplicated(keep=False) & ids.ne("")]
    problems += [Problem(table.where, patient, column, f"the patient appears in {count} rows")
                 for patient, count in repeated.value_counts(sort=False).items()]
    return ids


def _type_patients(table: RawTable, spec: StudySpec, problems: list[Problem]) -> pd.DataFrame | None:
    """The patients table: ``patient_id`` and every column the spec uses, typed; None when a column is missing."""
    frame = table.frame
    if frame.empty:
        problems.append(Problem(table.where, "", "", "the data have no patients (a header without rows)"))
        return None
    ids = _patient_ids(table, problems)
    uses = column_uses(spec)
    absent = [column for column in uses if column not in frame.columns]
    problems += [Problem(table.where, "", column, f"column is missing (used by {uses[column].by})")
                 for column in absent]
    if absent:
        return None
    columns = {"patient_id": ids}
    for column, use in uses.items():
        text = frame[column].astype(str).str.strip()
        columns[column] = _typed_column(text, use, ids, table.where, column, text.isin(spec.data.missing),
                                        problems)
    return pd.DataFrame(columns, index=frame.index)


def _type_adtte(table: RawTable, ids: pd.Series, spec: StudySpec, problems: list[Problem]) -> pd.DataFrame | None:
    """The ADTTE rows: USUBJID, PARAMCD, AVAL (a number, 0 or more), CNSR (0 an event, above 0 censored),
    AVALU; a subject not among the patients, or twice under one parameter, is a problem."""
    frame = table.frame
    absent = [column for column in ADTTE_COLUMNS if column not in frame.columns]
    problems += [Problem(table.where, "", column, "required ADTTE column is missing") for column in absent]
    if absent:
        return None
    text = {column: frame[column].astype(str).str.strip() for column in frame.columns if column in ADTTE.column_names}
    subjects = text["USUBJID"]
    aval = _typed_column(text["AVAL"], Use("number", "endpoints"), subjects, table.where, "AVAL",
                         text["AVAL"].isin(spec.data.missing), problems)
    cnsr = pd.to_numeric(text["CNSR"], errors="coerce")
    bad = cnsr.isna() | (cnsr < 0) | (cnsr % 1 != 0)
    problems += [Problem(table.where, subject, "CNSR", "not a censoring code (0 for an event, 1 or more censored)",
                         value) for subject, value in zip(subjects[bad], text["CNSR"][bad])]
    orphans = ~subjects.isin(set(ids))
    problems += [Problem(table.where, subject, "USUBJID", "no such patient in the patients table")
                 for subject in subjects[orphans]]
    pairs = pd.DataFrame({"USUBJID": subjects, "PARAMCD": text["PARAMCD"]})
    twice = pairs[pairs.duplicated(keep="first")]
    problems += [Problem(table.where, subject, "PARAMCD", "the subject has two rows of this parameter", code)
                 for subject, code in zip(twice["USUBJID"], twice["PARAMCD"])]
    unit = text.get("AVALU", pd.Series("", index=frame.index))
    unit = unit.where(~unit.isin(spec.data.missing), "")
    return pd.DataFrame({"USUBJID": subjects, "PARAMCD": text["PARAMCD"], "AVAL": aval,
                         "event": cnsr.eq(0) & ~bad, "AVALU": unit}, index=frame.index)


def type_ready(raw: RawExport, spec: StudySpec) -> Loaded:
    """Type analysis-ready data as read; every problem collected, nothing raised. The typed data are a
    Registry of the tables ``patients`` (and ``adtte``), or None when a table or a column is missing."""
    problems = list(raw.problems)
    tables: dict[str, pd.DataFrame] = {}
    patients = raw.tables.get("patients")
    if patients is not None:
        typed = _type_patients(patients, spec, problems)
        if typed is not None:
            tables["patients"] = typed
    adtte = raw.tables.get("adtte")
    if adtte is not None and "patients" in tables:
        typed = _type_adtte(adtte, tables["patients"]["patient_id"], spec, problems)
        if typed is not None:
            tables["adtte"] = typed
    complete = len(tables) == len(tables_read(spec))
    registry = Registry(tables, raw.origin, {name: table.where for name, table in raw.tables.items()},
                        {name: table.labels for name, table in raw.tables.items() if table.labels}) if complete else None
    return Loaded(registry, tuple(problems), raw)


def read_ready(spec: StudySpec) -> Loaded:
    """Read the spec's analysis-ready data from its source and type them, collecting problems."""
    return type_ready(read_export(spec.data, spec.data_path, tables_read(spec)), spec)


def in_months(values: pd.Series, units: pd.Series, conventions: Conventions) -> pd.Series:
    """Times in ``units`` (per value: days, weeks, months or years; singular or plural, any case) as
    months. Days are divided by ``days_per_month`` (so a time in days gives the same months as a date
    difference, to the bit); weeks are 7 days, years ``days_per_year`` days, months kept as they are."""
    unit = units.str.strip().str.lower().str.removesuffix("s")
    days = unit.map({**UNIT_DAYS, "year": conventions.days_per_year})
    unknown = ~unit.isin([*UNIT_DAYS, "year", "month"])
    if unknown.any():
        raise ValueError(f"unknown time unit {units[unknown].iloc[0]!r} (days, weeks, months or years)")
    return (values * days / conventions.days_per_month).where(unit.ne("month"), values)


def _endpoint_columns(baseline: pd.DataFrame, adtte: pd.DataFrame | None, spec: StudySpec, name: str
                      ) -> pd.DataFrame:
    """One endpoint's time (months) and event per patient, missing where the data have none."""
    endpoint = spec.endpoints[name]
    conventions = spec.conventions
    if endpoint.paramcd:
        rows = adtte[adtte["PARAMCD"].eq(endpoint.paramcd)]
        try:
            time = in_months(rows["AVAL"], rows["AVALU"].where(rows["AVALU"].ne(""), spec.data.time_unit), conventions)
        except ValueError as error:
            raise SpecError(f"endpoints.{name}.paramcd: ADTTE's AVALU has an {error}") from None
        found = pd.DataFrame({"time": time.to_numpy(), "event": rows["event"].to_numpy()},
                             index=pd.Index(rows["USUBJID"]))
        return found.reindex(baseline.index)
    if endpoint.time:
        units = pd.Series(spec.data.time_unit, index=baseline.index)
        time = in_months(baseline[endpoint.time], units, conventions)
    else:
        time = (baseline[endpoint.end] - baseline[endpoint.origin]).dt.days / conventions.days_per_month
    return pd.DataFrame({"time": time, "event": baseline[endpoint.event]}, index=baseline.index)


def derive_ready(data: Registry, spec: StudySpec) -> Derived:
    """Baseline, analysis sets, endpoints and flow of analysis-ready data: the baseline is the patients
    table as typed, indexed by patient; every set is drawn from all the patients in the data."""
    baseline = data["patients"].set_index("patient_id", drop=False)
    baseline.index.name = "patient_id"
    flow = [FlowStep(ROOT, "Patients in the data", len(baseline))]
    sets = analysis_sets(baseline, data, spec, flow, ROOT)
    adtte = data.tables.get("adtte")
    endpoints = {}
    times = {}
    for name, endpoint in spec.endpoints.items():
        times[name] = _endpoint_columns(baseline, adtte, spec, name)
        source = endpoint.paramcd and f"ADTTE parameter {endpoint.paramcd}" or endpoint.time or endpoint.origin
        endpoints[name] = endpoint_data(name, endpoint, times[name].loc[sets[endpoint.set]], f"no {source} value")
    comparisons = {key: derive_comparison(key, comparison, _arms(comparison, baseline, sets, spec),
                                          times.__getitem__, spec)
                   for key, comparison in spec.comparisons.items()}
    return Derived(baseline, sets, endpoints, tuple(flow), comparisons)


def _arms(comparison: ComparisonSpec, baseline: pd.DataFrame, sets: dict[str, pd.Index], spec: StudySpec) -> Arms:
    """An analysis-ready comparison's arms: the patients of its set who meet each arm's condition (one who
    meets both is in the treated arm)."""
    population = baseline.loc[sets[comparison.set]]

    def meets(where: str) -> pd.Series:
        name, wanted = condition_of(where)
        return population.index.isin(meeting(population[spec.variables[name].column], wanted))

    in_treated = pd.Series(meets(comparison.treated.where), index=population.index)
    in_control = pd.Series(meets(comparison.control.where), index=population.index) & ~in_treated
    return Arms(population, comparison.set, in_treated, in_control, "in either arm",
                f"neither {comparison.treated.where} nor {comparison.control.where}")
