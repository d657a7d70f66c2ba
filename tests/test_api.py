"""The Python API: a study opened from a notebook gives the numbers, tables and figures of its build.

The example study is opened once (a copy, so its cache is the test's) and built once from
the opened study; the API's numbers are checked against that build's results.json, its
tables against the Word file the build wrote and its figures against the build's PNGs.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import docx
import pandas as pd
import pytest

import reportgen
from example_study import docx_rows, example_copy
from render_sample import HOSTILE, small_table
from reportgen.api import HTML_SCOPE, Study, StudyTable
from reportgen.errors import RenderError
from reportgen.format.figures import save_figure
from reportgen.format.numbers import fmt_percent

ARD_COLUMNS = {"key", "value", "lower", "upper", "level", "n", "population", "method", "statistic", "unit", "params"}


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Study:
    return Study.open(example_copy(tmp_path_factory.mktemp("api")))


@pytest.fixture(scope="module")
def built(study, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("api-build") / "output"
    study.build(out)
    return out


@pytest.fixture(scope="module")
def stored(built) -> dict[str, dict]:
    """results.json of the build, by key."""
    return {record["key"]: record for record in json.loads((built / "results.json").read_text())["results"]}


def _same(shown: object, stored: object) -> bool:
    """A frame's cell equals a JSON value exactly (NaN, and NA read out as None, stand for null)."""
    if stored is None:
        return shown is None or shown is pd.NA or (isinstance(shown, float) and math.isnan(shown))
    return shown == stored


def test_results_are_the_stored_records_one_row_each(study, stored):
    frame = study.results
    assert ARD_COLUMNS <= set(frame.columns)
    assert frame["key"].is_unique and set(frame["key"]) == set(stored)
    assert {column: str(frame[column].dtype) for column in ("value", "lower", "upper", "level", "n")} == \
        {"value": "float64", "lower": "float64", "upper": "float64", "level": "float64", "n": "Int64"}
    for row in frame.to_dict("records"):
        record = stored[row["key"]]
        for column in ARD_COLUMNS:
            assert _same(row[column], record[column]), (row["key"], column, row[column], record[column])


def test_a_kaplan_meier_median_and_its_ci_are_the_stored_numbers(study, stored):
    row = study.results.set_index("key").loc["pfs2.median"]
    record = stored["pfs2.median"]
    assert (row["value"], row["lower"], row["upper"], row["level"]) == \
        (record["value"], record["lower"], record["upper"], 0.95)
    assert row["lower"] < row["value"] < row["upper"]
    assert row["statistic"] == "median" and row["method"].startswith("Kaplan-Meier") and row["unit"] == "months"


def test_a_table_1_count_carries_its_denominator(study, stored):
    """Men in the TL-post-CAR-T set: a count over the set's size, as Table 1 prints it."""
    row = study.results.set_index("key").loc["tl_post.sex_male"]
    assert (row["statistic"], row["population"]) == ("count", "tl_post")
    assert row["value"] == stored["tl_post.sex_male"]["value"] and row["n"] == stored["sets.tl_post.n"]["value"]
    shown = study.table("table1").to_frame().loc["Sex, male"].tolist()
    assert shown == [f"{row['value']:.0f}", f"({fmt_percent(int(row['value']), int(row['n']), study.style)})"]


def test_the_results_frame_is_new_at_each_call(study):
    frame = study.results
    frame.loc[0, "value"] = -1.0
    assert study.results.loc[0, "value"] != -1.0


def test_a_table_frame_is_the_word_table(study, built):
    """Table 1's frame holds the texts of the manuscript's Table 1, cell by cell and in order."""
    table = study.table("table1")
    frame = table.to_frame()
    assert frame.shape == (len(table.table.body), table.table.columns - 1)
    assert isinstance(frame.columns, pd.MultiIndex) and frame.columns.nlevels == len(table.table.header)
    word = docx_rows(docx.Document(str(built / "manuscript.docx")).tables[0])
    assert [tuple(dict.fromkeys(level)) for level in zip(*frame.columns)] == [row[1:] for row in word[:2]]
    shown = [(label, *(text for text in texts if text)) for label, texts in zip(frame.index, frame.values.tolist())]
    assert shown == [tuple(text for text in row if text) for row in word[2:]]


def test_a_table_frame_holds_the_table_blocks_texts(study):
    """A cell of the frame is the document model's cell, the one both writers print."""
    table = study.table("table1")
    row = next(row for row in table.table.body if row.cells[0].text == "Sex, male")
    assert table.to_frame().loc["Sex, male"].tolist() == [cell.text for cell in row.cells[1:]]


def test_a_single_header_row_gives_plain_columns_and_the_index_its_name(study):
    frame = study.table("vs_other_weights").to_frame()
    assert not isinstance(frame.columns, pd.MultiIndex)
    assert frame.columns[0] == "N" and frame.index.name == "Arm"
    assert study.table("vs_other_balance").to_frame().index.name == "Weighting variable"


def test_spans_and_marks_in_a_frame():
    """A spanning header names each of its columns; a spanning cell fills the first; a mark follows its text."""
    frame = StudyTable(small_table()).to_frame()
    assert list(frame.columns) == [("First progression after CAR T-cell therapy", "N = 52")] * 2
    assert frame.loc["Median (min; max)"].tolist() == ["65.5 (20; 81)", ""]
    assert frame.index[-1] == f"{HOSTILE}*" and frame.index.name is None


class _Cells(HTMLParser):
    """The texts of a page's header and body cells, the tags met inside cells, and the style sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.tables, self.headers, self.cells, self.inner_tags, self.style = 0, [], [], [], ""
        self._cell: list[str] | None = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
            assert ("class", "data-table") in attrs
        elif tag in ("th", "td"):
            self._cell = self.headers if tag == "th" else self.cells
            self._cell.append("")
        elif tag == "style":
            self._in_style = True
        elif self._cell is not None and tag != "sup":
            self.inner_tags.append(tag)

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self._cell = None
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[-1] += data
        elif self._in_style:
            self.style += data


def _parsed(page: str) -> _Cells:
    parser = _Cells()
    parser.feed(page)
    parser.close()
    return parser


def test_a_table_shows_in_a_notebook_as_an_html_table(study):
    parsed = _parsed(study.table("table1")._repr_html_())
    assert parsed.tables == 1
    assert "N = 52" in parsed.headers and "First progression after CAR T-cell therapy" in parsed.headers
    assert "(57.7%)" in parsed.cells and "Sex, male" in parsed.cells
    # the house stylesheet's rules, every one scoped to the table's element
    rules = [rule.split("{")[0].strip() for rule in parsed.style.split("}") if rule.strip()]
    assert rules and all(selector.strip().startswith(f".{HTML_SCOPE}")
                         for rule in rules for selector in rule.split(","))
    assert "table.data-table th" in parsed.style and "@page" not in parsed.style


def test_markup_in_a_label_is_escaped_in_the_html():
    page = StudyTable(small_table())._repr_html_()
    parsed = _parsed(page)
    assert f"{HOSTILE}*" in parsed.cells and parsed.inner_tags == []  # the label, then its mark
    assert HOSTILE not in page and "&lt;b&gt;" in page


def test_an_unknown_table_names_the_nearest_and_the_known_keys(study):
    with pytest.raises(RenderError, match=r"no table 'tabel1'; did you mean 'table1'\?.*table2, table3"):
        study.table("tabel1")
    assert study.tables[:2] == ("table1", "table2") and "vs_len_sensitivity" in study.tables


def test_a_figure_is_the_builds_figure(study, built, tmp_path):
    """A figure is a matplotlib Figure with its panels; saved, it is the build's PNG byte for byte."""
    figure = study.figure("figure_survival")
    assert [axes.get_ylabel() for axes in figure.axes][:1] == ["PFS2 (%)"]
    assert len(figure.axes) == 4  # two panels, each with its table of the number at risk
    assert save_figure(figure, tmp_path / "figure_survival.png").read_bytes() == \
        (built / "figures" / "figure_survival.png").read_bytes()
    assert set(study.figures) == {path.stem for path in (built / "figures").glob("*.png")}


def test_an_unknown_figure_names_the_nearest(study):
    with pytest.raises(RenderError, match=r"no figure 'flowchrt'; did you mean 'flowchart'\?"):
        study.figure("flowchrt")


def test_importing_reportgen_stays_light():
    """``reportgen.Study`` is the API's, loaded on first use: importing reportgen (or the API) loads
    neither pandas nor matplotlib."""
    assert reportgen.Study is Study
    code = ("import sys, reportgen, reportgen.api; "
            "print(sorted({name.split('.')[0] for name in sys.modules} & {'pandas', 'matplotlib'}))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
