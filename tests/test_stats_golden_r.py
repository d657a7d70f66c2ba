"""reportgen.stats against golden values from R's survival package (tests/golden/golden.R).

Each golden record quotes the R call that produced it. Tolerances: 1e-6 relative on
estimates and confidence limits, 1e-4 absolute on P values. R is not needed here:
the JSON is committed and golden.R regenerates it.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from reportgen.stats import cox_hazard_ratio, kaplan_meier, logrank_test, median_follow_up

GOLDEN = Path(__file__).resolve().parent / "golden"
EXPECTED = json.loads((GOLDEN / "survival.json").read_text(encoding="utf-8"))
REL = 1e-6


WEIGHT_COLUMNS = {"lung_weighted": "weight", "lung_int_weighted": "int_weight"}


def dataset(name: str) -> pd.DataFrame:
    if name in WEIGHT_COLUMNS:
        return pd.read_csv(GOLDEN / "lung.csv")
    if name.startswith("example_"):
        frame = pd.read_csv(GOLDEN / "example_endpoints.csv")
        return frame[frame["endpoint"] == name.removeprefix("example_")]
    return pd.read_csv(GOLDEN / f"{name}.csv")


def close(actual, expected, rel=REL):
    if expected is None:
        return actual is None
    return actual is not None and actual == pytest.approx(expected, rel=rel, abs=1e-12)


KM_CASES = [c for c in EXPECTED["kaplan_meier"] if c["conf_type"] != "follow-up"]
FOLLOW_UP_CASES = [c for c in EXPECTED["kaplan_meier"] if c["conf_type"] == "follow-up"]


@pytest.mark.parametrize("case", KM_CASES, ids=lambda c: c["call"])
def test_kaplan_meier_curve_quantiles_and_landmarks(case):
    data = dataset(case["dataset"])
    weights = data[WEIGHT_COLUMNS[case["dataset"]]] if case["dataset"] in WEIGHT_COLUMNS else None
    km = kaplan_meier(data["time"], data["event"], weights=weights, conf_type=case["conf_type"])
    assert km.time == pytest.approx(case["time"], rel=REL)
    assert km.survival == pytest.approx(case["survival"], rel=REL)
    assert km.n_risk == pytest.approx(case["n_risk"], rel=REL)  # weighted sums when weighted
    for ours, theirs in zip(km.lower, case["lower"]):
        assert close(ours, theirs)
    for ours, theirs in zip(km.upper, case["upper"]):
        assert close(ours, theirs)
    for q in case["quantiles"]:
        estimate = km.quantile(q["p"])
        assert close(estimate.estimate, q["estimate"]), q
        assert close(estimate.lower, q["lower"]), q
        assert close(estimate.upper, q["upper"]), q
    for landmark in case["landmarks"]:
        at = km.survival_at(landmark["time"])
        assert close(at.survival, landmark["survival"]), landmark
        assert close(at.lower, landmark["lower"]), landmark
        assert close(at.upper, landmark["upper"]), landmark
        if not case["weighted"]:  # R reports weighted sums; ours is the number of patients
            assert at.n_risk == landmark["n_risk"], landmark


@pytest.mark.parametrize("case", FOLLOW_UP_CASES, ids=lambda c: c["call"])
def test_median_follow_up_by_reverse_kaplan_meier(case):
    data = dataset(case["dataset"])
    follow_up = median_follow_up(data["time"], data["event"])
    assert close(follow_up.estimate, case["estimate"])
    assert close(follow_up.lower, case["lower"])
    assert close(follow_up.upper, case["upper"])


@pytest.mark.parametrize("case", EXPECTED["logrank"], ids=lambda c: c["name"])
def test_logrank_matches_survdiff(case):
    data = dataset(case["dataset"])
    if case.get("subset") == "ph_ecog < 3":
        data = data[data["ph_ecog"].notna() & (data["ph_ecog"] < 3)]
    strata = data[case["strata"]] if case.get("strata") else None
    result = logrank_test(data["time"], data["event"], data[case["group"]], strata=strata)
    assert result.statistic == pytest.approx(case["statistic"], rel=REL)
    assert result.df == case["df"]
    assert result.p == pytest.approx(case["p"], abs=1e-4)


@pytest.mark.parametrize("case", EXPECTED["cox"], ids=lambda c: c["call"])
def test_cox_matches_coxph(case):
    data = dataset(case["dataset"])
    data = data.dropna(subset=case["covariates"])
    weights = data[case["weights"]] if case.get("weights") else None
    result = cox_hazard_ratio(data["time"], data["event"], data[case["covariates"]], ties=case["ties"],
                              weights=weights, robust=case["robust"])
    for i, term in enumerate(result.terms):
        assert term.coef == pytest.approx(case["coef"][i], rel=REL)
        assert term.hazard_ratio == pytest.approx(case["hr"][i], rel=REL)
        assert term.se == pytest.approx(case["se"][i], rel=REL)
        assert term.lower == pytest.approx(case["lower"][i], rel=REL)
        assert term.upper == pytest.approx(case["upper"][i], rel=REL)
        assert term.p == pytest.approx(case["wald_p"][i], abs=1e-4)
    assert result.lr_statistic == pytest.approx(case["lr_statistic"], rel=REL)
    assert result.lr_p == pytest.approx(case["lr_p"], abs=1e-4)
    assert result.score_statistic == pytest.approx(case["score_statistic"], rel=REL)
    assert result.score_p == pytest.approx(case["score_p"], abs=1e-4)
    assert result.wald_statistic == pytest.approx(case["wald_statistic"], rel=REL)
    assert result.wald_p == pytest.approx(case["wald_test_p"], abs=1e-4)
    if case["robust"]:
        assert result.robust_score_statistic == pytest.approx(case["robust_score_statistic"], rel=REL)
        assert result.robust_score_p == pytest.approx(case["robust_score_p"], abs=1e-4)
    else:
        assert result.robust_score_statistic is None
