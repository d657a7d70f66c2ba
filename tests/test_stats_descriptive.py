"""Descriptive statistics: SAS quantiles (PCTLDEF=5 = R type 2) and exact proportions.

R: quantile(x, c(.25, .5, .75, .01, .99), type = 2); binom.test(5, 11)$conf.int
"""

import pytest

from reportgen.stats import describe, frequency, proportion_ci, quantile


def test_sas_quantiles_average_at_whole_positions():
    # R: quantile(1:10, c(.25, .5, .75), type = 2) -> 3, 5.5, 8
    d = describe(list(range(1, 11)))
    assert (d.q1, d.median, d.q3) == (3.0, 5.5, 8.0)


def test_other_definitions_by_name():
    # R: quantile(1:10, .25, type = 7) -> 3.25
    import numpy as np

    assert quantile(np.arange(1, 11, dtype=float), 0.25, "r7") == 3.25
    with pytest.raises(ValueError, match="unknown quantile definition"):
        quantile(np.arange(3.0), 0.5, "sas9")


def test_describe_counts_missing_and_handles_empty():
    d = describe([1.0, None, 3.0])
    assert (d.n, d.missing, d.mean, d.min, d.max) == (2, 1, 2.0, 1.0, 3.0)
    empty = describe([None, None])
    assert empty.n == 0 and empty.missing == 2 and empty.median is None and empty.sd is None


def test_single_value_has_no_sd():
    d = describe([5])
    assert d.sd is None and d.median == 5


def test_clopper_pearson_matches_r_binom_test():
    # binom.test(5, 11)$conf.int: 0.1674881 0.7662064 (the reference's 16.7%-76.6%)
    r = proportion_ci(5, 11)
    assert r.lower == pytest.approx(0.1674881, abs=1e-7)
    assert r.upper == pytest.approx(0.7662064, abs=1e-7)
    assert proportion_ci(0, 10).lower == 0.0
    assert proportion_ci(10, 10).upper == 1.0
    assert proportion_ci(0, 0).proportion is None


def test_frequency_refuses_undeclared_levels():
    with pytest.raises(ValueError, match="not among the declared levels"):
        frequency(["a", "c"], ["a", "b"])
