"""Table 1 counts and percentages cross-checked with tableone, an independent implementation."""

from pathlib import Path

import pandas as pd
import pytest
from tableone import TableOne

from reportgen.analysis.study import analyse, level_key
from reportgen.data.derive import derive
from reportgen.data.load import load_registry
from reportgen.spec import load_spec

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tafa-len"


@pytest.fixture(scope="module")
def study():
    spec = load_spec(EXAMPLE)
    derived = derive(load_registry(spec.data_path), spec)
    return spec, derived, analyse(derived, spec).results


@pytest.mark.parametrize("table", ["table1", "table3"])
def test_categorical_counts_and_percentages_agree_with_tableone(study, table):
    spec, derived, results = study
    table_spec = spec.tables[table]
    baseline = derived.set_baseline(table_spec.set)
    checked = 0
    for name in table_spec.variables:
        variable = spec.variables[name]
        if variable.type == "continuous":
            continue
        if variable.type == "binary":
            column = baseline[variable.column].map({True: "yes", False: "no"})
            labels = {"yes": name}
        else:
            column = baseline[variable.column].map(variable.levels)
            labels = {label: f"{name}.{level_key(label)}" for label in variable.levels.values()}
        frame = pd.DataFrame({name: column})
        one = TableOne(frame, columns=[name], categorical=[name], missing=False, decimals=1,
                       include_null=False).tableone
        for label, suffix in labels.items():
            if (name, label) not in {(i[0].split(",")[0], i[1]) for i in one.index}:
                assert results[f"{table_spec.set}.{suffix}"].value == 0
                continue
            row = [i for i in one.index if i[0].split(",")[0] == name and i[1] == label][0]
            count, percent = one.loc[row].iloc[0].replace(")", "").split(" (")
            record = results[f"{table_spec.set}.{suffix}"]
            assert record.value == int(count), (name, label)
            assert 100 * record.value / record.n == pytest.approx(float(percent), abs=0.05), (name, label)
            checked += 1
    assert checked >= 20
