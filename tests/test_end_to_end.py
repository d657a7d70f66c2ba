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

from reference_tables import TABLE1_MISSING, TABLE1_ROWS, TABLE3_MISSING, TABLE3_ROWS
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
                                                      (1, TABLE3_ROWS, TABLE3_MISSING)])
def test_docx_tables_carry_the_published_counts(docx_tables, index, expected, missing):
    body = _body_rows(docx_tables[index])
    _expected_rows_in_order(body, expected)
    assert [int(cells[0]) for label, cells in body if label == "Missing"] == missing


def test_docx_table_headers(docx_tables):
    assert docx_tables[0][1][-1] == "N = 52"
    assert docx_tables[1][1][-1] == "N = 15"


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
    assert "Supplemental Table 1)" in pdf_text
    assert _squash("Weighted survival, TAFA-LEN vs other treatments") in _squash(pdf_text)
    assert "according to IPW" in pdf_text
