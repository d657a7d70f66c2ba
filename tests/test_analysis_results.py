"""The results store: unique keys, no silent NaN, unknown keys named, stable JSON."""

import json
import math

import pandas as pd
import pytest

from reportgen.analysis.results import Result, ResultSet
from reportgen.analysis.study import level_key, summarize_variable
from reportgen.errors import RenderError
from reportgen.spec import Conventions, Variable


def test_store_refuses_nan_and_duplicates_and_names_unknown_keys():
    with pytest.raises(ValueError, match="NaN"):
        Result("x", math.nan, "mean")
    with pytest.raises(ValueError, match="produced twice"):
        ResultSet([Result("x", 1, "n"), Result("x", 2, "n")])
    store = ResultSet([Result("b", 2, "n"), Result("a", 1, "n", lower=None)])
    with pytest.raises(RenderError, match="'c'"):
        store["c"]
    data = json.loads(store.to_json())
    assert [r["key"] for r in data["results"]] == ["a", "b"]
    assert store.to_json() == ResultSet([Result("a", 1, "n"), Result("b", 2, "n")]).to_json()


def test_categorical_levels_share_labels_and_count_missing():
    variable = Variable("Histology", "histology", "categorical",
                        levels={"LBCL": "LBCL", "TFL": "Transformed", "TIND": "Transformed"})
    records = {r.key: r for r in summarize_variable(pd.Series(["LBCL", "TFL", "TIND", None]), "histology",
                                                    variable, "s", Conventions())}
    assert records["s.histology.transformed"].value == 2
    assert records["s.histology.transformed"].n == 3
    assert records["s.histology.missing"].value == 1


def test_continuous_summary_uses_sas_quantiles():
    variable = Variable("Age", "age", "continuous")
    records = {r.key: r for r in summarize_variable(pd.Series(range(1, 11)), "age", variable, "s", Conventions())}
    assert records["s.age.q1"].value == 3.0 and records["s.age.median"].value == 5.5


def test_level_keys():
    assert level_key("Transformed FL or other indolent") == "transformed_fl_or_other_indolent"
    assert level_key("≥2") == "ge2"
