"""The review Word file: Word's own line numbering on in every section, the stamp and
Word's VML watermark in every header, and the cover first."""

from __future__ import annotations

import html
from datetime import datetime
from io import BytesIO
from pathlib import Path

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn

from reportgen.errors import RenderError
from reportgen.files import write_atomically
from reportgen.render.docx import DEFAULT_DATE, XML_ILLEGAL, insert_ordered, repeatable_zip
from reportgen.render.review.cover import NUMBER_GAP_PT, Cover, check_cover, check_source, stamp_text, text_width_em

# ---- the review DOCX --------------------------------------------------------

#: Schema order of the ``w:sectPr`` children (ECMA-376 CT_SectPr), for placing ``w:lnNumType``.
_SECTPR_ORDER = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar",
                 "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
                 "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
#: Schema order of the ``w:pPr`` children (ECMA-376 CT_PPr), for placing ``w:suppressLineNumbers``.
_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
              "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
              "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
#: Paragraph styles of the house reference document the copy uses when the DOCX has them.
_STAMP_STYLE = "stamp"
_COVER_STYLES = {"title": "title", "kind": "subtitle", "text": "body"}
#: Word's watermark shape type (WordArt "plain text", o:spt 136) as Word itself writes it.
_VML_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
           'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
           'xmlns:w10="urn:schemas-microsoft-com:office:word"')
_TEXT_SHAPE_TYPE = (
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas>'
    + "".join(f'<v:f eqn="{eqn}"/>' for eqn in (
        "sum #0 0 10800", "prod #0 2 1", "sum 21600 0 @1", "sum 0 0 @2", "sum 21600 0 @3", "if @0 @3 0",
        "if @0 21600 @1", "if @0 0 @2", "if @0 @4 21600", "mid @5 @6", "mid @8 @5", "mid @7 @8", "mid @6 @7",
        "sum @6 0 @5"))
    + '</v:formulas><v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
    'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/><v:handles>'
    '<v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles><o:lock v:ext="edit" text="t" shapetype="t"/>'
    "</v:shapetype>"
)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _xml_text(text: str) -> str:
    """Text Word can store (XML-illegal control characters dropped)."""
    return XML_ILLEGAL.sub("", text)


def _style_or_none(doc, name: str):
    """The document's paragraph style ``name``, or None (Word's default) when it has none."""
    try:
        return doc.styles[name]
    except KeyError:
        return None


def _number_lines(section) -> None:
    """Word line numbering in ``section``: every line, restarting on each page, beside the text."""
    numbering = OxmlElement("w:lnNumType")
    numbering.set(qn("w:countBy"), "1")
    numbering.set(qn("w:restart"), "newPage")
    numbering.set(qn("w:distance"), str(round(NUMBER_GAP_PT * 20)))
    insert_ordered(section._sectPr, numbering, _SECTPR_ORDER)


def _watermark_run(stamp: str, section, index: int):
    """A ``w:r`` holding Word's diagonal text watermark (VML textpath), centred on the margins."""
    page_width = section.page_width.pt if section.page_width is not None else 595.3
    room = 0.9 * page_width / 0.7071  # the rotated shape's width plus height
    ratio = max(text_width_em(stamp), 1.0)  # width over height of the stretched text
    width = room * ratio / (ratio + 1)
    height = width / ratio
    style = (f"position:absolute;margin-left:0;margin-top:0;width:{width:.1f}pt;height:{height:.1f}pt;"
             "rotation:315;z-index:-251657216;mso-position-horizontal:center;"
             "mso-position-horizontal-relative:margin;mso-position-vertical:center;"
             "mso-position-vertical-relative:margin")
    return parse_xml(
        f"<w:r {_VML_NS}><w:rPr><w:noProof/></w:rPr><w:pict>{_TEXT_SHAPE_TYPE}"
        f'<v:shape id="ReviewWatermark{index}" o:spid="_x0000_s{2049 + index}" type="#_x0000_t136" '
        f'style="{style}" o:allowincell="f" fillcolor="#bfbfbf" stroked="f">'
        '<v:fill opacity=".5"/>'
        f'<v:textpath style="font-family:&quot;Arial&quot;;font-size:1pt" string="{_esc(_xml_text(stamp))}"/>'
        '<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r>'
    )


def _own_parts(doc, section, number: int) -> tuple[list, list]:
    """The headers and footers of ``section`` with content of their own (a linked one shows the previous's)."""
    kinds = ["", *(["first_page_"] if section.different_first_page_header_footer else []),
             *(["even_page_"] if doc.settings.odd_and_even_pages_header_footer else [])]
    headers = [getattr(section, f"{kind}header") for kind in kinds]
    footers = [getattr(section, f"{kind}footer") for kind in kinds]
    # The first section's header is made if missing (it must carry the stamp); a missing footer stays so.
    headers = [part for part in headers if number == 0 or not part.is_linked_to_previous]
    return headers, [part for part in footers if not part.is_linked_to_previous]


def _unnumbered(part) -> None:
    """Keep a header's or footer's lines out of the line numbering (LibreOffice would count them)."""
    for paragraph in part._element.iter(qn("w:p")):
        insert_ordered(paragraph.get_or_add_pPr(), OxmlElement("w:suppressLineNumbers"), _PPR_ORDER)


def _stamp_headers(doc, stamp: str) -> None:
    """Every section's own headers gain the stamp and the watermark, keeping their content; none is numbered."""
    count = 0
    for number, section in enumerate(doc.sections):
        headers, footers = _own_parts(doc, section, number)
        for header in headers:
            paragraph = header.add_paragraph(_xml_text(stamp), style=_style_or_none(doc, _STAMP_STYLE))
            paragraph._p.append(_watermark_run(stamp, section, count))
            count += 1
        for part in (*headers, *footers):
            _unnumbered(part)


def _insert_cover(doc, cover: Cover) -> None:
    """The cover paragraphs, then a page break, before the first block of the body."""
    body = doc.element.body
    anchor = body[0]
    texts = [
        ("title", cover.study_title),
        ("kind", "Scientific committee review copy"),
        ("text", f"Document: {cover.document}"),
        ("text", f"Reviewer: {cover.reviewer}"),
        ("text", f"Date: {cover.date}"),
        *([("text", f"Data: {cover.lock}")] if cover.lock else []),
        ("kind", f"Comments due by {cover.deadline}"),
        *([("kind", "Instructions")] if cover.instructions else []),
        *(("text", text) for text in cover.instructions),
    ]
    paragraphs = [doc.add_paragraph(_xml_text(text), style=_style_or_none(doc, _COVER_STYLES[role]))
                  for role, text in texts]
    paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    for paragraph in paragraphs:
        anchor.addprevious(paragraph._p)


def review_docx(source: Path, target: Path, cover: Cover) -> None:
    """Write ``target``: the built Word file ``source`` as ``cover.reviewer``'s review copy.

    Word's line numbering is turned on in every section (restarting on each page),
    every section's header keeps its content and gains the stamp and a diagonal
    watermark, and the cover comes first, followed by a page break. The zip entries
    are dated from the source's core properties, so the same arguments give the same
    bytes. Raises ``RenderError`` naming the file when the source is missing or unreadable.
    """
    source = check_source(source, ".docx")
    check_cover(cover)
    try:
        doc = docx.Document(str(source))
    except Exception as error:  # python-docx raises several unrelated types for a bad package
        raise RenderError(f"cannot open the Word file {str(source)!r}: {error}") from error
    for section in doc.sections:
        _number_lines(section)
    _stamp_headers(doc, stamp_text(cover.reviewer, cover.date))
    _insert_cover(doc, cover)
    moment: datetime = doc.core_properties.modified or doc.core_properties.created or DEFAULT_DATE
    buffer = BytesIO()
    doc.save(buffer)
    write_atomically(target, repeatable_zip(buffer.getvalue(), moment))

