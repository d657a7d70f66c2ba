"""Propensity weighting: the model fitted once and shared, treatment flags of any input type, and
the indicator columns of categorical and text covariates (R values: test_stats_weighting_golden.py)."""

import numpy as np
import pandas as pd
import pytest

from reportgen import stats
from reportgen.stats.weighting import indicator_columns

SCHEMES = ({}, {"stabilized": False}, {"estimand": "ATT"}, {"truncate": (1, 99)}, {"truncate": (5, 95)})


def _example(n: int = 300, seed: int = 7) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({
        "age": rng.normal(60, 10, n).round(),
        "male": rng.random(n) < 0.6,
        "stage": pd.Categorical(rng.choice(["I-II", "III", "IV"], n), categories=["I-II", "III", "IV", "unknown"]),
        "product": rng.choice(["Axi-cel", "Tisa-cel", "Liso-cel"], n),
    })
    treated = rng.random(n) < 1 / (1 + np.exp(-(x["age"] - 60) / 10))
    return treated, x


@pytest.mark.parametrize("scheme", SCHEMES)
def test_one_fitted_model_gives_the_weights_of_every_scheme(scheme):
    """Weights from a shared fit are those of a fit per scheme, to the bit."""
    treated, x = _example()
    model = stats.fit_propensity_score(treated, x)
    shared = stats.inverse_probability_weights(model, **scheme)
    alone = stats.propensity_weights(treated, x, **scheme)
    assert shared.weight.tobytes() == alone.weight.tobytes()
    assert shared.score.tobytes() == alone.score.tobytes()
    assert (shared.coefficients, shared.summaries, shared.limits) == (alone.coefficients, alone.summaries, alone.limits)
    assert not shared.weight.flags.writeable and not model.score.flags.writeable


def test_a_bad_scheme_is_an_error_before_any_fit():
    treated, x = _example()
    model = stats.fit_propensity_score(treated, x)
    with pytest.raises(ValueError, match="estimand"):
        stats.inverse_probability_weights(model, estimand="ATC")
    with pytest.raises(ValueError, match="not stabilized"):
        stats.inverse_probability_weights(model, estimand="ATT", stabilized=True)
    with pytest.raises(ValueError, match="truncation"):
        stats.propensity_weights(treated, x.iloc[:0], truncate=(99, 1))  # no data: the scheme is checked first


@pytest.mark.parametrize("as_input", [
    lambda flags: flags, lambda flags: flags.astype(int), lambda flags: flags.astype(float),
    lambda flags: flags.tolist(), lambda flags: [int(flag) for flag in flags], lambda flags: pd.Series(flags),
    lambda flags: pd.Series(flags, dtype="boolean"), lambda flags: pd.Series(flags.astype(int), dtype="Int64"),
    lambda flags: np.where(flags, "1", "0").tolist(),
], ids=["bool array", "int array", "float array", "list of bools", "list of ints", "Series", "boolean Series",
        "Int64 Series", "text"])
def test_treatment_flags_of_any_type_give_the_same_weights(as_input):
    treated, x = _example(120)
    expected = stats.propensity_weights(treated, x)
    assert stats.propensity_weights(as_input(treated), x).weight.tobytes() == expected.weight.tobytes()


@pytest.mark.parametrize("flags", [[1.0, np.nan, 0.0], [True, None, False], pd.Series([1, None, 0], dtype="Int64")],
                         ids=["NaN", "None", "NA"])
def test_missing_treatment_flags_are_an_error(flags):
    with pytest.raises(ValueError, match="missing"):
        stats.propensity_weights(flags, pd.DataFrame({"age": [60.0, 70.0, 50.0]}))


def test_indicator_columns_of_categorical_and_text_covariates():
    """Categories present, in category order; text levels sorted, each compared as text."""
    frame = pd.DataFrame({
        "stage": pd.Categorical(["IV", "III", "IV", "I-II"], categories=["I-II", "III", "IV", "unknown"]),
        "product": ["Tisa-cel", "Axi-cel", "Tisa-cel", "Axi-cel"],
        "mixed": pd.Series([1, "1", 2.5, "b"], dtype="object"),  # 1 and "1" are the same text
        "age": [60, 70, 50, 64],
    })
    columns = {(name, level): values.tolist() for name, level, values in indicator_columns(frame)}
    assert list(columns) == [("stage", "I-II"), ("stage", "III"), ("stage", "IV"), ("product", "Axi-cel"),
                             ("product", "Tisa-cel"), ("mixed", "1"), ("mixed", "2.5"), ("mixed", "b"),
                             ("age", None)]
    assert columns[("stage", "IV")] == [1.0, 0.0, 1.0, 0.0]
    assert columns[("product", "Axi-cel")] == [0.0, 1.0, 0.0, 1.0]
    assert columns[("mixed", "1")] == [1.0, 1.0, 0.0, 0.0]
    assert columns[("age", None)] == [60.0, 70.0, 50.0, 64.0]
