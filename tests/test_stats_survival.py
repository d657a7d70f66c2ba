"""Kaplan-Meier: estimates, CIs and medians pinned to R's survival package.

Expected values from R 4.x, survival package, on the `aml` data (ties and censoring):
    library(survival)
    f <- survfit(Surv(time, status) ~ 1, data = aml, conf.type = "log-log")
    quantile(f, 0.5); summary(f)
"""

import math

import numpy as np
import pytest

from reportgen.stats import kaplan_meier, median_follow_up

AML_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_EVENT = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]


@pytest.mark.parametrize(
    "conf_type, expected",
    [
        # quantile(survfit(Surv(time, status) ~ 1, data = aml, conf.type = ...), 0.5)
        ("log-log", (27, 13, 34)),
        ("log", (27, 18, 48)),  # R's rule on a non-monotone upper band gives 48, not 45
        ("plain", (27, 18, 34)),
    ],
)
def test_median_and_ci_match_r(conf_type, expected):
    median = kaplan_meier(AML_TIME, AML_EVENT, conf_type=conf_type).median
    assert (median.estimate, median.lower, median.upper) == expected


def test_log_log_limits_match_r_summary():
    # summary(survfit(..., conf.type = "log-log")): lower/upper at times 5, 8, 9 and 48
    km = kaplan_meier(AML_TIME, AML_EVENT)
    at = {t: i for i, t in enumerate(km.time)}
    assert km.lower[at[5]] == pytest.approx(0.6949475375, rel=1e-6)
    assert km.survival[at[8]] == pytest.approx(0.8260869565, rel=1e-9)
    assert km.lower[at[8]] == pytest.approx(0.60061, rel=1e-4)
    assert km.upper[at[8]] == pytest.approx(0.931, rel=1e-3)
    assert km.lower[at[48]] == pytest.approx(0.00696, rel=1e-3)
    assert km.upper[at[48]] == pytest.approx(0.287, rel=1e-3)


def test_quartiles_match_r():
    # quantile(f, c(.25, .75)): 12 (5-23) and 43 (30-NA)
    km = kaplan_meier(AML_TIME, AML_EVENT)
    q1, q3 = km.quantile(0.25), km.quantile(0.75)
    assert (q1.estimate, q1.lower, q1.upper) == (12, 5, 23)
    assert (q3.estimate, q3.lower, q3.upper) == (43, 30, None)


def test_reverse_km_follow_up_matches_r():
    # quantile(survfit(Surv(time, 1 - status) ~ 1, data = aml, conf.type = "log-log"), .5): 161 (28-NA)
    follow_up = median_follow_up(AML_TIME, AML_EVENT)
    assert (follow_up.estimate, follow_up.lower, follow_up.upper) == (161, 28, None)


def test_median_midpoint_on_a_flat_half():
    # Survival is exactly 0.5 from time 2 to 3: survfit takes the midpoint, 2.5.
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert km.median.estimate == 2.5


def test_number_at_risk_counts_times_at_or_after_t():
    km = kaplan_meier([1, 2, 2, 3, 5], [1, 0, 1, 1, 0])
    assert [km.at_risk(t) for t in (0, 2, 2.5, 5, 6)] == [5, 4, 2, 1, 0]


def test_no_events_gives_defined_results():
    km = kaplan_meier([1, 2, 3], [0, 0, 0])
    assert km.events == 0
    assert km.median.estimate is None and km.median.lower is None and km.median.upper is None
    assert all(s == 1.0 for s in km.survival)
    assert km.survival_at(2).lower is None  # log-log at S = 1 is undefined: R prints NA


def test_all_events_reach_zero_with_undefined_limits():
    km = kaplan_meier([1, 2, 3], [1, 1, 1])
    assert km.survival[-1] == 0.0
    assert km.lower[-1] is None and km.upper[-1] is None
    assert km.median.estimate == 2


def test_one_patient():
    km = kaplan_meier([4.0], [1])
    assert km.n == 1 and km.survival == (0.0,)
    assert km.median.estimate == 4.0


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match="negative"):
        kaplan_meier([-1, 2], [1, 1])
    with pytest.raises(ValueError, match="conf_type"):
        kaplan_meier([1, 2], [1, 1], conf_type="arcsine")
    with pytest.raises(ValueError, match="missing"):
        kaplan_meier([1, math.nan], [1, 1])


def test_row_order_does_not_matter():
    rng = np.random.default_rng(1)
    order = rng.permutation(len(AML_TIME))
    shuffled = kaplan_meier(np.asarray(AML_TIME)[order], np.asarray(AML_EVENT)[order])
    assert shuffled.survival == kaplan_meier(AML_TIME, AML_EVENT).survival


def test_weighted_curve_reaches_zero_when_the_last_patients_all_have_the_event():
    """R: survfit(Surv(c(1, 2, 3), c(1, 0, 1)) ~ 1, weights = c(0.5, 1.5, 0.7))$surv = 0.8148148 0.8148148 0."""
    km = kaplan_meier([1, 2, 3], [1, 0, 1], weights=[0.5, 1.5, 0.7])
    assert km.survival == pytest.approx((0.8148148148, 0.8148148148, 0.0))


def _day_times_and_weights(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    time = np.ceil(rng.exponential(300, n)) / 30.4375  # whole days in months: many ties
    return time, rng.random(n) < 0.7, rng.uniform(0.2, 4.0, n)


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.StatisticalWarning")
@pytest.mark.parametrize("weighted", [False, True])
def test_event_table_is_lifelines_bit_for_bit(weighted):
    """The table is computed as lifelines' survival table is (compensated group sums), so the
    numbers, and every result built on them, are exactly those of lifelines' fitter."""
    from lifelines import KaplanMeierFitter

    time, event, weight = _day_times_and_weights(3000, 5)
    time[:3] = 0.0  # events and censorings at time 0 too
    weights = weight if weighted else None
    km = kaplan_meier(time, event, weights=weights)
    table = KaplanMeierFitter().fit(time, event, weights=weights).event_table
    table = table[table["removed"] > 0]
    assert km.time == tuple(table.index.to_numpy(dtype=float).tolist())
    assert km.n_risk == tuple(table["at_risk"].tolist())
    assert km.n_event == tuple(table["observed"].tolist())
    assert km.n_censor == tuple((table["removed"] - table["observed"]).tolist())


@pytest.mark.parametrize("tied", [False, True], ids=["continuous times", "tied times"])
def test_weighted_standard_error_matches_the_quadratic_influence_formula(tied):
    """The infinitesimal jackknife variance of log S(t), sum_i (w_i U_i(t))^2, with U_i(t) summed over
    an n x event-times matrix; the estimate computes it with cumulative sums instead."""
    rng = np.random.default_rng(3)
    n = 200
    time = rng.exponential(10, n)
    if tied:
        time = np.ceil(time)
    event = rng.random(n) < 0.7
    event[np.argmax(time)] = False  # the curve stays above 0, so every standard error is finite
    weight = rng.uniform(0.2, 4.0, n)
    km = kaplan_meier(time, event, weights=weight)

    times = np.asarray(km.time)
    at_risk = (time[:, None] >= times[None, :]) * weight[:, None]           # [i, s]: w_i Y_i(s)
    dies = ((time[:, None] == times[None, :]) & event[:, None]) * weight[:, None]
    y, d = at_risk.sum(axis=0), dies.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(d > 0, -(dies * y - d * at_risk) / (y * (y - d)), 0.0)  # w_i dU_i(s)
    influence = np.cumsum(step, axis=1)                                       # [i, t]: w_i U_i(t)
    np.testing.assert_allclose(km.std_err, np.sqrt((influence ** 2).sum(axis=0)), rtol=1e-10, atol=1e-15)


def test_number_at_risk_counts_patients_at_or_after_t_at_scale():
    time, event, _ = _day_times_and_weights(5000, 9)
    km = kaplan_meier(time, event)
    for t in (0.0, float(time[17]), 3.0, 12.5, float(time.max()), float(time.max()) + 1):
        assert km.at_risk(t) == int(np.sum(time >= t))


def test_infinite_time_is_an_error():
    with pytest.raises(ValueError, match="finite"):
        kaplan_meier([1.0, math.inf], [1, 0])
