"""House-style Table 1 rows from results records: decimals, spans, observed levels, Missing rows."""

import pandas as pd

from reportgen.analysis.results import Result, ResultSet
from reportgen.analysis.study import summarize_variable
from reportgen.format.style import HouseStyle
from reportgen.format.tables import characteristics_table, variable_rows
from reportgen.spec import TableSpec, Variable

STYLE = HouseStyle()


def _rows(values, variable):
    store = ResultSet(summarize_variable(pd.Series(values), "v", variable, "s", "sas5"))
    return [tuple(cell.text for cell in row.cells) for row in variable_rows(store, "s", "v", variable, STYLE)]


def test_continuous_decimals_follow_the_clinical_convention():
    # months with 1 decimal: mean 2 decimals, SD 3, median 2, quartiles and percentiles 1
    variable = Variable("Time to best response (months)", "t", "continuous", decimals=1,
                        statistics=("n", "missing", "mean_sd", "median", "quartiles", "p1_p99"))
    months = [d / 30.4375 for d in (27, 29, 30, 31, 31)]
    assert _rows(months, variable)[1:] == [
        ("N", "5"), ("Missing", "0"), ("Mean (SD)", "0.97 (0.055)"), ("Median", "0.99"),
        ("Q1; Q3", "1.0; 1.0"), ("P1; P99", "0.9; 1.0")]


def test_categorical_shows_observed_levels_and_missing_count_only():
    variable = Variable("ECOG", "e", "categorical", levels={"0-1": "0-1", "2+": "≥2", "x": "Unused"})
    assert _rows(["0-1", "0-1", "2+", None], variable) == [
        ("ECOG", "", ""), ("0-1", "2", "(66.7%)"), ("≥2", "1", "(33.3%)"), ("Missing", "1", "")]


def test_binary_is_one_row():
    assert _rows([True, False, True, True], Variable("Sex, male", "m", "binary")) == [("Sex, male", "3", "(75.0%)")]


def test_table_header_and_rectangular_grid():
    variables = {"v": Variable("Age (y)", "age", "continuous")}
    store = ResultSet([Result("sets.s.n", 3, "n"),
                       *summarize_variable(pd.Series([20, 65, 81]), "v", variables["v"], "s", "sas5")])
    table = characteristics_table("t", TableSpec("Title", "s", ("v",)), variables, store, "The set", STYLE)
    assert table.header[1].cells[1].text == "N = 3"
    assert table.columns == 3
    assert table.body[1].cells[1].text == "65.0 (20; 81)"
