"""Small-cell suppression (the spec's ``disclosure.suppress_below``): a count of patients from 1 to
N - 1 prints as "<N" wherever a reader sees it, without the percentage that would give it away;
0 and counts of N or more print as they are, and so do medians, hazard ratios and P values."""

from __future__ import annotations

import json
import re

import docx
import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml
from pypdf import PdfReader

from example_study import EXAMPLE, docx_rows, example_copy
from reportgen import stats
from reportgen.analysis.results import Result, ResultSet
from reportgen.analysis.study import summarize_variable
from reportgen.assemble import _curve, _flow_box, _km_curve
from reportgen.build import build
from reportgen.errors import SpecError
from reportgen.format.figures import Panel, _draw_panel
from reportgen.format.numbers import fmt_count, fmt_count_percent, fmt_percent, fmt_share, is_small_cell
from reportgen.format.style import HouseStyle
from reportgen.format.tables import characteristics_table, variable_rows
from reportgen.format.text import TextFormatter
from reportgen.spec import AnalysisSet, Conventions, RateSpec, TableSpec, Variable, load_spec

FIVE = HouseStyle(suppress_below=5)
OFF = HouseStyle()


# --- the rule (format/numbers.py) ------------------------------------------------------------------------------


@pytest.mark.parametrize("count, shown", [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (52, "52"), (1562, "1562")])
def test_a_count_below_the_threshold_prints_as_less_than_it(count, shown):
    assert fmt_count(count, FIVE) == shown


def test_suppression_off_prints_every_count():
    assert [fmt_count(count, OFF) for count in (0, 1, 4, 5)] == ["0", "1", "4", "5"]
    assert not is_small_cell(1, OFF) and fmt_count_percent(1, 52, OFF) == "1 (1.9%)"


def test_the_percentage_is_hidden_with_its_count():
    assert fmt_count_percent(4, 52, FIVE) == "<5"
    assert fmt_percent(4, 52, FIVE) == "<5"  # never '7.7%', which gives 4 of 52 away
    assert fmt_count_percent(5, 52, FIVE) == "5 (9.6%)"
    assert fmt_count_percent(0, 52, FIVE) == "0 (0.0%)"  # zero is not a small cell
    assert fmt_share(4 / 52, 52, FIVE) == "<5" and fmt_share(5 / 52, 52, FIVE) == "9.6%"
    assert fmt_share(4 / 52, None, FIVE) == "7.7%"  # a weighted share stands for no count


def test_the_suppressed_text_is_a_style_setting():
    assert fmt_count(3, HouseStyle(suppress_below=11, suppressed_text="< {n}")) == "< 11"


# --- the spec --------------------------------------------------------------------------------------------------


def _spec_with(tmp_path, disclosure):
    raw = yaml.safe_load((EXAMPLE / "study.yaml").read_text(encoding="utf-8"))
    raw["disclosure"] = disclosure
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_the_spec_section_is_optional_and_off_by_default(tmp_path):
    assert load_spec(EXAMPLE).disclosure.suppress_below == 0
    assert load_spec(_spec_with(tmp_path, {"suppress_below": 11})).disclosure.suppress_below == 11


@pytest.mark.parametrize("value, message", [
    (-1, r"disclosure\.suppress_below: a whole number of patients, 0 \(off\) or more"),
    (2.5, r"disclosure\.suppress_below: expected a whole number"),
    ("five", r"disclosure\.suppress_below: expected a whole number"),
    (True, r"disclosure\.suppress_below: expected a whole number"),
])
def test_a_bad_threshold_is_named(tmp_path, value, message):
    with pytest.raises(SpecError, match=message):
        load_spec(_spec_with(tmp_path, {"suppress_below": value}))


def test_an_unknown_disclosure_key_is_named(tmp_path):
    with pytest.raises(SpecError, match=r"disclosure\.suppress_bellow: unknown key; did you mean 'suppress_below'"):
        load_spec(_spec_with(tmp_path, {"suppress_bellow": 5}))


# --- the text (TextFormatter, the functions templates call) ----------------------------------------------------


STORE = ResultSet([
    Result("s.male", 3, "count", "s", n=52),
    Result("s.female", 49, "count", "s", n=52),
    Result("s.none", 0, "count", "s", n=52),
    Result("s.borr", 4, "count", "s", n=52),
    Result("s.borr.ci", 4 / 52, "proportion", "s", n=52, lower=0.021, upper=0.185, level=0.95),
    Result("sets.s.n", 52, "n", "s"),
    Result("sets.small.n", 3, "n", "small"),
    Result("os.events", 2, "events", "s", n=52),
    Result("os.at_risk.12", 4, "number at risk", "s", n=52, unit="months"),
    Result("s.age.min", 3.0, "min", "s", n=52),
    Result("settings.min_car_t_line", 3, "setting"),
    Result("c.smd.breaches", 2, "levels", "c", n=14),
    Result("os.median", 3.1, "median", "s", n=52, lower=1.8, upper=4.1, level=0.95, unit="months"),
    Result("os.p", 0.0138, "P", "s"),
    Result("os.hr", 0.71, "hazard ratio", "s", lower=0.44, upper=1.13, level=0.95),
])


def test_template_functions_suppress_counts_of_patients():
    text = TextFormatter(STORE, FIVE)
    assert [text.count(key) for key in ("s.male", "sets.small.n", "os.events", "os.at_risk.12")] == ["<5"] * 4
    assert text.percent("s.male") == "n<5" and text.count_percent("s.male") == "<5"  # n<5 where a % stands
    assert text.count_percent("s.female") == "49 (94.2%)" and text.count("sets.s.n") == "52"
    assert text.count_percent("s.none") == "0 (0.0%)"
    # the exact CI of a suppressed response count would give it away too
    assert text.rate("s.borr.ci") == text.rate_interval("s.borr.ci") == text.rate_ci("s.borr.ci") == "n<5"


def test_template_functions_leave_other_numbers_alone():
    text = TextFormatter(STORE, FIVE)
    # whole numbers that are not counts of patients: an age, a setting, covariate levels
    assert [text.count(key) for key in ("s.age.min", "settings.min_car_t_line", "c.smd.breaches")] == ["3", "3", "2"]
    assert text.median_ci("os.median") == "3.1 (1.8-4.1)"
    assert text.p_value("os.p") == "P\u00a0=\u00a0.0138"
    assert text.hazard_ratio("os.hr") == "0.71 [0.44-1.13]"


def test_without_suppression_the_text_is_unchanged():
    text = TextFormatter(STORE, OFF)
    assert text.count_percent("s.male") == "3 (5.8%)" and text.rate_interval("s.borr.ci") == "2.1%-18.5%"


def test_flowchart_boxes_suppress_their_counts():
    store = ResultSet([
        Result("flow.root.n", 60, "n", "root", params={"label": "Registry", "parent": ""}),
        Result("flow.kept.n", 57, "n", "kept", params={"label": "Kept", "parent": "root"}),
        Result("flow.kept.excluded", 3, "n", "kept"),
        Result("flow.kept.excluded.too_young", 2, "n", "kept", params={"reason": "too young"}),
        Result("flow.kept.excluded.no_consent", 1, "n", "kept", params={"reason": "no consent"}),
        Result("flow.kept.excluded.lost", 0, "n", "kept", params={"reason": "lost"}),
    ])
    box = _flow_box("kept", TextFormatter(store, FIVE), "root")
    assert box.text == "Kept\nn = 57"
    assert box.exclusion == "Excluded (n = <5)\nToo young: <5\nNo consent: <5"


# --- tables ----------------------------------------------------------------------------------------------------


def _rows(values, variable, style=FIVE):
    store = ResultSet(summarize_variable(pd.Series(values), "v", variable, "s", Conventions()))
    return [tuple(cell.text for cell in row.cells) for row in variable_rows(store, ("s",), "v", variable, style)]


def test_table_count_cells_show_the_suppressed_count_alone():
    variable = Variable("ECOG", "e", "categorical", levels={"0-1": "0-1", "2+": "≥2", "x": "Unused"})
    values = ["0-1"] * 6 + ["2+"] * 2 + [None]
    assert _rows(values, variable) == [("ECOG", "", ""), ("0-1", "6", "(75.0%)"), ("≥2", "<5", ""),
                                       ("Missing", "<5", "")]
    assert _rows(values, variable, OFF)[2] == ("≥2", "2", "(25.0%)")
    assert _rows([True] * 3 + [False] * 9, Variable("Sex, male", "m", "binary")) == [("Sex, male", "<5", "")]


def test_table_continuous_n_and_missing_rows_are_counts():
    variable = Variable("Age (y)", "age", "continuous", statistics=("n", "missing", "median_range"))
    assert _rows([50, 60, 70, None], variable)[1:] == [("N", "<5"), ("Missing", "<5"), ("Median (min; max)",
                                                                                       "60.0 (50; 70)")]


def test_table_response_rate_hides_the_ci_of_a_suppressed_count():
    variable = Variable("Best response", "r", "categorical", levels={"CR": "Complete response", "PD": "Progression"},
                        rate=RateSpec(label="bORR", levels=("CR",)))
    rows = _rows(["CR"] * 2 + ["PD"] * 10, variable)
    assert rows[-2:] == [("bORR", "<5", ""), ("95% confidence interval", "")]
    shown = _rows(["CR"] * 6 + ["PD"] * 6, variable)
    assert shown[-2:] == [("bORR", "6", "(50.0%)"), ("95% confidence interval", "(21.1%-78.9%)")]


def test_table_header_sizes_follow_the_rule():
    variables = {"m": Variable("Sex, male", "m", "binary")}
    records = [Result("sets.all.n", 40, "n", "all"), Result("sets.few.n", 4, "n", "few")]
    for population, values in (("all", [True] * 20 + [False] * 20), ("few", [True] * 4)):
        records += summarize_variable(pd.Series(values), "m", variables["m"], population, Conventions())
    sets = {"all": AnalysisSet("All", "treated_before_car_t", regimen="X"),
            "few": AnalysisSet("Few", "subset", of="all", where="m")}
    both = characteristics_table("t", TableSpec("T", ("m",), sets=("all", "few")), variables, ResultSet(records),
                                 sets, FIVE)
    assert [cell.text for cell in both.header[1].cells] == ["", "N = 40", "n = <5"]
    assert [cell.text for cell in both.body[0].cells] == ["Sex, male", "20", "(50.0%)", "<5", ""]
    alone = characteristics_table("t", TableSpec("T", ("m",), set="few"), variables, ResultSet(records), sets, FIVE)
    assert alone.header[1].cells[1].text == "n = <5/40"


# --- numbers at risk under Kaplan-Meier curves -----------------------------------------------------------------


def test_risk_table_prints_suppressed_counts_under_their_ticks():
    ticks = (0.0, 3.0, 6.0, 9.0, 12.0)
    times = [1, 2, 2.5, 4, 5, 7, 7.5, 8, 10, 11, 12, 12, 12]
    km = stats.kaplan_meier(times, [1] * 8 + [0] * 5)
    assert [km.at_risk(t) for t in ticks] == [13, 10, 8, 5, 3]
    store = ResultSet([Result(f"e.at_risk.{t:g}", km.at_risk(t), "number at risk", "s", unit="months")
                       for t in ticks] + [Result("e.median", km.median.estimate, "median", "s", unit="months",
                                                  lower=km.median.lower, upper=km.median.upper)])
    curve = _km_curve("All", "e", km, ticks, TextFormatter(store, FIVE), grouped=True)
    assert curve.at_risk == ("13", "10", "8", "5", "<5")
    few = _curve("Few", km, ("4", "<5", "<5", "0", "0"), "median 6")  # as given: the figure never recounts
    figure = plt.figure()
    try:
        curve_ax, risk_ax = figure.add_subplot(2, 1, 1), figure.add_subplot(2, 1, 2)
        _draw_panel(curve_ax, risk_ax, Panel("", "OS (%)", (curve, few)), ticks, "Months")
        counts = [text for text in risk_ax.texts if text.get_transform() == risk_ax.transData]
        rows = {y: [text.get_text() for text in sorted(counts, key=lambda t: t.get_position()[0])
                    if text.get_position()[1] == y] for y in (0, 1)}
        assert rows == {1: ["13", "10", "8", "5", "<5"], 0: ["4", "<5", "<5", "0", "0"]}
        # each count centred on its tick's data coordinate, as the tick labels above
        assert sorted({text.get_position()[0] for text in counts}) == list(ticks)
        assert all(text.get_ha() == "center" for text in counts)
    finally:
        plt.close(figure)


# --- the example study built with suppress_below: 11 -----------------------------------------------------------

THRESHOLD = 11
SUPPRESSED = f"<{THRESHOLD}"


def _is_shown_count(text: str) -> bool:
    """A count as the rule allows it: '0', '<11', or a whole number of at least 11."""
    return text == SUPPRESSED or (text.isdigit() and (int(text) == 0 or int(text) >= THRESHOLD))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build of the example with ``disclosure: {suppress_below: 11}``; what reached the risk tables and
    the flowcharts is recorded on the way, then compared with the text of the figures' SVG files."""
    import reportgen.assemble as assemble
    import reportgen.build as build_module

    folder = tmp_path_factory.mktemp("disclosure")
    study = example_copy(folder, f"\ndisclosure:\n  suppress_below: {THRESHOLD}\n")
    drawn = {"panels": [], "boxes": [], "figures": []}
    draw = build_module.draw

    def spy_draw(drawing):
        """Note what each Kaplan-Meier figure and flowchart is drawn from (its plain-data arguments)."""
        if drawing.draw is assemble.km_figure:
            panels = drawing.arguments[0]
            drawn["panels"] += panels
            drawn["figures"].append((drawing.vector_path.name, panels))
        elif drawing.draw is assemble.flowchart:
            drawn["boxes"] += drawing.arguments[0]
        return draw(drawing)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_module, "draw", spy_draw)
        out = build(study, folder / "output", workers=1, cache=False)  # drawn here, where the spy is
    return out.folder, drawn


def _pdf_text(path):
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


SIZE = re.compile(r"^[Nn] = (\S+?)(?:/(\S+))?$")


def _characteristics_tables(path):
    """The Word tables whose second header row gives a size per population ('N = 52', 'n = <11', 'n = 11/15')."""
    tables = [docx_rows(table) for table in docx.Document(str(path)).tables]
    return [rows for rows in tables if len(rows) > 2 and len(rows[1]) > 1
            and all(SIZE.match(cell) for cell in rows[1][1:])]


def test_suppression_is_stated_on_the_provenance_page_and_in_provenance_json(built):
    out, _ = built
    assert json.loads((out / "provenance.json").read_text(encoding="utf-8"))["disclosure"] == {"suppress_below": 11}
    supplement = " ".join(_pdf_text(out / "supplement.pdf").split())
    assert "Small-cell suppression counts of patients from 1 to 10 shown as <11" in supplement


def test_small_counts_print_as_less_than_eleven_in_both_documents(built):
    out, _ = built
    for name in ("manuscript", "supplement"):
        assert SUPPRESSED in _pdf_text(out / f"{name}.pdf")
        document = docx.Document(str(out / f"{name}.docx"))
        assert any(SUPPRESSED in cell.text for table in document.tables for row in table.rows for cell in row.cells)
        assert any(SUPPRESSED in paragraph.text for paragraph in document.paragraphs)


def test_table_count_cells_obey_the_rule(built):
    """Every count (with its percentage) and every size in every characteristics table of both Word documents."""
    out, _ = built
    checked = suppressed = 0
    for name in ("manuscript", "supplement"):
        tables = _characteristics_tables(out / f"{name}.docx")
        assert len(tables) >= (4 if name == "manuscript" else 10)
        for rows in tables:
            populations = len(rows[1]) - 1
            for size in rows[1][1:]:
                assert all(_is_shown_count(part) for part in SIZE.match(size).groups() if part), (name, rows[0], size)
            for row in rows[2:]:
                if len(row) == 1 + 2 * populations:  # a count and a percent cell per population
                    for count, percent in zip(row[1::2], row[2::2]):
                        if not count:
                            continue  # a variable's label row
                        assert _is_shown_count(count), (name, rows[0][1:], row)
                        if count == SUPPRESSED:
                            suppressed += 1
                            assert percent == "", (name, row)  # the percentage would give the count away
                        else:
                            assert percent == "" or re.fullmatch(r"\(\d+\.\d%\)", percent), (name, row)
                        checked += 1
                elif row[0] in ("N", "Missing"):  # a continuous variable's count rows
                    assert all(_is_shown_count(cell) for cell in row[1:]), (name, row)
                    checked += 1
    assert checked > 100 and suppressed > 50


def test_table1_of_the_manuscript_in_detail(built):
    out, _ = built
    table1 = _characteristics_tables(out / "manuscript.docx")[0]
    assert table1[1] == ("", "N = 52")
    body = [row for row in table1[2:]]
    assert ("Sex, male", "30", "(57.7%)") in body
    assert ("Prior autologous transplant", SUPPRESSED, "") in body
    assert body[1] == ("Median (min; max)", "65.5 (20; 81)")  # ages are not counts


def test_comparison_tables_obey_the_rule(built):
    out, _ = built
    tables = [docx_rows(table) for table in docx.Document(str(out / "supplement.docx")).tables]
    formation = [rows for rows in tables if rows[0] == ("Step", "Patients")]
    weights = [rows for rows in tables if rows[0][:2] == ("Arm", "N")]
    assert len(formation) == 2 and len(weights) == 2
    for rows in formation + weights:
        assert all(_is_shown_count(row[1]) for row in rows[1:]), rows
    assert any(row[1] == SUPPRESSED for rows in formation for row in rows)


def test_risk_tables_and_flowcharts_obey_the_rule(built):
    out, drawn = built
    at_risk = [count for panel in drawn["panels"] for curve in panel.curves for count in curve.at_risk]
    assert len(at_risk) > 100 and SUPPRESSED in at_risk
    assert all(_is_shown_count(count) for count in at_risk), sorted(set(at_risk))
    # what was drawn is what the figures show: the SVG keeps each text as text
    assert len(drawn["figures"]) >= 7
    for name, panels in drawn["figures"]:
        shown = re.findall(r"<text[^>]*>([^<]*)</text>", (out / "figures" / name).read_text(encoding="utf-8"))
        shown = [text.replace("&lt;", "<") for text in shown]
        for panel in panels:
            for curve in panel.curves:
                row = list(curve.at_risk)
                assert any(shown[i:i + len(row)] == row for i in range(len(shown))), (name, curve.label, row)
    boxes = drawn["boxes"]
    counts = [found for box in boxes for found in re.findall(r"(?:n = |: )(\S+?)\)?$", f"{box.text}\n{box.exclusion}",
                                                            re.MULTILINE)]
    assert len(counts) >= len(boxes) and SUPPRESSED in counts
    assert all(_is_shown_count(count) for count in counts), counts
    # and in the drawn flowchart itself (its SVG keeps the text as text)
    svg = (out / "figures" / "flowchart.svg").read_text(encoding="utf-8")
    drawn_counts = re.findall(r"n = ([^)<\s]+|&lt;\d+)", svg)
    assert drawn_counts and all(_is_shown_count(count.replace("&lt;", "<")) for count in drawn_counts), drawn_counts
    assert "n = &lt;11" in svg
