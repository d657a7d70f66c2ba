"""The Cox model against two independent implementations, and its degenerate inputs.

R's coxph is the reference (tests/test_stats_golden_r.py); these cross-checks guard the
hand-written partial likelihood from another side: statsmodels PHReg (no case weights,
both ties) and lifelines CoxPHFitter (case weights, Efron ties only). Both libraries take a
shortcut for Efron's robust variance (score residuals without Efron's tie correction) and
differ from R there by about 1e-3 relative; with Efron ties the robust SEs are checked
against R alone.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter
from statsmodels.duration.hazard_regression import PHReg

from reportgen.stats import cox_hazard_ratio

LUNG = pd.read_csv(Path(__file__).resolve().parent / "golden" / "lung.csv").dropna(subset=["ph_ecog"])
COVARIATES = ["age", "sex", "ph_ecog"]


@pytest.mark.parametrize(("ties", "robust"), [("breslow", False), ("efron", False), ("breslow", True)])
def test_unweighted_matches_statsmodels(ties, robust):
    model = PHReg(LUNG["time"], LUNG[COVARIATES], status=LUNG["event"], ties=ties)
    fit = model.fit(groups=np.arange(len(LUNG))) if robust else model.fit()
    ours = cox_hazard_ratio(LUNG["time"], LUNG["event"], LUNG[COVARIATES], ties=ties, robust=robust)
    np.testing.assert_allclose([t.coef for t in ours.terms], fit.params, rtol=1e-7)
    np.testing.assert_allclose([t.se for t in ours.terms], fit.bse, rtol=1e-6)


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.StatisticalWarning")
def test_weighted_efron_matches_lifelines():
    frame = LUNG[["time", "event", "weight", *COVARIATES]]
    fitter = CoxPHFitter().fit(frame, "time", "event", weights_col="weight")
    ours = cox_hazard_ratio(frame["time"], frame["event"], frame[COVARIATES], weights=frame["weight"], ties="efron")
    np.testing.assert_allclose([t.coef for t in ours.terms], fitter.params_[COVARIATES], rtol=1e-5)
    np.testing.assert_allclose([t.se for t in ours.terms], fitter.standard_errors_[COVARIATES], rtol=1e-5)


def test_integer_weights_equal_repeated_rows_with_breslow_ties():
    """With Breslow ties a weight of k is k identical patients: same estimate and model-based SE.

    Not so with Efron's: copies of a patient become tied events, which R's weighted Efron
    (and ours) does not assume.
    """
    weights = LUNG["int_weight"].to_numpy()
    repeated = LUNG.loc[LUNG.index.repeat(weights)]
    weighted = cox_hazard_ratio(LUNG["time"], LUNG["event"], LUNG[["sex"]], weights=weights)
    expanded = cox_hazard_ratio(repeated["time"], repeated["event"], repeated[["sex"]])
    assert weighted.terms[0].coef == pytest.approx(expanded.terms[0].coef, rel=1e-9)
    assert weighted.terms[0].se == pytest.approx(expanded.terms[0].se, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from(["breslow", "efron"]))
def test_row_order_does_not_matter(random, ties):
    order = list(range(len(LUNG)))
    random.shuffle(order)
    shuffled = LUNG.iloc[order]
    a = cox_hazard_ratio(LUNG["time"], LUNG["event"], LUNG[["sex"]], weights=LUNG["weight"], ties=ties, robust=True)
    b = cox_hazard_ratio(shuffled["time"], shuffled["event"], shuffled[["sex"]], weights=shuffled["weight"],
                         ties=ties, robust=True)
    assert a.terms[0].coef == pytest.approx(b.terms[0].coef, rel=1e-9)
    assert a.terms[0].se == pytest.approx(b.terms[0].se, rel=1e-9)
    assert a.robust_score_statistic == pytest.approx(b.robust_score_statistic, rel=1e-9)


@pytest.mark.parametrize(
    ("time", "event", "group", "message"),
    [
        ([1, 2, 3, 4], [0, 0, 0, 0], [0, 1, 0, 1], "at least one event"),
        ([1, 2, 3, 4], [1, 1, 0, 0], [1, 1, 1, 1], "collinear or constant"),
        ([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0], "did not converge"),
    ],
    ids=["no events", "one group only", "a group without events"],
)
def test_degenerate_inputs_are_clear_errors(time, event, group, message):
    with pytest.raises(ValueError, match=message):
        cox_hazard_ratio(time, event, group)


def test_bad_weights_are_rejected():
    with pytest.raises(ValueError, match="positive finite"):
        cox_hazard_ratio([1, 2, 3], [1, 0, 1], [0, 1, 0], weights=[1.0, 0.0, 2.0])


def _textbook_score_residuals(time, event, x, weight, beta):
    """Lin and Wei's (1989) weighted score residuals with Breslow ties, the quadratic way: an
    n x n at-risk matrix (patient k at risk at patient j's time), nothing cumulative."""
    risk = weight * np.exp(x @ beta)
    at_risk = time[None, :] >= time[:, None]                  # [j, k]: k at risk at t_j
    s0 = at_risk @ risk
    mean = (at_risk @ (risk[:, None] * x)) / s0[:, None]      # x-bar(t_j)
    own = event[:, None] * (x - mean)                         # dN_i: x_i - x-bar(t_i)
    hazard = event * weight / s0                              # each event's step dLambda(t_j)
    exposure = at_risk.T * hazard[None, :] * np.exp(x @ beta)[:, None]  # [i, j]: Y_i(t_j) r_i dLambda(t_j)
    compensator = exposure.sum(axis=1)[:, None] * x - exposure @ mean
    second = np.einsum("jk,k,ka,kb->jab", at_risk, risk, x, x) / s0[:, None, None]
    information = np.einsum("j,jab->ab", event * weight, second - mean[:, :, None] * mean[:, None, :])
    return own - compensator, information


@pytest.mark.parametrize("tied", [False, True], ids=["continuous times", "tied times"])
def test_robust_variance_and_score_test_match_the_quadratic_textbook_formulas(tied):
    """The sandwich variance D'D, D = w U I^-1, and the robust score test u'(D0'D0)^-1 u at b = 0
    (as R coxph(robust = TRUE) defines them), with U from an n x n at-risk matrix; the model
    computes them with cumulative sums, in O(n log n)."""
    rng = np.random.default_rng(11)
    n = 80
    x = np.column_stack([rng.random(n) < 0.5, rng.normal(60, 10, n)]).astype(float)
    time = rng.exponential(10 * np.exp(-0.4 * x[:, 0]))
    censor = rng.exponential(15, n)
    event = (time <= censor).astype(float)
    time = np.minimum(time, censor)
    if tied:
        time = np.ceil(time)
    weight = rng.uniform(0.3, 3.0, n)
    result = cox_hazard_ratio(time, event, pd.DataFrame(x, columns=["group", "age"]), weights=weight, robust=True)
    beta = np.array([term.coef for term in result.terms])

    residuals, information = _textbook_score_residuals(time, event, x, weight, beta)
    np.testing.assert_allclose(weight @ residuals, 0.0, atol=1e-9)  # the fitted b solves the score equation
    dfbeta = (weight[:, None] * residuals) @ np.linalg.inv(information)
    np.testing.assert_allclose([term.se for term in result.terms], np.sqrt(np.diag(dfbeta.T @ dfbeta)), rtol=1e-10)

    residuals0, _ = _textbook_score_residuals(time, event, x, weight, np.zeros(2))
    scores0 = weight[:, None] * residuals0
    u = scores0.sum(axis=0)
    assert result.robust_score_statistic == pytest.approx(u @ np.linalg.solve(scores0.T @ scores0, u), rel=1e-10)
