"""Review copies: cover, stamp and line numbers on every page, read back from the PDF and the DOCX."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from reportgen.errors import RenderError
from reportgen.format.style import HouseStyle
from reportgen.render.docx import write_docx
from reportgen.render.pdf import write_pdf
from reportgen.render.review import (
    BODY_MARGIN_PT,
    Cover,
    margin_numbers,
    page_line_numbers,
    review_docx,
    review_pdf,
    stamp_text,
    text_lines,
)
from render_sample import manuscript_document, tiny_png

COVER = Cover(
    study_title="TAFA-LEN after CAR T-cell failure: a registry study",
    document="Manuscript",
    reviewer="Dr Ada Reviewer",
    date="2026-11-24",
    deadline="2026-12-15",
    instructions=("Check every number against the tables.", "Cite comments by page and line number."),
    lock="Data lock 2026-Q4 (2026-11-20)",
)
STAMP = stamp_text(COVER.reviewer, COVER.date)
RUNNING_TITLE = "Outcomes after CAR T-cell failure"  # manuscript_document's
VML_SHAPE = "{urn:schemas-microsoft-com:vml}shape"
VML_TEXTPATH = "{urn:schemas-microsoft-com:vml}textpath"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sample manuscript (4 pages: running title, a long table, a figure) as PDF and DOCX."""
    folder = tmp_path_factory.mktemp("built")
    document = manuscript_document(tiny_png(folder / "km.png"))
    style = HouseStyle()
    write_pdf(document, folder / "manuscript.pdf", css_path=style.css, base_dir=folder, allowed_dirs=[folder])
    write_docx(document, folder / "manuscript.docx", reference_docx=style.reference_docx, base_dir=folder)
    return folder


@pytest.fixture(scope="module")
def reviewed(built: Path, tmp_path_factory) -> Path:
    """Two review copies of each file, made by separate calls, in an otherwise empty folder."""
    folder = tmp_path_factory.mktemp("review")
    for run in ("a", "b"):
        review_pdf(built / "manuscript.pdf", folder / f"{run}.pdf", COVER)
        review_docx(built / "manuscript.docx", folder / f"{run}.docx", COVER)
    return folder


def _flat(text: str) -> str:
    return " ".join(text.split())


# ---- PDF -------------------------------------------------------------------


def test_pdf_has_the_cover_then_every_source_page(built: Path, reviewed: Path) -> None:
    source = PdfReader(built / "manuscript.pdf")
    review = PdfReader(reviewed / "a.pdf")
    assert len(source.pages) >= 3
    assert len(review.pages) == len(source.pages) + 1
    for original, copy in zip(source.pages, review.pages[1:]):
        assert (copy.mediabox.width, copy.mediabox.height) == (original.mediabox.width, original.mediabox.height)
        assert text_lines(copy) == text_lines(original)  # the body text is untouched
    cover = review.pages[0]
    assert (cover.mediabox.width, cover.mediabox.height) == (source.pages[0].mediabox.width,
                                                            source.pages[0].mediabox.height)


def test_cover_page_says_what_whom_and_by_when(reviewed: Path) -> None:
    text = _flat(PdfReader(reviewed / "a.pdf").pages[0].extract_text())
    for expected in (COVER.study_title, "Scientific committee review copy", "Manuscript", COVER.reviewer,
                     COVER.date, COVER.lock, "Comments due by 2026-12-15", *COVER.instructions):
        assert expected in text, expected


def test_every_page_carries_the_reviewers_stamp(reviewed: Path) -> None:
    for number, page in enumerate(PdfReader(reviewed / "a.pdf").pages, start=1):
        text = page.extract_text()
        assert STAMP in text, f"page {number}"
        assert "CONFIDENTIAL" in text and COVER.reviewer in text


def test_every_body_line_is_numbered_from_one_at_its_baseline(built: Path, reviewed: Path) -> None:
    source = PdfReader(built / "manuscript.pdf").pages
    review = PdfReader(reviewed / "a.pdf").pages
    for index, page in enumerate(review):
        lines = text_lines(page)
        numbers = page_line_numbers(page)
        assert numbers == list(range(1, len(numbers) + 1)), f"page {index + 1}: {numbers}"
        assert len(numbers) == len(lines) >= 1
        for mark, line in zip(margin_numbers(page), lines):
            assert abs(mark.y - line.y) < 0.05, (index + 1, mark, line)
        if index:  # a cross-check that needs no line finder: pypdf's own text lines of the source page
            assert len(numbers) >= len(_plain_body_rows(source[index - 1])), f"page {index + 1}"


def _plain_body_rows(page) -> list[str]:
    """pypdf's text rows of a source page, less the running header and footer and bare list bullets."""
    rows = [row.strip() for row in page.extract_text().splitlines()]
    return [row for row in rows if row not in ("", "•") and not row.startswith(("Page ", RUNNING_TITLE))]


def test_numbers_sit_in_the_left_margin_and_cover_the_table_rows(reviewed: Path) -> None:
    pages = PdfReader(reviewed / "a.pdf").pages
    found = {}
    for page in pages:
        for line in text_lines(page):
            found.setdefault(line.text, (page, line))
    for row in ("Tisa-cel 21 (40.4%)", "Axi-cel 31 (59.6%)", "Sex, male 30 (57.7%)"):
        page, line = found[row]
        assert any(abs(mark.y - line.y) < 0.05 for mark in margin_numbers(page)), row
    for page in pages:  # the left margin holds the numbers and nothing else
        left, top = float(page.mediabox.left) + BODY_MARGIN_PT, float(page.mediabox.top) - BODY_MARGIN_PT
        in_margin = []

        def visit(text, cm, tm, *_):
            x, y = tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if text.strip() and 0 <= x < left - 1 and BODY_MARGIN_PT < y < top and abs(cm[1]) < 1e-6:
                in_margin.append((text.strip(), x))

        page.extract_text(visitor_text=visit)
        assert in_margin and all(text.isdigit() and x > left / 3 for text, x in in_margin), in_margin


def test_superscripts_stay_on_their_line(built: Path) -> None:
    """``A. Author¹, B. Author¹˒²``: the raised marks must not count as lines of their own."""
    first = text_lines(PdfReader(built / "manuscript.pdf").pages[0])
    authors = [line for line in first if "A. Author" in line.text]
    assert len(authors) == 1 and "B. Author" in authors[0].text
    assert not any(line.text.replace(",", "").replace(" ", "").isdigit() for line in first)


def test_running_header_and_footer_are_not_numbered(built: Path) -> None:
    for page in PdfReader(built / "manuscript.pdf").pages:
        for line in text_lines(page):
            assert not line.text.startswith(("Page ", RUNNING_TITLE)) and "DRAFT" not in line.text, line


def test_pdf_bytes_are_repeatable(reviewed: Path) -> None:
    assert (reviewed / "a.pdf").read_bytes() == (reviewed / "b.pdf").read_bytes()
    metadata = PdfReader(reviewed / "a.pdf").metadata
    assert "/CreationDate" not in metadata and "/ModDate" not in metadata
    assert COVER.reviewer in metadata["/Subject"]


def test_writes_leave_no_temporary_files(reviewed: Path) -> None:
    assert sorted(path.name for path in reviewed.iterdir()) == ["a.docx", "a.pdf", "b.docx", "b.pdf"]


# ---- DOCX ------------------------------------------------------------------


def _sections_ok(doc) -> None:
    for number, section in enumerate(doc.sections):
        sect_pr = section._sectPr
        numbering = sect_pr.find(qn("w:lnNumType"))
        assert numbering is not None, f"section {number}"
        assert numbering.get(qn("w:countBy")) == "1" and numbering.get(qn("w:restart")) == "newPage"
        names = [child.tag.rsplit("}", 1)[1] for child in sect_pr]
        assert names.index("lnNumType") > names.index("pgMar")
        if "cols" in names:
            assert names.index("lnNumType") < names.index("cols")
        header = section.header
        assert STAMP in [paragraph.text for paragraph in header.paragraphs]
        shapes = header._element.iter(VML_SHAPE)  # the shape type also has a (string-less) textpath
        assert [path.get("string") for shape in shapes for path in shape.iter(VML_TEXTPATH)] == [STAMP]


def test_docx_numbers_lines_and_stamps_every_section(reviewed: Path) -> None:
    doc = docx.Document(str(reviewed / "a.docx"))
    _sections_ok(doc)
    header_text = [paragraph.text for paragraph in doc.sections[0].header.paragraphs]
    assert RUNNING_TITLE in header_text  # the running title is kept
    for paragraph in doc.sections[0].header._element.iter(qn("w:p")):
        assert paragraph.pPr.find(qn("w:suppressLineNumbers")) is not None


def test_docx_starts_with_the_cover_and_a_page_break(reviewed: Path) -> None:
    doc = docx.Document(str(reviewed / "a.docx"))
    texts = [paragraph.text for paragraph in doc.paragraphs]
    cover_end = texts.index(COVER.instructions[-1])
    cover = texts[:cover_end + 1]
    assert cover[0] == COVER.study_title and cover[1] == "Scientific committee review copy"
    assert f"Reviewer: {COVER.reviewer}" in cover and "Comments due by 2026-12-15" in cover
    assert set(COVER.instructions) <= set(cover)
    breaks = doc.paragraphs[cover_end]._p.findall(f".//{qn('w:br')}")
    assert [br.get(qn("w:type")) for br in breaks] == ["page"]
    assert texts[cover_end + 1].startswith("Outcomes of tafasitamab-lenalidomide")


def test_docx_bytes_are_repeatable(reviewed: Path) -> None:
    assert (reviewed / "a.docx").read_bytes() == (reviewed / "b.docx").read_bytes()


def test_docx_with_two_sections_stamps_both(built: Path, tmp_path: Path) -> None:
    doc = docx.Document(str(built / "manuscript.docx"))
    doc.add_section()  # a landscape appendix, say; its header is linked to the first one
    doc.save(str(tmp_path / "two.docx"))
    review_docx(tmp_path / "two.docx", tmp_path / "two-review.docx", COVER)
    reviewed = docx.Document(str(tmp_path / "two-review.docx"))
    assert len(reviewed.sections) == 2
    _sections_ok(reviewed)


# ---- bad input --------------------------------------------------------------


@pytest.mark.parametrize("review, name", [(review_pdf, "missing.pdf"), (review_docx, "missing.docx")])
def test_missing_source_is_named(review, name: str, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=name):
        review(tmp_path / name, tmp_path / f"out-{name}", COVER)
    assert list(tmp_path.iterdir()) == []


def test_cover_without_a_reviewer_is_refused(built: Path, tmp_path: Path) -> None:
    anonymous = Cover(**{**COVER.__dict__, "reviewer": " "})
    with pytest.raises(RenderError, match="reviewer"):
        review_pdf(built / "manuscript.pdf", tmp_path / "out.pdf", anonymous)


def test_a_pdf_that_is_not_one_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    with pytest.raises(RenderError, match="broken.pdf"):
        review_pdf(broken, tmp_path / "out.pdf", COVER)
