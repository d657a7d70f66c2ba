"""Analysis-ready data (``data.form: patients``): a whole report from a spec alone, checked against R.

The study is examples/gbsg2: the public GBSG-2 trial data as the lifelines package ships them,
one row per patient. Its numbers are compared with R's survival package
(tests/golden/golden_ready.R → ready.json); the same data in the ADaM ADTTE shape, or with
dates instead of times, must give the same results.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docx
import pandas as pd
import pytest
from lifelines.datasets import load_gbsg2
from tableone import TableOne

import lifelines.datasets
from reportgen.build import build
from reportgen.errors import AnalysisError, DataValidationError, SpecError
from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "examples" / "gbsg2"
GOLDEN = ROOT / "tests" / "golden"
LIFELINES_FILE = Path(lifelines.datasets.__file__).parent / "gbsg2.csv"
R = json.loads((GOLDEN / "ready.json").read_text())
TOLERANCE = dict(rel=1e-9, abs=1e-12)


def gbsg2_study(folder: Path, spec_edit=lambda text: text, data: dict[str, pd.DataFrame] | None = None) -> Path:
    """The example copied into ``folder`` with lifelines' data file in ``data/`` (or the frames of
    ``data``, written as CSV), its spec passed through ``spec_edit``."""
    study = folder / "gbsg2"
    shutil.copytree(STUDY, study, ignore=shutil.ignore_patterns("output", ".reportgen-cache", "data"))
    (study / "data").mkdir()
    if data is None:
        shutil.copy(LIFELINES_FILE, study / "data" / "gbsg2.csv")
    for name, frame in (data or {}).items():
        frame.to_csv(study / "data" / f"{name}.csv", index=False)
    spec = study / "study.yaml"
    spec.write_text(spec_edit(spec.read_text(encoding="utf-8")), encoding="utf-8")
    return study


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    study = gbsg2_study(tmp_path_factory.mktemp("ready"))
    return build(study, study / "output", workers=1, cache=False).folder


def results_of(folder: Path) -> dict[str, dict]:
    """A build's results.json as records by key."""
    return {record["key"]: record for record in json.loads((folder / "results.json").read_text())["results"]}


@pytest.fixture(scope="module")
def results(built) -> dict:
    return results_of(built)


def test_the_golden_file_is_the_one_lifelines_ships():
    assert (GOLDEN / "gbsg2.csv").read_bytes() == LIFELINES_FILE.read_bytes()


def test_the_report_is_built_from_the_spec_alone(built):
    names = {path.name for path in built.iterdir()}
    assert {"report.pdf", "report.docx", "results.json", "provenance.json"} <= names
    document = docx.Document(str(built / "report.docx"))
    assert len(document.tables) == 3 and len(document.inline_shapes) == 2  # Table 1, balance, outcomes; 2 figures
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "686 women" in text and "hazard ratio 0.69 [0.54-0.89]" in text


@pytest.mark.parametrize("group", ["all", "no_hormonal", "hormonal"])
def test_kaplan_meier_agrees_with_r(results, group):
    expected = R[group]
    key = "rfs" if group == "all" else f"rfs.{group}"
    assert results[f"{key}.n"]["value"] == expected["n"]
    assert results[f"{key}.events"]["value"] == expected["events"]
    for name in ("median", "follow_up"):
        record = results[f"{key}.{name}"]
        golden = {part: expected[name][part] or None for part in ("estimate", "lower", "upper")}  # NA: {} in R's JSON
        assert (record["value"], record["lower"]) == pytest.approx((golden["estimate"], golden["lower"]), **TOLERANCE)
        assert record["upper"] == (golden["upper"] and pytest.approx(golden["upper"], **TOLERANCE))
    if group == "all":
        for t in (36, 60):
            record, golden = results[f"rfs.landmark.{t}"], expected[f"landmark_{t}"]
            assert (record["value"], record["lower"], record["upper"]) == pytest.approx(
                (golden["estimate"], golden["lower"], golden["upper"]), **TOLERANCE)
        assert results["rfs.at_risk.24"]["value"] == expected["at_risk_24"]


def test_log_rank_and_cox_hazard_ratio_agree_with_r(results):
    expected = R["therapy"]
    assert results["rfs.therapy.p"]["value"] == pytest.approx(expected["logrank_p"], rel=1e-7)
    hr = results["rfs.therapy.hr"]
    assert (hr["value"], hr["lower"], hr["upper"]) == pytest.approx(
        (expected["hr"], expected["hr_lower"], expected["hr_upper"]), rel=1e-7)
    assert hr["params"] == {"group": "hormonal", "reference": "no_hormonal"}
    assert results["rfs.therapy.hr.p"]["value"] == pytest.approx(expected["hr_p"], rel=1e-6)


def test_the_weighted_comparison_agrees_with_r(results):
    """comparisons.hormonal: stabilized ATE weights from a logistic propensity score (R glm), the weighted
    Cox model with robust variance and its robust score test (coxph), weighted Kaplan-Meier medians (survfit)."""
    expected = R["weighted"]
    hr = results["hormonal.rfs.hr"]
    assert (hr["value"], hr["lower"], hr["upper"]) == pytest.approx(
        (expected["hr"], expected["hr_lower"], expected["hr_upper"]), rel=1e-7)
    assert results["hormonal.rfs.p"]["value"] == pytest.approx(expected["robust_score_p"], rel=1e-6)
    for arm, golden in (("treated", expected["treated"]), ("control", expected["control"])):
        median = results[f"hormonal.rfs.{arm}.median"]
        assert (median["value"], median["lower"]) == pytest.approx(
            (golden["median"]["estimate"], golden["median"]["lower"]), rel=1e-7)
        upper = golden["median"]["upper"] or None  # NA: {} in R's JSON
        assert median["upper"] == (upper and pytest.approx(upper, rel=1e-7))
        assert results[f"hormonal.weights.{arm}.effective_n"]["value"] == pytest.approx(golden["effective_n"], rel=1e-7)
    assert "hormonal.response.orr.treated" not in results  # no first treatment response in these data


@pytest.mark.parametrize("group", ["all", "no_hormonal", "hormonal"])
def test_table1_quartiles_and_rate_agree_with_r(results, group):
    expected = R[group]
    assert [results[f"{group}.age.{q}"]["value"] for q in ("q1", "median", "q3")] == expected["age"]
    rate = results[f"{group}.grade.grade_iii.ci"]
    assert results[f"{group}.grade.grade_iii"]["value"] == expected["grade_iii"]
    assert (rate["lower"], rate["upper"]) == pytest.approx(tuple(expected["grade_iii_ci"]), **TOLERANCE)


def test_table1_counts_and_percentages_agree_with_tableone(results):
    data = load_gbsg2()
    table = TableOne(data, columns=["menostat", "tgrade"], categorical=["menostat", "tgrade"],
                     groupby="horTh", pval=False)
    checked = 0
    for (variable, code), row in table.tableone.iterrows():
        name = variable.split(",")[0]
        if name not in ("menostat", "tgrade"):
            continue
        spec_name, label = {"menostat": ("menopause", {"Pre": "premenopausal", "Post": "postmenopausal"}),
                            "tgrade": ("grade", {"I": "i", "II": "ii", "III": "iii"})}[name]
        for group, column in (("no_hormonal", "no"), ("hormonal", "yes")):
            count, percent = row[("Grouped by horTh", column)].replace("(", "").replace(")", "").split()
            record = results[f"{group}.{spec_name}.{label[code]}"]
            assert record["value"] == int(count)
            assert round(100 * record["value"] / record["n"], 1) == float(percent)
            checked += 1
    assert checked == 10


def _adtte(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """GBSG-2 as an ADaM ADSL-like patients file and an ADTTE file (RFS in days, censoring flag CNSR)."""
    patients = data.drop(columns=["time", "cens"]).assign(USUBJID=[f"GBSG-{i:04d}" for i in range(len(data))])
    adtte = pd.DataFrame({"USUBJID": patients["USUBJID"], "PARAMCD": "RFS", "PARAM": "Recurrence-free survival",
                          "AVAL": data["time"], "AVALU": "DAYS", "CNSR": 1 - data["cens"]})
    return {"gbsg2": patients, "adtte": adtte}


def _rfs_records(results: dict) -> dict:
    return {key: record for key, record in results.items() if key.startswith("rfs.")}


def test_adtte_rows_give_the_same_results(tmp_path, results):
    study = gbsg2_study(tmp_path, lambda text: text.replace("    time: time\n    event: cens\n",
                                                             "    paramcd: RFS\n"), _adtte(load_gbsg2()))
    out = build(study, study / "output", workers=1, cache=False).folder
    assert _rfs_records(results_of(out)) == _rfs_records(results)


def test_dates_give_the_same_results(tmp_path, results):
    data = load_gbsg2()
    start = pd.Series(pd.Timestamp("1984-07-01") + pd.to_timedelta(data.index % 365, unit="D"), index=data.index)
    dated = data.drop(columns=["time"]).assign(randomised=start.dt.strftime("%Y-%m-%d"),
                                               last_seen=(start + pd.to_timedelta(data["time"], unit="D"))
                                               .dt.strftime("%Y-%m-%d"))
    study = gbsg2_study(tmp_path, lambda text: text.replace("    time: time\n", "    origin: randomised\n"
                                                                                "    end: last_seen\n"),
                        {"gbsg2": dated})
    out = build(study, study / "output", workers=1, cache=False).folder
    assert _rfs_records(results_of(out)) == _rfs_records(results)


def _failure(tmp_path: Path, data: pd.DataFrame, spec_edit=lambda text: text) -> str:
    study = gbsg2_study(tmp_path, spec_edit, {"gbsg2": data})
    with pytest.raises(DataValidationError) as raised:
        build(study, tmp_path / "out", workers=1, cache=False)
    return str(raised.value)


def test_a_bad_value_names_the_file_the_patient_and_the_column(tmp_path):
    data = load_gbsg2().astype({"time": object, "cens": object})
    data.loc[3, "time"] = "12O"
    data.loc[7, "cens"] = "dead"
    message = _failure(tmp_path, data)
    assert "gbsg2.csv" in message and "patient 4" in message and "time" in message and "'12O'" in message
    assert "patient 8" in message and "cens" in message and "not a flag" in message
    assert not (tmp_path / "out").exists()


def test_a_missing_column_names_what_uses_it(tmp_path):
    message = _failure(tmp_path, load_gbsg2().drop(columns=["tsize"]))
    assert "tsize" in message and "variables.tumour_size" in message


def test_a_repeated_patient_id_and_a_negative_time_are_errors(tmp_path):
    data = load_gbsg2().assign(patient_id=[f"P{i}" for i in range(686)])
    data.loc[5, "patient_id"] = "P4"
    data.loc[9, "time"] = -3
    message = _failure(tmp_path, data)
    assert "patient P4" in message and "2 rows" in message
    assert "patient P9" in message and "negative" in message


def test_a_patient_without_a_time_is_named(tmp_path):
    data = load_gbsg2().astype({"time": object})
    data.loc[2, "time"] = "NA"
    study = gbsg2_study(tmp_path, data={"gbsg2": data})
    with pytest.raises(AnalysisError, match=r"endpoint 'rfs': no time value for patient\(s\) 3"):
        build(study, tmp_path / "out", workers=1, cache=False)


def test_event_values_name_the_codes_of_an_event(tmp_path, results):
    data = load_gbsg2().assign(status=lambda d: d["cens"] + 1)  # 1 censored, 2 recurrence: R's lung coding
    study = gbsg2_study(tmp_path, lambda text: text.replace("event: cens", "event: status\n    event_values: [2]"),
                        {"gbsg2": data})
    out = build(study, study / "output", workers=1, cache=False).folder
    assert _rfs_records(results_of(out)) == _rfs_records(results)


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace("    time: time\n", "    kind: os\n    time: time\n"), r"endpoints\.rfs\.kind: only for"),
    (lambda text: text.replace("    event: cens\n", ""), r"endpoints\.rfs: give time and event"),
    (lambda text: text.replace("rule: all}", "rule: treated_before_car_t, regimen: X}"),
     r"analysis_sets\.all\.rule: 'treated_before_car_t' needs a registry export"),
    (lambda text: text.replace("time_unit: days", "time_unit: fortnights"), r"data\.time_unit: 'fortnights'"),
    (lambda text: text.replace('treated: {label: "Hormonal therapy", where: "hormonal_therapy = yes"}',
                               'treated: {label: "Hormonal therapy", regimens: [TAM]}'),
     r"comparisons\.hormonal\.treated: from analysis-ready data, an arm is a where condition"),
    (lambda text: text.replace("    set: all\n    treated:", "    treated:"), r"comparisons\.hormonal\.set: analysis-ready"),
])
def test_spec_mistakes_of_the_analysis_ready_form(tmp_path, edit, message):
    study = gbsg2_study(tmp_path, edit)
    with pytest.raises(SpecError, match=message):
        load_spec(study)


def test_yes_and_no_stay_level_codes_in_the_spec(tmp_path):
    spec = load_spec(gbsg2_study(tmp_path))
    assert spec.variables["hormonal_therapy"].levels == {"no": "No", "yes": "Yes"}
    assert spec.study.synthetic is False
