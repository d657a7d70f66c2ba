"""Properties of the survival statistics that must hold for any data (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.stats import cox_hazard_ratio, kaplan_meier, logrank_test, proportion_ci

times = st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=40)


@st.composite
def survival_data(draw):
    t = draw(times)
    e = draw(st.lists(st.booleans(), min_size=len(t), max_size=len(t)))
    return np.asarray(t, dtype=float), np.asarray(e)


@settings(max_examples=80, deadline=None)
@given(survival_data(), st.sampled_from(["log-log", "log", "plain"]), st.randoms())
def test_kaplan_meier_invariants(data, conf_type, random):
    t, e = data
    km = kaplan_meier(t, e, conf_type=conf_type)
    survival = np.asarray(km.survival)
    assert np.all(np.diff(survival) <= 1e-12), "survival never increases"
    assert np.all((survival >= 0) & (survival <= 1))
    for s, low, high in zip(km.survival, km.lower, km.upper):
        if low is not None:
            assert low - 1e-12 <= s <= high + 1e-12, "a CI contains its estimate"
    m = km.median
    if m.estimate is not None:
        assert m.lower is None or m.lower <= m.estimate + 1e-12
        assert m.upper is None or m.upper >= m.estimate - 1e-12
    order = list(range(len(t)))
    random.shuffle(order)
    shuffled = kaplan_meier(t[order], e[order], conf_type=conf_type)
    assert shuffled.survival == km.survival and shuffled.median == km.median, "row order does not matter"


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=60), st.integers(min_value=1, max_value=60))
def test_proportion_ci_contains_its_estimate(x, n):
    x = min(x, n)
    r = proportion_ci(x, n)
    assert r.lower <= r.proportion <= r.upper


def test_ties_at_every_time_and_zero_follow_up():
    km = kaplan_meier([2, 2, 2, 2], [1, 1, 0, 0])
    assert km.survival == (0.5,) and km.median.estimate == 2.0  # flat at exactly 0.5 to the end
    zero = kaplan_meier([0, 0, 3], [0, 1, 1])
    assert zero.time[0] == 0.0 and zero.at_risk(0) == 3


def test_empty_group_and_single_group_are_errors_not_nan():
    with pytest.raises(ValueError, match="at least 2 groups"):
        logrank_test([1, 2, 3], [1, 1, 1], ["a", "a", "a"])
    with pytest.raises(ValueError, match="missing"):
        cox_hazard_ratio([1, 2, 3], [1, 0, 1], [0.0, None, 1.0])
