"""Derivation from dates on a tiny hand-made registry whose answers are known by hand."""

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from reportgen.data.derive import derive
from reportgen.data.load import Registry
from reportgen.data.schema import REGISTRY_TABLES
from reportgen.spec import load_spec

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tafa-len"
D = pd.Timestamp


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    schema = next(s for s in REGISTRY_TABLES if s.name == name)
    frame = pd.DataFrame(rows, columns=list(schema.column_names))
    for column in schema.columns:
        if column.kind == "date":
            frame[column.name] = pd.to_datetime(frame[column.name])
        elif column.kind == "int":
            frame[column.name] = frame[column.name].astype("Int64")
        elif column.kind == "flag":
            frame[column.name] = frame[column.name].astype("boolean")
    return frame


def _patient(pid, line, regimen_after, progression, treatment_start, death=None, last="2023-01-01"):
    return pid, line, regimen_after, progression, treatment_start, death, last


@pytest.fixture
def registry() -> Registry:
    people = [  # id, CAR T line, first treatment after progression, progression, its start, death, last contact
        _patient("P1", 3, "TAFA-LEN", "2021-03-01", "2021-03-11", death="2021-09-11", last="2021-09-11"),
        _patient("P2", 4, "TAFA-LEN", "2021-09-01", "2021-10-01"),
        _patient("P3", 3, "R-GEMOX", "2021-02-01", "2021-02-05"),
        _patient("P4", 2, "TAFA-LEN", "2021-02-01", "2021-02-05"),
        _patient("P5", 3, None, None, None),
    ]
    car_t, lines, progressions, follow_up = [], [], [], []
    for pid, line, regimen, progression, start, death, last in people:
        car_t.append(dict(patient_id=pid, product="axi-cel", car_t_line=line, eligibility_date="2020-11-15",
                          leukapheresis_date="2020-12-01", infusion_date="2021-01-01", hctci_evaluated=True,
                          ecog=1, hctci_score=0))
        lines.append(dict(patient_id=pid, line_number=1, regimen="R-CHOP", role="prior", start_date="2019-01-01",
                          end_date="2019-06-01", autologous_transplant=pid == "P2"))
        if progression:
            progressions.append(dict(patient_id=pid, progression_date=progression))
            lines.append(dict(patient_id=pid, line_number=2, regimen=regimen, role="post_car_t", start_date=start,
                              autologous_transplant=False))
        follow_up.append(dict(patient_id=pid, last_contact_date=last, vital_status="dead" if death else "alive",
                              death_date=death, death_cause="progression" if death else None))
    progressions.append(dict(patient_id="P2", progression_date="2022-01-01"))
    lines.append(dict(patient_id="P5", line_number=2, regimen="TAFA-LEN", role="prior", start_date="2020-06-01",
                      end_date="2020-09-01", autologous_transplant=False))
    tables = {
        "patients": _table("patients", [dict(patient_id=p[0], center_id="SYN-C01", sex="M",
                                             birth_date="1956-01-02") for p in people]),
        "diagnoses": _table("diagnoses", [dict(patient_id=p[0], diagnosis_date="2019-01-01", histology="LBCL")
                                          for p in people]),
        "treatment_lines": _table("treatment_lines", lines),
        "car_t": _table("car_t", car_t),
        "progressions": _table("progressions", progressions),
        "follow_up": _table("follow_up", follow_up),
        "toxicities": _table("toxicities", [dict(patient_id=p[0]) for p in people]),
        "biopsies": _table("biopsies", []),
    }
    return Registry(tables, Path("tiny"))


def _tiny_spec():
    """The example spec cut to what five patients can fill: no weighting, no empty subsets."""
    example = load_spec(EXAMPLE)
    sets = {name: example.analysis_sets[name] for name in ("tl_post", "tl_pre", "tl_post_early")}
    endpoints = {name: dataclasses.replace(example.endpoints[name], groups={}) for name in ("pfs2", "os2", "dor2")}
    return dataclasses.replace(example, comparisons={}, analysis_sets=sets, endpoints=endpoints, tables={},
                               figures={})


def test_sets_endpoints_and_flow(registry):
    with pytest.raises(Exception, match="dor2"):  # nobody responded to a first treatment
        derive(registry, _tiny_spec())
    spec = _tiny_spec()
    spec = dataclasses.replace(spec, endpoints={k: v for k, v in spec.endpoints.items() if k != "dor2"})
    derived = derive(registry, spec)
    assert list(derived.sets["tl_post"]) == ["P1", "P2"]  # P4 is second line: out of the cohort
    assert list(derived.sets["tl_pre"]) == ["P5"]
    assert [(step.key, step.n) for step in derived.flow][:4] == [
        ("registry", 5), ("cohort", 4), ("progressed", 3), ("treated", 3)]
    assert derived.flow[1].exclusions[0].count == 1
    assert derived.flow[2].exclusions[0].count == 1  # P5 never progressed
    steps = {step.key: step for step in derived.flow}
    assert steps["tl_post"].parent == "treated" and steps["tl_post"].exclusions[0].count == 1  # P3: R-GEMOX
    assert steps["tl_pre"].exclusions[0].count == 3
    # P1 was treated 69 days after infusion (early failure), P2 273 days after.
    assert list(derived.sets["tl_post_early"]) == ["P1"]
    assert steps["tl_post_early"].parent == "tl_post" and steps["tl_post_early"].exclusions[0].count == 1

    pfs2 = derived.endpoints["pfs2"].data
    os2 = derived.endpoints["os2"].data
    # P1: treated 2021-03-11, died 2021-09-11 (184 days) with no further progression.
    assert pfs2.loc["P1", "time"] == pytest.approx(184 / 30.4375)
    assert bool(pfs2.loc["P1", "event"]) and bool(os2.loc["P1", "event"])
    # P2: treated 2021-10-01, progressed again 2022-01-01 (92 days), alive at 2023-01-01 (457 days).
    assert pfs2.loc["P2", "time"] == pytest.approx(92 / 30.4375) and bool(pfs2.loc["P2", "event"])
    assert os2.loc["P2", "time"] == pytest.approx(457 / 30.4375) and not bool(os2.loc["P2", "event"])

    baseline = derived.baseline
    assert baseline.loc["P1", "age"] == 64  # born 1956-01-02, eligible 2020-11-15
    assert bool(baseline.loc["P1", "early_failure"]) and not bool(baseline.loc["P2", "early_failure"])
    assert bool(baseline.loc["P2", "prior_asct"]) and baseline.loc["P2", "prior_lines"] == 1
    assert baseline.loc["P5", "prior_lines"] == 2


def test_course_after_car_t(registry):
    """Response, toxicity, CD19 windows and the regimen before CAR T, from dates by hand."""
    tables = dict(registry.tables)
    car_t = tables["car_t"].astype({"best_response": "object"})
    car_t.loc[car_t["patient_id"] == "P1", ["best_response", "best_response_date"]] = ["PR", D("2021-01-31")]
    car_t["best_response_date"] = pd.to_datetime(car_t["best_response_date"])
    tables["car_t"] = car_t
    tables["toxicities"] = _table("toxicities", [
        dict(patient_id="P1", crs_grade=3, icans_grade=0, tocilizumab=True, icu_admission=False,
             prolonged_cytopenia=False, infection_grade_3_5=False)] + [dict(patient_id=p) for p in
                                                                        ("P2", "P3", "P4", "P5")])
    tables["biopsies"] = _table("biopsies", [
        dict(patient_id="P1", biopsy_date="2020-12-01", cd19_ihc="negative"),
        dict(patient_id="P1", biopsy_date="2021-03-05", cd19_ihc="positive"),  # after infusion, before treatment
        dict(patient_id="P5", biopsy_date="2020-05-01", cd19_ihc="positive"),  # before the prior TAFA-LEN
    ])
    lines = tables["treatment_lines"].astype({"best_response": "object"})
    second = (lines["patient_id"] == "P2") & (lines["line_number"] == 2)
    lines.loc[second, ["best_response", "best_response_date"]] = ["CR", D("2021-11-01")]
    lines["best_response_date"] = pd.to_datetime(lines["best_response_date"])
    tables["treatment_lines"] = lines
    derived = derive(Registry(tables, registry.source), _tiny_spec())
    baseline = derived.baseline
    assert baseline.loc["P1", "car_t_time_to_response_months"] == pytest.approx(30 / 30.4375)
    assert baseline.loc["P1", "car_t_responder"] is True and baseline.loc["P2", "car_t_responder"] is None
    assert not bool(baseline.loc["P2", "car_t_evaluable"])
    assert baseline.loc["P1", "crs_grade_3_4"] is True and baseline.loc["P1", "icans_any"] is False
    assert baseline.loc["P1", "car_t_toxicity"] is True
    assert baseline.loc["P2", "crs_any"] is None and not bool(baseline.loc["P2", "toxicity_evaluated"])
    assert baseline.loc["P1", ["cd19_before_infusion", "cd19_after_infusion", "cd19_after_first_treatment"]
                        ].tolist() == ["negative", "positive", "none"]
    # P5: TAFA-LEN prior line 2020-06-01 to 2020-09-01 (92 days), infusion 2021-01-01 (122 days later).
    assert baseline.loc["P5", "index_prior_duration_months"] == pytest.approx(92 / 30.4375)
    assert baseline.loc["P5", "index_prior_washout_months"] == pytest.approx(122 / 30.4375)
    assert baseline.loc["P5", "cd19_before_index"] == "positive" and baseline.loc["P5", "cd19_after_index"] == "none"
    # DOR2 of P2: response 2021-11-01, progression 2022-01-01 (61 days); P1 did not respond.
    dor2 = derived.endpoints["dor2"].data
    assert list(dor2.index) == ["P2"] and dor2.loc["P2", "time"] == pytest.approx(61 / 30.4375)


def test_no_patient_leaves_the_flow_without_a_counted_reason():
    """On the example: every step's size is its parent's less the patients excluded, with reasons;
    the first step is every patient of the export."""
    from reportgen.data.load import load_registry
    from reportgen.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parent.parent / "examples" / "tafa-len")
    registry = load_registry(spec.data_path)
    flow = derive(registry, spec).flow
    steps = {step.key: step for step in flow}
    assert flow[0].n == registry["patients"]["patient_id"].nunique()
    for step in flow[1:]:
        assert step.exclusions and all(exclusion.reason for exclusion in step.exclusions), step.key
        assert steps[step.parent].n - step.n == sum(exclusion.count for exclusion in step.exclusions), step.key
