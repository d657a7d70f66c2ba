"""End to end: build the example study and read the outputs back as a reader would.

The PDF's text (pypdf) and the DOCX's tables (python-docx) must both carry every
count and percentage of the reference study's Tables 1 and 3, and the same cells.
"""

import json
import re
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from reference_tables import (TABLE1_MISSING, TABLE1_ROWS, TABLE2_MISSING, TABLE2_ROWS, TABLE3_MISSING,
                              TABLE3_ROWS, TABLE4_MISSING, TABLE4_ROWS)
from reportgen.build import build

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tafa-len"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "output"
    build(EXAMPLE, out)
    return out


def _docx_rows(table) -> list[tuple[str, ...]]:
    """Rows of a Word table as text, merged cells counted once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text.strip())
        rows.append(tuple(cells))
    return rows


def _body_rows(rows: list[tuple[str, ...]]) -> list[tuple[str, tuple[str, ...]]]:
    return [(row[0], tuple(c for c in row[1:] if c)) for row in rows[2:]]


@pytest.fixture(scope="module")
def docx_tables(outputs):
    document = docx.Document(str(outputs / "manuscript.docx"))
    return [_docx_rows(table) for table in document.tables]


@pytest.fixture(scope="module")
def pdf_text(outputs):
    reader = PdfReader(str(outputs / "manuscript.pdf"))
    return "\n".join(page.extract_text() for page in reader.pages)


def _expected_rows_in_order(actual, expected):
    """Every expected row appears, in the expected order, among the actual body rows."""
    position = 0
    for row in expected:
        while position < len(actual) and actual[position] != row:
            position += 1
        assert position < len(actual), f"row {row} missing (or out of order) in {actual}"
        position += 1


@pytest.mark.parametrize("index, expected, missing", [(0, TABLE1_ROWS, TABLE1_MISSING),
                                                      (1, TABLE2_ROWS, TABLE2_MISSING),
                                                      (2, TABLE3_ROWS, TABLE3_MISSING),
                                                      (3, TABLE4_ROWS, TABLE4_MISSING)])
def test_docx_tables_carry_the_published_counts(docx_tables, index, expected, missing):
    """Tables 1-4 of the manuscript, in order, carry every published count and percentage."""
    body = _body_rows(docx_tables[index])
    _expected_rows_in_order(body, expected)
    assert [int(cells[0]) for label, cells in body if label == "Missing"] == missing


def test_docx_table_headers(docx_tables):
    assert docx_tables[0][1][-1] == "N = 52"
    assert docx_tables[1][1][1:] == ("N = 52", "n = 42", "n = 10")
    assert docx_tables[2][1][-1] == "N = 15"
    assert docx_tables[3][1][-1] == "n = 11/15"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_carries_the_same_cells_as_the_docx(docx_tables, pdf_text):
    pdf = _squash(pdf_text)
    for table in docx_tables:
        for row in table:
            assert _squash("".join(row)) in pdf, f"PDF lacks the row {row}"


def test_results_json_has_the_numbers_of_the_text(outputs, pdf_text):
    results = {r["key"]: r for r in json.loads((outputs / "results.json").read_text())["results"]}
    assert results["sets.tl_post.n"]["value"] == 52
    assert results["sets.tl_pre.n"]["value"] == 15
    median = results["pfs2.median"]
    assert median["method"].startswith("Kaplan-Meier")
    assert 2.5 <= median["value"] <= 3.5
    assert "95% confidence interval" in pdf_text


def test_outputs_exist(outputs):
    for name in ("manuscript.pdf", "manuscript.docx", "results.json", "figures/figure_survival.png"):
        assert (outputs / name).stat().st_size > 0


@pytest.fixture(scope="module")
def supplement(outputs):
    reader = PdfReader(str(outputs / "supplement.pdf"))
    pdf = "\n".join(page.extract_text() for page in reader.pages)
    tables = [_docx_rows(table) for table in docx.Document(str(outputs / "supplement.docx")).tables]
    return pdf, tables


def test_supplement_carries_every_comparison_table_and_figure(outputs, supplement):
    pdf, tables = supplement
    for comparison in ("TAFA-LEN vs other treatments", "TAFA-LEN vs lenalidomide alone"):
        for title in ("Formation of the comparison cohort", "Inverse probability weights",
                      "Balance of the weighting variables", "Weighted outcomes", "Sensitivity analyses"):
            assert _squash(f"{title}, {comparison}") in _squash(pdf)
    assert "Supplemental Table 1." in pdf and "Supplemental Figure 2." in pdf
    for name in ("vs_other_love.png", "vs_other_survival.png", "vs_len_love.png", "vs_len_survival.png"):
        assert (outputs / "figures" / name).stat().st_size > 0
    # the formation tables end at the reference's comparison cohorts, in PDF and Word alike
    formation = [table for table in tables if table[0][0] == "Step"]
    assert [table[-1][-1] for table in formation] == ["354", "52"]
    assert [row[-1] for table in formation for row in table if row[0] == "TAFA-LEN, complete weighting variables"] \
        == ["43", "43"]


def test_manuscript_cites_the_supplement_and_places_the_weighted_figures(pdf_text):
    assert re.search(r"Supplemental Table \d+\)", pdf_text) and re.search(r"Supplemental Figure \d+", pdf_text)
    assert _squash("Weighted survival, TAFA-LEN vs other treatments") in _squash(pdf_text)
    assert "according to IPW" in pdf_text


def test_a_sample_of_the_text_matches_results_json(outputs, pdf_text):
    """Numbers of the text, recomputed from results.json by hand, appear where the text says them."""
    results = {r["key"]: r for r in json.loads((outputs / "results.json").read_text())["results"]}
    text = _squash(pdf_text)

    def value(key):
        return results[key]["value"]

    borr = results["tl_pre_evaluable.car_t_response.borr"]
    assert f"{100 * borr['value'] / borr['n']:.1f}%" == "45.5%"
    assert _squash("the best overall response rate after CAR T-cell infusion was 45.5%") in text
    ci = results["tl_pre_evaluable.car_t_response.borr.ci"]
    assert _squash(f"({100 * ci['lower']:.1f}%-{100 * ci['upper']:.1f}%)") in text
    assert _squash(f"TAFA-LEN was the first treatment for {value('sets.tl_post.n')} (the TL-post-CAR-T set)") in text
    assert _squash(f"The registry holds {value('flow.registry.n')} patients") in text
    deaths = results["tl_post.death_cause.progression"]
    assert _squash(f"{deaths['value']} ({100 * deaths['value'] / deaths['n']:.1f}%) died of progression") in text
    late, early = value("pfs2.tl_post_late.median"), value("pfs2.tl_post_early.median")
    assert _squash(f"median PFS2 {late:.1f}") in text and _squash(f"vs {early:.1f}") in text
    p = value("pfs2.timing.p")
    assert 0.0001 <= p < 0.05
    assert _squash(f"months (P = {f'{p:.4f}'.rstrip('0').lstrip('0')}) and median OS2") in text
