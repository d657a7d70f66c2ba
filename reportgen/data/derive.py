"""Derive analysis data from the registry's dates: baseline, analysis sets, endpoints.

Everything is computed from dates (never from precomputed durations), and every
patient who leaves the cohort on the way to an analysis set is counted with the
reason, so the study flowchart and the text can say where each patient went.

Definitions (DESIGN.md; the reference study's Methods):
- cohort: CAR T infusion in line ``min_car_t_line`` or later;
- first progression after CAR T: the earliest progression after the infusion;
- first treatment for progression: the earliest post-CAR T line starting on or
  after that progression; its start is the origin of PFS2 and OS2;
- PFS2: to the next progression after the origin, or death; OS2: to death; both
  censored at the last contact;
- early failure: the first treatment for progression starts within
  ``early_failure_months`` of the infusion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from reportgen.data.course import (RESPONDER_CODES, by_patient, car_t_outcome, cd19_status, months_between,
                                   regimen_before_car_t, toxicity, years_between)
from reportgen.data.load import Registry
from reportgen.errors import AnalysisError
from reportgen.spec import AnalysisSet, ComparisonSpec, Conventions, Endpoint, StudySpec, Variable


@dataclass(frozen=True)
class Exclusion:
    """Patients who left the flow at one step, and why."""

    reason: str
    count: int


@dataclass(frozen=True)
class FlowStep:
    """One box of the study flowchart: a population, its size, and who was excluded to reach it."""

    key: str
    label: str
    n: int
    parent: str = ""
    exclusions: tuple[Exclusion, ...] = ()


@dataclass(frozen=True)
class TimeToEvent:
    """One endpoint over one analysis set: time in months and an event flag per patient."""

    key: str
    label: str
    set: str
    data: pd.DataFrame  # index patient_id; columns time (months), event (bool)


@dataclass(frozen=True)
class ComparisonData:
    """The patients of one weighted comparison, complete on its weighting variables.

    ``data`` has one row per patient: ``treated`` (bool); from a registry export
    ``regimen`` and ``response`` (the first treatment's best response code, or None); the
    endpoints' ``<endpoint>_time`` and ``<endpoint>_event``; and one column per weighting
    variable of the main analysis and of
    every sensitivity analysis, named by the variable (categorical ones hold labels, as
    an ordered pandas Categorical). Patients missing any of those variables are excluded
    at the last steps of ``flow``.
    """

    key: str
    data: pd.DataFrame
    flow: tuple[FlowStep, ...]


@dataclass(frozen=True)
class Derived:
    """Everything the analyses need: baseline per patient, the sets, the endpoints, the flow."""

    baseline: pd.DataFrame  # index patient_id, one row per patient of the cohort
    sets: dict[str, pd.Index]
    endpoints: dict[str, TimeToEvent]
    flow: tuple[FlowStep, ...]
    comparisons: dict[str, ComparisonData] = field(default_factory=dict)

    def set_baseline(self, name: str) -> pd.DataFrame:
        return self.baseline.loc[self.sets[name]]


def _year_and_day(dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each date's year (counted from 1970), and its day of the year as month * 100 + day (which
    orders the days of any year alike, leap or not); meaningless where the date is missing."""
    days = dates.to_numpy(dtype="datetime64[D]")
    months = days.astype("datetime64[M]")
    month = months.astype(np.int64)  # months since January 1970
    return month // 12, month % 12 * 100 + (days - months.astype("datetime64[D]")).astype(np.int64)


def _whole_years(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Age in completed years on a date (birthday not yet reached counts one year less); ``birth``
    and ``on`` are aligned (the same index), missing where either is."""
    birth_year, birth_day = _year_and_day(birth)
    year, day = _year_and_day(on)
    missing = birth.isna().to_numpy() | on.isna().to_numpy()
    years = np.where(missing, 0, year - birth_year - (day < birth_day))
    return pd.Series(pd.arrays.IntegerArray(years, missing), index=on.index)


def _per_distinct(values: pd.Series, function: Callable[[object], object], missing: object) -> np.ndarray:
    """``function`` of each value, ``missing`` for a missing one (None, NaN, NA): an object array.

    ``function`` runs once per distinct value, not once per patient, so a Python rule
    over a column of codes stays cheap at registry scale.
    """
    positions, distinct = pd.factorize(values)  # a missing value's position is -1: the last result
    results = np.empty(len(distinct) + 1, dtype=object)
    results[:-1] = [function(value) for value in distinct]
    results[-1] = missing
    return results[positions]


def _bands(values: pd.Series, upper: int, low: str, high: str) -> np.ndarray:
    """``low`` where a value is at most ``upper``, ``high`` above it, None where it is missing.

    An object array in which each label is one string object shared by its rows (text
    that numpy turns into Python strings would be a new string per row).
    """
    labels = np.array([low, high, None], dtype=object)
    return labels[np.where(values.isna(), 2, np.where(values.fillna(0) <= upper, 0, 1))]


def _code(values: pd.Series) -> pd.Series:
    """Integer or boolean registry values as string codes ('0', 'Y'), keeping missing as None."""
    code = (lambda flag: "Y" if flag else "N") if str(values.dtype) == "boolean" else str
    return pd.Series(_per_distinct(values, code, None), index=values.index, dtype=object)


def _next_progression(registry: Registry, origin: pd.Series) -> pd.Series:
    """Each patient's (of ``origin``'s index) first progression strictly after ``origin`` (NaT when none).

    Each progression is placed among the patients once, by position; its patient's
    origin is then taken by that position, and the progressions are grouped by it (a
    number, not an id, is hashed).
    """
    progressions = registry["progressions"]
    patient = origin.index.get_indexer(progressions["patient_id"])
    dates = progressions["progression_date"].to_numpy()
    after = (patient >= 0) & (dates > origin.to_numpy()[patient])  # numpy: NaT compares as False
    earliest = pd.Series(dates[after]).groupby(patient[after], sort=False).min()
    first = np.full(len(origin), np.datetime64("NaT"), dtype=dates.dtype)
    first[earliest.index.to_numpy()] = earliest.to_numpy()
    return pd.Series(first, index=origin.index, name="progression_date")


def _first_treatment(lines: pd.DataFrame, patient: np.ndarray, first_progression: pd.Series) -> pd.DataFrame:
    """Each patient's (of ``first_progression``'s index) first post-CAR T line starting on or after the
    first progression (by start date, then line number; a column's first non-missing value, as
    ``first`` takes it); missing for a patient without one.

    ``patient`` is each line's position among the patients: the lines are grouped by it.
    """
    post = lines["role"].isin(["post_car_t"]).to_numpy() & (patient >= 0)  # isin: faster than == on text
    post &= lines["start_date"].to_numpy() >= first_progression.to_numpy()[patient]  # numpy: NaT compares as False
    columns = ["regimen", "start_date", "line_number", "best_response", "best_response_date"]
    chosen = lines.loc[post, columns].assign(patient=patient[post])
    # A stable sort by start and line keeps each patient's lines in that order within the group.
    chosen = chosen.sort_values(["start_date", "line_number"], kind="stable")
    first = chosen.groupby("patient", sort=False)[columns].first().reindex(range(len(first_progression)))
    return first.set_axis(first_progression.index)


def _count(patient: np.ndarray, rows: np.ndarray, patients: int) -> np.ndarray:
    """How many of the ``rows`` (a mask) each of the ``patients`` has; ``patient`` is each row's
    position among them (-1 for none)."""
    return np.bincount(patient[rows & (patient >= 0)], minlength=patients)


def derive_baseline(registry: Registry, conventions: Conventions) -> pd.DataFrame:
    """One row per patient: characteristics at CAR T eligibility and the post-CAR T course.

    Each one-row-per-patient table is aligned on the patients once (a patient id is
    looked up once per table, not once per column); each treatment line is placed among
    the patients once, by position, with which the lines are then counted and grouped.
    """
    patients = registry["patients"].set_index("patient_id")
    car = registry["car_t"].set_index("patient_id").reindex(patients.index)
    diagnoses = registry["diagnoses"].set_index("patient_id").reindex(patients.index)
    lines = registry["treatment_lines"]
    line_patient = patients.index.get_indexer(lines["patient_id"])
    prior = lines["role"].isin(["prior"]).to_numpy()  # isin: faster than == on text
    bridging = lines["role"].isin(["bridging"]).to_numpy()
    transplant = lines["autologous_transplant"].to_numpy(dtype=bool, na_value=False)

    frame = pd.DataFrame(index=car.index)  # the patients' ids, car's own index: car's columns are set without aligning
    frame["age"] = _whole_years(patients["birth_date"], car["eligibility_date"])
    frame["age_ge_65"] = frame["age"] >= 65
    frame["sex_male"] = patients["sex"].isin(["M"])  # isin: faster than == on text
    frame["ecog"] = _bands(car["ecog"], 1, "0-1", "2+")
    frame["ldh_elevated"] = _code(car["ldh_elevated"])
    frame["stage"] = _bands(car["ann_arbor_stage"], 2, "I-II", "III-IV")
    frame["aaipi"] = _code(car["aaipi"])
    frame["histology"] = diagnoses["histology"]
    frame["hctci_evaluated"] = car["hctci_evaluated"].fillna(False).astype(bool)
    frame["hctci_ge_1"] = (car["hctci_score"] >= 1).fillna(False).astype(bool)
    frame["prior_lines"] = _count(line_patient, prior, len(frame))
    frame["prior_asct"] = _count(line_patient, prior & transplant, len(frame)) > 0
    frame["diagnosis_to_eligibility_years"] = years_between(diagnoses["diagnosis_date"], car["eligibility_date"],
                                                            conventions)
    frame["status_before_leukapheresis"] = car["status_before_leukapheresis"]
    frame["bridging"] = _count(line_patient, bridging, len(frame)) > 0
    frame["status_before_infusion"] = car["status_before_infusion"]
    frame["product"] = car["product"]
    frame["car_t_line"] = car["car_t_line"]
    frame["infusion_date"] = car["infusion_date"]

    first_progression = _next_progression(registry, car["infusion_date"])
    first_treatment = _first_treatment(lines, line_patient, first_progression)
    frame["first_progression_date"] = first_progression
    frame["first_treatment_regimen"] = first_treatment["regimen"]
    frame["first_treatment_start"] = first_treatment["start_date"]
    frame["first_treatment_response"] = first_treatment["best_response"]
    frame["first_treatment_response_date"] = first_treatment["best_response_date"]
    frame["infusion_to_first_treatment_months"] = months_between(car["infusion_date"], frame["first_treatment_start"],
                                                                 conventions)
    frame["early_failure"] = frame["infusion_to_first_treatment_months"] <= conventions.early_failure_months
    return frame


def meeting(values: pd.Series, wanted: bool | str) -> pd.Index:
    """The index of the values equal to ``wanted``: a flag's True or False, or a code (compared as
    text). A missing value never meets a condition."""

    def meets(value: object) -> bool:
        if value is None or pd.isna(value):
            return False
        return str(value) == wanted if isinstance(wanted, str) else bool(value) == wanted

    return values.index[_per_distinct(values, meets, False).astype(bool)]


def _set_members(baseline: pd.DataFrame, registry: Registry, rule: AnalysisSet, spec: StudySpec,
                 sets: dict[str, pd.Index]) -> pd.Index:
    if rule.rule == "all":
        return baseline.index
    if rule.rule == "subset":
        name, wanted = rule.condition
        return meeting(baseline.loc[sets[rule.of], spec.variables[name].column], wanted)
    if rule.rule == "first_treatment_after_progression":
        return baseline.index[baseline["first_treatment_regimen"].isin([rule.regimen])]  # isin: faster than ==
    lines = registry["treatment_lines"]
    before = lines[lines["regimen"].isin([rule.regimen]) & lines["role"].isin(["prior", "bridging"])]
    before = before.merge(baseline[["infusion_date"]], left_on="patient_id", right_index=True)
    treated = set(before.loc[before["start_date"] < before["infusion_date"], "patient_id"])
    return baseline.index[baseline.index.isin(treated)]


def _set_step(name: str, rule: AnalysisSet, members: pd.Index, flow: list[FlowStep], spec: StudySpec,
              root: str) -> FlowStep:
    """The flowchart box of an analysis set, with the patients of its parent box left out; the set of
    rule ``all`` comes from the ``root`` box (the cohort), whole."""
    if rule.rule == "all":
        return FlowStep(name, rule.label, len(members), parent=root)
    if rule.rule == "subset":
        parent = rule.of
        variable, wanted = rule.condition
        label = spec.variables[variable].label
        if isinstance(wanted, str):
            reason = f"{label}: not {spec.variables[variable].levels[wanted]}"
        else:
            reason = f"{label}: {'no' if wanted else 'yes'} or unknown"
    elif rule.rule == "first_treatment_after_progression":
        parent, reason = "treated", f"first treatment other than {rule.regimen}"
    else:
        parent, reason = "cohort", f"{rule.regimen} not given before the infusion"
    parent_n = next(step.n for step in flow if step.key == parent)
    return FlowStep(name, rule.label, len(members), parent=parent,
                    exclusions=(Exclusion(reason, parent_n - len(members)),))


def _endpoints(registry: Registry, baseline: pd.DataFrame, follow_up: pd.DataFrame,
               conventions: Conventions) -> pd.DataFrame:
    """Time (months) and event of every endpoint kind, per patient (NaN where it has no origin);
    ``follow_up`` holds each patient's death and last contact dates.

    - ``pfs``/``os``: from the infusion; ``pfs2``/``os2``: from the first treatment for
      progression; PFS ends at the next progression or death, OS at death, both
      censored at the last contact.
    - ``dor2``: from the first treatment's best response (CR or PR) to the end of PFS2.
    """
    death, last_contact = follow_up["death_date"], follow_up["last_contact_date"]
    columns = {}
    pfs_ends = {}
    # the next progression after the infusion is the first progression after CAR T, already in the baseline
    treatment = baseline["first_treatment_start"]
    for kind, origin, progression in (("", baseline["infusion_date"], baseline["first_progression_date"]),
                                      ("2", treatment, _next_progression(registry, treatment))):
        # the earlier of the next progression and death (either alone when the other is missing)
        pfs_end = pfs_ends[kind] = progression.where(~(death < progression), death).fillna(death)
        has_origin = origin.notna()
        columns[f"pfs{kind}_time"] = months_between(origin, pfs_end.fillna(last_contact), conventions)
        columns[f"pfs{kind}_event"] = pfs_end.notna().where(has_origin)
        columns[f"os{kind}_time"] = months_between(origin, death.fillna(last_contact), conventions)
        columns[f"os{kind}_event"] = death.notna().where(has_origin)
    responded = baseline["first_treatment_response"].isin(RESPONDER_CODES)
    response_date = baseline["first_treatment_response_date"].where(responded)
    columns["dor2_time"] = months_between(response_date, pfs_ends["2"].fillna(last_contact), conventions)
    columns["dor2_event"] = pfs_ends["2"].notna().where(response_date.notna())
    return pd.DataFrame(columns, index=baseline.index)


def level_labels(codes: pd.Series, variable: Variable) -> pd.Series:
    """A categorical variable's registry codes as its declared labels (missing stays None, or
    becomes the variable's ``missing_level``)."""
    labels = _per_distinct(codes, lambda code: variable.levels.get(str(code), code), variable.missing_level or None)
    return pd.Series(labels, index=codes.index, dtype=object)


def variable_values(baseline: pd.DataFrame, variable: Variable) -> pd.Series:
    """A variable's analysis values: labels (a Categorical in declared order) for a categorical one,
    else the column as it is."""
    values = baseline[variable.column]
    if variable.type != "categorical":
        return values
    labels = list(variable.labels)
    return pd.Series(pd.Categorical(level_labels(values, variable), categories=labels), index=values.index)


def _weighting_variables(comparison: ComparisonSpec) -> tuple[str, ...]:
    names = list(comparison.covariates)
    for sensitivity in comparison.sensitivity.values():
        names += sensitivity.covariates
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Arms:
    """Who a comparison's arms are formed among (``population``, the flow step ``parent``), who is in
    each (flags per patient of it), what the others are told (``label`` of the step of both arms,
    ``neither``: why a patient is in neither), and the columns the analysis takes as they are
    (``carried``: a registry's first treatment regimen and response)."""

    population: pd.DataFrame
    parent: str
    treated: pd.Series
    control: pd.Series
    label: str
    neither: str
    carried: dict[str, pd.Series] = field(default_factory=dict)


def registry_arms(comparison: ComparisonSpec, baseline: pd.DataFrame) -> Arms:
    """A registry comparison's arms: first treatments for progression, among the patients treated for it."""
    treated_population = baseline[baseline["first_treatment_start"].notna()]
    regimen = treated_population["first_treatment_regimen"]
    in_treated = regimen.isin(comparison.treated.regimens)
    if comparison.control.regimens:
        in_control = regimen.isin(comparison.control.regimens) & ~in_treated
    else:
        in_control = ~regimen.isin(comparison.control.all_except) & ~in_treated
    left_out_regimens = sorted(regimen[~(in_treated | in_control)].unique())
    left_out = (", ".join(left_out_regimens) if len(left_out_regimens) <= 3
                else f"{len(left_out_regimens)} other regimens")
    return Arms(treated_population, "treated", in_treated, in_control, "treated in either arm",
                f"first treatment in neither arm ({left_out or 'none'})",
                {"regimen": regimen, "response": treated_population["first_treatment_response"]})


def derive_comparison(key: str, comparison: ComparisonSpec, arms: Arms, times: Callable[[str], pd.DataFrame],
                      spec: StudySpec) -> ComparisonData:
    """Form one comparison's cohort from its ``arms``, then drop (and count) incomplete patients;
    ``times(endpoint)`` gives an endpoint's ``time`` and ``event`` per patient.

    A patient missing several weighting variables is counted once, under the first
    missing one in the order the spec lists them.
    """
    population, in_treated, in_control = arms.population, arms.treated, arms.control
    neither = ~(in_treated | in_control)
    flow = [FlowStep(f"{key}.arms", f"{comparison.label}: {arms.label}", int((~neither).sum()), parent=arms.parent,
                     exclusions=(Exclusion(arms.neither, int(neither.sum())),))]
    names = _weighting_variables(comparison)
    columns = {name: variable_values(population, spec.variables[name]) for name in names}
    covariates = pd.DataFrame(columns, index=population.index)
    first_missing = covariates.isna().idxmax(axis=1).where(covariates.isna().any(axis=1))
    kept = {}
    for arm_key, arm, members in (("treated", comparison.treated, in_treated),
                                  ("control", comparison.control, in_control)):
        flow.append(FlowStep(f"{key}.{arm_key}_arm", arm.label, int(members.sum()), parent=f"{key}.arms"))
        missing = first_missing[members]
        exclusions = tuple(
            Exclusion(f"missing {spec.variables[name].label}", int((missing == name).sum()))
            for name in names if (missing == name).any()
        )
        kept[arm_key] = members & first_missing.isna()
        flow.append(FlowStep(f"{key}.{arm_key}", f"{arm.label}, complete weighting variables",
                             int(kept[arm_key].sum()), parent=f"{key}.{arm_key}_arm", exclusions=exclusions))
    rows = kept["treated"] | kept["control"]
    if not kept["treated"].any() or not kept["control"].any():
        raise AnalysisError(f"comparison {key!r}: an arm has no patient with every weighting variable")
    chosen = population.index[rows]
    data = pd.DataFrame({"treated": in_treated[rows], **{name: column[rows] for name, column in arms.carried.items()}},
                        index=chosen)
    for name in comparison.endpoints:
        endpoint = times(name).loc[chosen]
        absent = endpoint["time"].isna() | endpoint["event"].isna()
        if absent.any():
            raise AnalysisError(f"comparison {key!r}: endpoint {name!r} has no time for patient(s) "
                                f"{', '.join(map(str, chosen[absent.to_numpy()][:5]))}")
        data[f"{name}_time"] = endpoint["time"]
        data[f"{name}_event"] = endpoint["event"].astype(bool)
    data = data.join(covariates.loc[rows])
    return ComparisonData(key, data, tuple(flow))


def analysis_sets(baseline: pd.DataFrame, registry: Registry, spec: StudySpec, flow: list[FlowStep],
                  root: str) -> dict[str, pd.Index]:
    """Each analysis set's patients, in the spec's order, its flowchart box appended to ``flow``
    (``root``: the box of the whole cohort); an empty set is an error."""
    sets: dict[str, pd.Index] = {}
    for name, rule in spec.analysis_sets.items():
        members = _set_members(baseline, registry, rule, spec, sets)
        if len(members) == 0:
            raise AnalysisError(f"analysis set {name!r} ({rule.label}) has no patients in the data")
        sets[name] = members
        flow.append(_set_step(name, rule, members, flow, spec, root))
    return sets


def endpoint_data(name: str, endpoint: Endpoint, data: pd.DataFrame, missing: str) -> TimeToEvent:
    """An endpoint over the patients of its set: ``data`` holds their ``time`` (months) and ``event``; a
    patient without either is an error saying ``missing`` ("no origin date"), naming the first five."""
    absent = data["time"].isna() | data["event"].isna()
    if absent.any():
        raise AnalysisError(f"endpoint {name!r}: {missing} for patient(s) {', '.join(map(str, data.index[absent][:5]))}")
    if data.empty:
        raise AnalysisError(f"endpoint {name!r}: no patient of set {endpoint.set!r} has this endpoint")
    return TimeToEvent(name, endpoint.label, endpoint.set, data.astype({"time": float, "event": bool}))


def derive(registry: Registry, spec: StudySpec) -> Derived:
    """Baseline, analysis sets, endpoints and the study flow of one registry export."""
    conventions = spec.conventions
    everyone = derive_baseline(registry, conventions)
    total = len(everyone)
    in_cohort = everyone["car_t_line"] >= spec.cohort.min_car_t_line
    baseline = everyone[in_cohort]
    flow = [
        FlowStep("registry", "Patients treated with CAR T cells in the registry", total),
        FlowStep("cohort", spec.cohort.label, len(baseline), parent="registry", exclusions=(
            Exclusion(f"CAR T-cell therapy before line {spec.cohort.min_car_t_line}", int((~in_cohort).sum())),)),
    ]
    progressed = baseline["first_progression_date"].notna()
    treated = baseline["first_treatment_start"].notna()
    flow.append(FlowStep("progressed", "Progression after CAR T-cell therapy", int(progressed.sum()),
                         parent="cohort", exclusions=(Exclusion("no progression after CAR T-cell therapy",
                                                                int((~progressed).sum())),)))
    flow.append(FlowStep("treated", "Treated for the first progression after CAR T-cell therapy",
                         int(treated.sum()), parent="progressed",
                         exclusions=(Exclusion("no treatment recorded for the progression",
                                               int((progressed & ~treated).sum())),)))

    regimens_before = {rule.regimen for rule in spec.analysis_sets.values() if rule.rule == "treated_before_car_t"}
    if len(regimens_before) > 1:
        raise AnalysisError("only one regimen can be followed before CAR T (analysis sets with the rule "
                            f"treated_before_car_t name {', '.join(sorted(regimens_before))})")
    # Each patient's follow-up, looked up once for the endpoints and the CAR T outcome.
    follow_up = by_patient(registry["follow_up"], ["death_date", "last_contact_date", "death_cause"], baseline.index)
    # The course's columns, side by side with the baseline's (as left joins on the patient), in one
    # frame that takes every column as it is (copy=False: no copy, and no consolidating copy either).
    course = [_endpoints(registry, baseline, follow_up, conventions),
              car_t_outcome(registry, baseline, follow_up, conventions),
              toxicity(registry, baseline.index), cd19_status(registry, baseline)]
    course += [regimen_before_car_t(registry, baseline, regimen, conventions).reindex(baseline.index)
               for regimen in regimens_before]
    columns = {name: frame[name] for frame in (baseline, *course) for name in frame.columns}
    baseline = pd.DataFrame(columns, index=baseline.index, copy=False)

    sets = analysis_sets(baseline, registry, spec, flow, "cohort")
    endpoints = {}
    for name, endpoint in spec.endpoints.items():
        data = baseline.loc[sets[endpoint.set], [f"{endpoint.kind}_time", f"{endpoint.kind}_event"]]
        data.columns = ["time", "event"]
        if endpoint.kind == "dor2":  # duration of response: responders only
            data = data[data["time"].notna()]
        endpoints[name] = endpoint_data(name, endpoint, data, "no origin date")
    def times(name: str) -> pd.DataFrame:
        kind = spec.endpoints[name].kind
        return baseline[[f"{kind}_time", f"{kind}_event"]].set_axis(["time", "event"], axis=1)

    comparisons = {key: derive_comparison(key, comparison, registry_arms(comparison, baseline), times, spec)
                   for key, comparison in spec.comparisons.items()}
    return Derived(baseline, sets, endpoints, tuple(flow), comparisons)
