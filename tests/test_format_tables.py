"""House-style Table 1 rows from results records: decimals, spans, observed levels, Missing rows."""

import pandas as pd

from reportgen.analysis.results import Result, ResultSet
from reportgen.analysis.study import summarize_variable
from reportgen.format.style import HouseStyle
from reportgen.format.tables import characteristics_table, variable_rows
from reportgen.spec import AnalysisSet, Conventions, RateSpec, TableSpec, Variable

STYLE = HouseStyle()


def _rows(values, variable):
    store = ResultSet(summarize_variable(pd.Series(values), "v", variable, "s", Conventions()))
    return [tuple(cell.text for cell in row.cells) for row in variable_rows(store, ("s",), "v", variable, STYLE)]


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
                       *summarize_variable(pd.Series([20, 65, 81]), "v", variables["v"], "s", Conventions())])
    sets = {"s": AnalysisSet("The set", "treated_before_car_t", regimen="X")}
    table = characteristics_table("t", TableSpec("Title", ("v",), set="s"), variables, store, sets, STYLE)
    assert table.header[1].cells[1].text == "N = 3"
    assert table.columns == 3
    assert table.body[1].cells[1].text == "65.0 (20; 81)"


def _store(columns: dict[str, list], variables: dict[str, Variable], sizes: dict[str, int]) -> ResultSet:
    records = [Result(f"sets.{name}.n", n, "n") for name, n in sizes.items()]
    for population, values in columns.items():
        for name, variable in variables.items():
            records += summarize_variable(pd.Series(values), name, variable, population, Conventions())
    return ResultSet(records)


def test_groups_side_by_side_with_subset_sizes_and_zero_cells():
    """Table 2's layout: overall then its subsets ('n = 42'); a level seen in one group prints 0 (0.0%) elsewhere."""
    cause = Variable("Cause", "c", "categorical", levels={"p": "Progression", "i": "Concurrent illness",
                                                          "u": "Unknown"})
    store = _store({"all": ["p", "p", "i"], "early": ["p", "i"], "late": ["p"]}, {"cause": cause},
                   {"all": 3, "early": 2, "late": 1})
    sets = {"all": AnalysisSet("All", "treated_before_car_t", regimen="X"),
            "early": AnalysisSet("Early", "subset", of="all", where="e"),
            "late": AnalysisSet("Late", "subset", of="all", where="not e")}
    table = characteristics_table("t2", TableSpec("T", ("cause",), sets=("all", "early", "late")),
                                  {"cause": cause}, store, sets, STYLE)
    assert [c.text for c in table.header[1].cells] == ["", "N = 3", "n = 2", "n = 1"]
    rows = [tuple(c.text for c in row.cells) for row in table.body]
    assert rows[1:] == [("Progression", "2", "(66.7%)", "1", "(50.0%)", "1", "(100.0%)"),
                        ("Concurrent illness", "1", "(33.3%)", "1", "(50.0%)", "0", "(0.0%)")]
    assert table.columns == 7 and abs(sum(table.column_widths) - 1) < 1e-9


def test_response_rate_block_with_exact_interval_and_subset_of_total():
    """Table 4: levels, then bORR with its Clopper-Pearson interval; a lone subset shows 'n = 11/15'."""
    response = Variable("Best response", "r", "categorical",
                        levels={"CR": "CR", "PR": "PR", "SD": "SD", "PD": "PD", "NE": "NE"},
                        rate=RateSpec("bORR", ("CR", "PR"), "*"))
    values = ["CR"] * 4 + ["PR", "SD", "NE"] + ["PD"] * 4
    store = _store({"evaluable": values}, {"response": response}, {"evaluable": 11, "all": 15})
    sets = {"all": AnalysisSet("All", "treated_before_car_t", regimen="X"),
            "evaluable": AnalysisSet("Evaluable", "subset", of="all", where="e")}
    table = characteristics_table("t4", TableSpec("T", ("response",), set="evaluable"), {"response": response},
                                  store, sets, STYLE)
    assert table.header[1].cells[1].text == "n = 11/15"
    rows = [tuple(c.text for c in row.cells) for row in table.body]
    assert rows[-3:] == [("bORR", "", ""), ("bORR", "5", "(45.5%)"), ("95% confidence interval", "(16.7%-76.6%)")]
    assert table.body[-3].cells[0].mark == "*"
