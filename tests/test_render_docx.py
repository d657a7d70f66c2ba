"""The DOCX writer, read back with python-docx: same grid, role styles, Word-only table features."""

from __future__ import annotations

import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Inches

from reportgen.document.model import Document, Figure, Paragraph, Run
from reportgen.errors import RenderError
from reportgen.format.style import TEMPLATES
from reportgen.render.docx import write_docx
from render_sample import HOSTILE, small_document, small_table, table_one, tiny_png

REFERENCE = TEMPLATES / "reference.docx"
WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)


@pytest.fixture()
def written(tmp_path: Path) -> Path:
    tiny_png(tmp_path / "km.png")
    path = tmp_path / "out.docx"
    write_docx(small_document(tmp_path / "km.png"), path, reference_docx=REFERENCE, created=WHEN)
    return path


def _expected_grid(table) -> list[list[str]]:
    """The model's grid as python-docx reads it back: a merged cell repeats its text per grid column."""
    return [
        [cell.text + cell.mark for cell in row.cells for _ in range(cell.span)]
        for row in (*table.header, *table.body)
    ]


def _style_id(doc, role: str) -> str:
    return doc.styles[role].style_id


def test_table_grid_matches_the_model(written: Path) -> None:
    doc = docx.Document(str(written))
    (table,) = doc.tables
    got = [[cell.text for cell in row.cells] for row in table.rows]
    assert got == _expected_grid(small_table())
    assert got[-1][0] == HOSTILE + "*"  # stored literally, its mark after it


def test_spans_are_merged_cells(written: Path) -> None:
    doc = docx.Document(str(written))
    rows = doc.tables[0]._tbl.tr_lst
    assert len(rows[0].tc_lst) == 2 and rows[0].tc_lst[1].grid_span == 2  # "N = 52" header span
    statistic_row = rows[3]  # Median (min; max) | 65.5 (20; 81) over count and percent
    assert [tc.grid_span for tc in statistic_row.tc_lst] == [1, 2]


def test_header_rows_repeat_and_rows_do_not_split(written: Path) -> None:
    rows = docx.Document(str(written)).tables[0]._tbl.tr_lst
    header = [tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None for tr in rows]
    assert header == [True, True] + [False] * (len(rows) - 2)
    assert all(tr.trPr.find(qn("w:cantSplit")) is not None for tr in rows)


def test_journal_rules_and_width(written: Path) -> None:
    doc = docx.Document(str(written))
    tbl = doc.tables[0]._tbl
    assert doc.tables[0].style.name == "house-table"
    first, last_header = tbl.tr_lst[0], tbl.tr_lst[1]
    assert all(tc.tcPr.find(f"{qn('w:tcBorders')}/{qn('w:top')}") is not None for tc in first.tc_lst)
    assert all(tc.tcPr.find(f"{qn('w:tcBorders')}/{qn('w:bottom')}") is not None for tc in last_header.tc_lst)
    section = doc.sections[-1]
    text_width_twips = (section.page_width - section.left_margin - section.right_margin) // 635
    grid = [int(col.get(qn("w:w"))) for col in tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(sum(grid) - text_width_twips) <= 3
    assert grid[0] == pytest.approx(sum(grid) / 2, abs=2)  # label column takes half


def test_cells_use_their_role_styles(written: Path) -> None:
    doc = docx.Document(str(written))
    model_rows = (*small_table().header, *small_table().body)
    for tr, row in zip(doc.tables[0]._tbl.tr_lst, model_rows):
        styles = [tc.p_lst[0].pPr.pStyle.val for tc in tr.tc_lst]
        assert styles == [_style_id(doc, cell.role) for cell in row.cells]


def test_paragraphs_use_role_styles_and_runs_keep_marks(written: Path) -> None:
    doc = docx.Document(str(written))
    by_style = {}
    for paragraph in doc.paragraphs:
        by_style.setdefault(paragraph.style.style_id, []).append(paragraph)
    for role in ("title", "authors", "body", "list-item", "to-write", "table-title", "table-note", "caption", "reference"):
        assert _style_id(doc, role) in by_style, role
    for level in (1, 2, 3):
        assert _style_id(doc, f"Heading {level}") in by_style
    body = by_style[_style_id(doc, "body")][0]
    marks = {run.text: (run.bold, run.italic, run.font.superscript) for run in body.runs}
    assert marks["Kaplan-Meier"] == (None, True, None)
    assert marks["bold"] == (True, None, None)
    assert marks["a"] == (None, None, True)
    assert body.text.endswith(HOSTILE)
    title = by_style[_style_id(doc, "table-title")][0]
    assert [(run.text, run.bold) for run in title.runs] == [
        ("Table 1.", True), (" Patient characteristics in the TL-post-CAR-T set", None)]
    caption = by_style[_style_id(doc, "caption")][0]
    assert caption.text.startswith("Figure 2. Progression-free survival. PFS since")


def test_figure_and_page_break(written: Path) -> None:
    doc = docx.Document(str(written))
    (shape,) = doc.inline_shapes
    assert shape.width == Inches(4.0)
    breaks = doc.element.body.findall(f".//{qn('w:br')}")
    assert [br.get(qn("w:type")) for br in breaks] == ["page"]


def test_figure_is_capped_to_the_text_width(tmp_path: Path) -> None:
    tiny_png(tmp_path / "km.png")
    document = Document(title="t", blocks=(Figure(key="f", path="km.png", title="Wide", number=1, width_inches=12.0),))
    write_docx(document, tmp_path / "out.docx", reference_docx=REFERENCE, base_dir=tmp_path)
    doc = docx.Document(str(tmp_path / "out.docx"))
    section = doc.sections[-1]
    assert doc.inline_shapes[0].width == section.page_width - section.left_margin - section.right_margin


def test_header_and_footer(written: Path) -> None:
    doc = docx.Document(str(written))
    section = doc.sections[-1]
    header = [(p.style.style_id, p.text) for p in section.header.paragraphs]
    assert header == [("stamp", "CONFIDENTIAL - review copy"), ("running-title", "TAFA-LEN after CAR T failure")]
    footer = section.footer.paragraphs[0]
    instructions = [el.text.strip() for el in footer._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert footer.text.startswith("Page ") and " of " in footer.text


def test_body_of_the_reference_is_cleared_and_page_kept(tmp_path: Path) -> None:
    reference = docx.Document(str(REFERENCE))
    reference.add_paragraph("LEFTOVER FROM THE TEMPLATE")
    reference.save(str(tmp_path / "ref.docx"))
    write_docx(Document(title="t", blocks=(Paragraph((Run("Only this."),)),)), tmp_path / "out.docx",
               reference_docx=tmp_path / "ref.docx")
    doc = docx.Document(str(tmp_path / "out.docx"))
    assert [p.text for p in doc.paragraphs] == ["Only this."]
    assert doc.sections[-1].page_width == reference.sections[-1].page_width


def test_repeatable_bytes_and_dates(tmp_path: Path) -> None:
    tiny_png(tmp_path / "km.png")
    document = small_document(tmp_path / "km.png")
    write_docx(document, tmp_path / "a.docx", reference_docx=REFERENCE, created=WHEN)
    write_docx(document, tmp_path / "b.docx", reference_docx=REFERENCE, created=WHEN)
    assert (tmp_path / "a.docx").read_bytes() == (tmp_path / "b.docx").read_bytes()
    props = docx.Document(str(tmp_path / "a.docx")).core_properties
    assert props.created == props.modified == WHEN
    assert props.title == document.title
    with zipfile.ZipFile(tmp_path / "a.docx") as package:
        assert {info.date_time for info in package.infolist()} == {(2024, 5, 1, 9, 30, 0)}


def test_long_table_is_one_word_table(tmp_path: Path) -> None:
    document = Document(title="t", blocks=(table_one(),))
    write_docx(document, tmp_path / "t1.docx", reference_docx=REFERENCE)
    (table,) = docx.Document(str(tmp_path / "t1.docx")).tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == _expected_grid(table_one())


def test_missing_style_in_reference_is_a_render_error(tmp_path: Path) -> None:
    docx.Document().save(str(tmp_path / "plain.docx"))  # python-docx's blank template: no house styles
    document = Document(title="t", blocks=(Paragraph((Run("x"),), role="to-write"),))
    with pytest.raises(RenderError, match="'to-write' is not defined in the reference document"):
        write_docx(document, tmp_path / "out.docx", reference_docx=tmp_path / "plain.docx")


def test_missing_figure_is_a_render_error(tmp_path: Path) -> None:
    document = Document(title="t", blocks=(Figure(key="km", path="nope.png", title="Gone", number=3),))
    with pytest.raises(RenderError, match="Figure 3 .*not found"):
        write_docx(document, tmp_path / "out.docx", reference_docx=REFERENCE, base_dir=tmp_path)
