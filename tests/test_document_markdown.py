"""Template Markdown → document blocks; numbering and cross-references."""

import pytest

from reportgen.document.markdown import parse_markdown
from reportgen.document.model import BulletList, Heading, PageBreak, Paragraph, Run, Table, TableRow, Cell, Figure
from reportgen.document.passes import number_blocks, resolve_references
from reportgen.errors import RenderError

TABLE = Table("t1", "A table", header=(TableRow((Cell("", "header"), Cell("N = 3", "header")), "header"),),
              body=(TableRow((Cell("Age", "label"), Cell("3", "count"))),))
FIGURE = Figure("f1", "figure.png", "A figure")


def test_headings_paragraphs_marks_and_lists():
    blocks = parse_markdown("# Results\n\nSome **bold** and *italic* text^1^.\n\n- one\n- two\n", {}, {})
    assert blocks[0] == Heading(1, (Run("Results"),))
    assert blocks[1] == Paragraph((Run("Some "), Run("bold", bold=True), Run(" and "), Run("italic", italic=True),
                                   Run(" text"), Run("1", superscript=True), Run(".")))
    assert blocks[2] == BulletList(((Run("one"),), (Run("two"),)))


def test_directives_place_tables_figures_and_breaks():
    blocks = parse_markdown("::table t1\n\n::pagebreak\n\n::figure f1\n", {"t1": TABLE}, {"f1": FIGURE})
    assert blocks == (TABLE, PageBreak(), FIGURE)


def test_unknown_table_names_the_key():
    with pytest.raises(RenderError, match="table 'nope'"):
        parse_markdown("::table nope\n", {"t1": TABLE}, {})


def test_role_marker_and_literal_html():
    blocks = parse_markdown("{.to-write} Authors write this.\n\n<b>{{ 7*7 }}</b>\n", {}, {})
    assert blocks[0] == Paragraph((Run("Authors write this."),), role="to-write")
    assert "".join(run.text for run in blocks[1].runs) == "<b>{{ 7*7 }}</b>"


def test_numbering_and_references():
    blocks = parse_markdown("See [[ref:f1]] and [[ref:t1]].\n\n::figure f1\n\n::table t1\n", {"t1": TABLE},
                            {"f1": FIGURE})
    numbered, labels = number_blocks(blocks)
    assert labels == {"f1": "Figure 1", "t1": "Table 1"}
    resolved = resolve_references(numbered, labels)
    assert resolved[0].runs[0].text == "See Figure 1 and Table 1."
    with pytest.raises(RenderError, match="reference to 'zz'"):
        resolve_references(parse_markdown("[[ref:zz]]", {}, {}), labels)
