"""Propensity weighting against R (glm, survfit, coxph, survey) on the rotterdam data.

Golden values from tests/golden/golden_weighting.R (R's survival and survey packages);
`hormon` is strongly confounded by age, menopause, tumour size, grade and nodes. The R
script's header records where the survival and survey conventions differ; we follow the
survival package (survfit's infinitesimal-jackknife KM, coxph's robust variance) and use
survey for the design-based response statistics (svyciprop, svychisq), where they agree
with it to 1e-6.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen import stats

GOLDEN = Path(__file__).resolve().parent / "golden"
EXPECTED = json.loads((GOLDEN / "weighting.json").read_text(encoding="utf-8"))
DATA = pd.read_csv(GOLDEN / "rotterdam.csv")
TREATED = DATA["hormon"].to_numpy() == 1
REL = 1e-6
SCHEMES = {"ate_stabilized": {}, "ate": {"stabilized": False}, "att": {"estimand": "ATT"},
           "ate_stabilized_truncated_1_99": {"truncate": (1, 99)}}


def covariates() -> pd.DataFrame:
    return pd.DataFrame({
        "age": DATA["age"], "meno": DATA["meno"],
        "size": pd.Categorical(DATA["size"], categories=["<=20", "20-50", ">50"]),
        "grade": DATA["grade"], "nodes": DATA["nodes"],
    })


def weights(scheme: str) -> stats.PropensityWeights:
    return stats.propensity_weights(TREATED, covariates(), **SCHEMES[scheme])


def test_propensity_model_matches_glm():
    fitted = dict(weights("ate_stabilized").coefficients)
    for coefficient in EXPECTED["propensity"]["coefficients"]:
        name = coefficient["name"].replace("size20-50", "size[20-50]").replace("size>50", "size[>50]")
        assert fitted[name] == pytest.approx(coefficient["estimate"], rel=REL)
    scores = weights("ate_stabilized").score
    np.testing.assert_allclose(scores[:10], EXPECTED["propensity"]["first_scores"], rtol=REL)
    assert scores.mean() == pytest.approx(EXPECTED["propensity"]["mean_score"], rel=REL)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_weights_and_summaries(scheme):
    expected = EXPECTED["weights"][scheme]
    result = weights(scheme)
    np.testing.assert_allclose(result.weight[:10], expected["first"], rtol=REL)
    if expected["lower"] is not None:
        assert result.limits == pytest.approx((expected["lower"], expected["upper"]), rel=REL)
    for summary in result.summaries:
        group = expected["groups"][summary.group]
        assert summary.n == group["n"]
        for ours, theirs in (("min", "min"), ("max", "max"), ("mean", "mean"), ("sum", "sum"), ("effective_n", "ess")):
            assert getattr(summary, ours) == pytest.approx(group[theirs], rel=REL)


@pytest.mark.parametrize("scheme", ["none", *SCHEMES])
def test_standardized_mean_differences(scheme):
    frame = covariates().assign(grade=DATA["grade"] == 3)  # R reports grade as the grade-3 indicator
    w = None if scheme == "none" else weights(scheme).weight
    ours = {(d.variable, d.level): d for d in stats.standardized_mean_differences(frame, TREATED, w)}
    for expected in EXPECTED["smd"][scheme]:
        level = expected["level"] if expected["variable"] == "size" else None
        difference = ours[(expected["variable"], level)]
        assert difference.smd == pytest.approx(expected["smd"], rel=REL)
        assert difference.treated_mean == pytest.approx(expected["treated_mean"], rel=REL)
        assert difference.control_mean == pytest.approx(expected["control_mean"], rel=REL)


def _close(actual, expected):
    return actual is None if expected is None else actual == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize("weighted", [True, False], ids=["weighted", "unweighted"])
def test_kaplan_meier_by_group_matches_survfit(weighted):
    expected = EXPECTED["survfit_weighted" if weighted else "survfit_unweighted"]["groups"]
    w = weights("ate_stabilized").weight
    for group, members in (("treated", TREATED), ("control", ~TREATED)):
        km = stats.kaplan_meier(DATA.loc[members, "time_months"], DATA.loc[members, "death"],
                                weights=w[members] if weighted else None)
        golden = expected[group]
        np.testing.assert_allclose(km.survival, golden["curve"]["surv"], rtol=REL)
        assert all(_close(a, b) for a, b in zip(km.lower, golden["curve"]["lower"]))
        assert all(_close(a, b) for a, b in zip(km.upper, golden["curve"]["upper"]))
        for quantile in golden["quantiles"]:
            estimate = km.quantile(quantile["p"])
            assert _close(estimate.estimate, quantile["estimate"])
            assert _close(estimate.lower, quantile["lower"]) and _close(estimate.upper, quantile["upper"])
        for landmark in golden["landmarks"]:
            at = km.survival_at(landmark["time"])
            assert at.survival == pytest.approx(landmark["survival"], rel=REL)
            assert _close(at.lower, landmark["lower"]) and _close(at.upper, landmark["upper"])


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_weighted_cox_matches_coxph_robust(ties):
    expected = EXPECTED["coxph"][ties]
    result = stats.cox_hazard_ratio(DATA["time_months"], DATA["death"], DATA["hormon"].astype(float),
                                    weights=weights("ate_stabilized").weight, ties=ties, robust=True)
    term = result.terms[0]
    assert term.coef == pytest.approx(expected["coef"], rel=REL)
    assert term.se == pytest.approx(expected["se"], rel=REL)
    assert (term.lower, term.upper) == pytest.approx((expected["lower"], expected["upper"]), rel=REL)
    assert term.p == pytest.approx(expected["wald_p"], abs=1e-4)
    assert result.robust_score_statistic == pytest.approx(expected["robust_score_statistic"], rel=REL)
    assert result.robust_score_p == pytest.approx(expected["robust_score_p"], abs=1e-4)
    assert result.score_statistic == pytest.approx(expected["score_statistic"], rel=REL)
    assert result.lr_statistic == pytest.approx(expected["lr_statistic"], rel=REL)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_svycoxph_differs_from_coxph_robust_by_the_design_factor(ties):
    """The documented difference: survey's SE is coxph's robust SE times sqrt(n / (n - 1))."""
    n = EXPECTED["n"]
    assert EXPECTED["svycoxph"][ties]["coef"] == pytest.approx(EXPECTED["coxph"][ties]["coef"], rel=1e-12)
    ratio = EXPECTED["svycoxph"][ties]["se"] / EXPECTED["coxph"][ties]["se"]
    assert ratio == pytest.approx(np.sqrt(n / (n - 1)), rel=1e-9)


@pytest.mark.parametrize("scheme", ["ate_stabilized", "att"])
def test_weighted_response_rates_and_rao_scott(scheme):
    expected = EXPECTED["proportions"][scheme]
    w = weights(scheme).weight
    recur = DATA["recur"].to_numpy()
    for group, members in (("treated", TREATED), ("control", ~TREATED)):
        rate = stats.weighted_proportion(recur, w, domain=members)
        golden = expected["svyciprop_beta"][group]
        assert rate.proportion == pytest.approx(golden["estimate"], rel=REL)
        assert (rate.lower, rate.upper) == pytest.approx((golden["lower"], golden["upper"]), rel=REL)
        assert rate.se == pytest.approx(expected["svymean"][group]["se"], rel=REL)
    test = stats.rao_scott_test(recur, DATA["hormon"], w)
    golden = expected["svychisq_f"]
    assert test.statistic == pytest.approx(golden["statistic"], rel=REL)
    assert (test.ndf, test.ddf) == pytest.approx((golden["ndf"], golden["ddf"]), rel=REL)
    assert test.p == pytest.approx(golden["p"], abs=1e-4)
