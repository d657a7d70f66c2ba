"""The HTML writer: semantic markup, one class per role, every text escaped."""

from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reportgen.document.model import Cell, Document, Paragraph, Run, Table, TableRow
from reportgen.format.style import TEMPLATES
from reportgen.render.html import block_html, document_html
from render_sample import HOSTILE, small_document

CSS = TEMPLATES / "house.css"
VOID = {"meta", "img", "col", "br", "link"}


@pytest.fixture()
def page(tmp_path: Path) -> str:
    return document_html(small_document(tmp_path / "km.png"), CSS)


class _Tags(HTMLParser):
    """Records open/close tags to check that the page is well nested."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def test_hostile_text_prints_literally(page: str) -> None:
    assert HOSTILE not in page
    assert "&lt;b&gt;{{ 7*7 }}&lt;/b&gt;" in page
    assert page.count("&lt;b&gt;{{ 7*7 }}&lt;/b&gt;") == 2  # in the paragraph and in the table cell


def test_page_is_well_nested(page: str) -> None:
    parser = _Tags()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []


def test_headings_paragraphs_and_inline_marks(page: str) -> None:
    assert "<h1>Methods</h1>" in page
    assert "<h2>Statistical analysis</h2>" in page
    assert "<h3>Survival</h3>" in page
    assert '<p class="title">' in page
    assert '<p class="to-write">Discussion to be written by the authors.</p>' in page
    assert "<i>Kaplan-Meier</i>" in page and "<b>bold</b>" in page and "<sup>a</sup>" in page
    assert '<li class="list-item">First key point</li>' in page


def test_table_markup(page: str) -> None:
    assert '<p class="table-title"><b>Table 1.</b> Patient characteristics in the TL-post-CAR-T set</p>' in page
    head = page[page.index("<thead>"):page.index("</thead>")]
    assert '<th class="header" colspan="2" scope="colgroup">N = 52</th>' in head
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    assert '<td class="statistic" colspan="2">65.5 (20; 81)</td>' in body
    assert '<td class="level">0-1</td>' in body
    assert '<sup class="mark">*</sup>' in body
    assert '<p class="table-note">ECOG, Eastern Cooperative Oncology Group.</p>' in page
    assert '<col style="width: 50.00%"><col style="width: 25.00%"><col style="width: 25.00%">' in page


def test_figure_and_page_break(page: str, tmp_path: Path) -> None:
    assert f'<img src="{(tmp_path / "km.png").as_uri()}"' in page
    assert (
        '<figcaption class="caption"><b>Figure 2.</b> Progression-free survival. '
        "PFS since the first treatment for progression. <i>NA</i>, not available.</figcaption>"
    ) in page
    assert '<div class="page-break" style="break-before: page"></div>' in page


def test_stamp_and_running_title(tmp_path: Path) -> None:
    document = small_document(tmp_path / "km.png")
    page = document_html(document, CSS)
    assert '<div class="page-running-title">TAFA-LEN after CAR T failure</div>' in page
    assert '<div class="page-stamp stamp">CONFIDENTIAL - review copy</div>' in page
    assert "Reviewer &lt;3" in document_html(document, CSS, stamp="Reviewer <3")
    assert '<div class="page-stamp' not in document_html(document, CSS, stamp="")


def test_stylesheet_inlined_and_date_optional(page: str, tmp_path: Path) -> None:
    assert "@page" in page and "dcterms.created" not in page
    dated = document_html(small_document(tmp_path / "km.png"), CSS, created=datetime(2024, 5, 1, 12, tzinfo=timezone.utc))
    assert '<meta name="dcterms.created" content="2024-05-01T12:00:00Z">' in dated


def test_table_fragment_snapshot() -> None:
    table = Table(
        key="t",
        title="A <small> table",
        header=(TableRow((Cell("", "header"), Cell("N = 3", "header", span=2)), role="header"),),
        body=(TableRow((Cell("Sex, male", "label"), Cell("2", "count"), Cell("(66.7%)", "percent"))),),
        notes=("P < .05",),
        number=3,
    )
    assert block_html(table) == (
        '<div class="table-block short" id="table-t">\n'
        '<p class="table-title"><b>Table 3.</b> A &lt;small&gt; table</p>\n'
        '<table class="data-table"><colgroup><col style="width: 50.00%"><col style="width: 25.00%">'
        '<col style="width: 25.00%"></colgroup>\n'
        '<thead><tr class="row-header"><th class="header" scope="col"></th>'
        '<th class="header" colspan="2" scope="colgroup">N = 3</th></tr></thead>\n'
        '<tbody><tr class="row-body"><td class="label">Sex, male</td><td class="count">2</td>'
        '<td class="percent">(66.7%)</td></tr></tbody></table>\n'
        '<p class="table-note">P &lt; .05</p></div>'
    )


def test_title_is_escaped() -> None:
    page = document_html(Document(title="A & B <i>", blocks=(Paragraph((Run("x"),)),)), CSS)
    assert "<title>A &amp; B &lt;i&gt;</title>" in page
