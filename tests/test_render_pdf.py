"""The PDF writer: content survives into the PDF, pages are sane, resources are fenced in."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.document.model import Document, Figure
from reportgen.errors import RenderError
from reportgen.format.style import TEMPLATES
from reportgen.render.pdf import SANS_FAMILY, SERIF_FAMILY, safe_url_fetcher, write_pdf
from render_sample import HOSTILE, manuscript_document, small_document, tiny_png

CSS = TEMPLATES / "house.css"
WHEN = datetime(2024, 5, 1, tzinfo=timezone.utc)


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    folder.mkdir()
    tiny_png(folder / "km.png")
    return folder


def _write(document: Document, study: Path, name: str = "out.pdf", **kwargs) -> Path:
    path = study / name
    write_pdf(document, path, css_path=kwargs.pop("css_path", CSS), base_dir=study, allowed_dirs=[study],
              created=WHEN, **kwargs)
    return path


def _text(path: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def test_pdf_holds_table_cells_caption_and_literal_text(study: Path) -> None:
    pages = _text(_write(small_document(study / "km.png"), study))
    text = " ".join(pages)
    for expected in ("N = 52", "First progression after CAR T-cell therapy", "65.5 (20; 81)", "(57.7%)",
                     "Table 1.", "Figure 2.", "Progression-free survival", "ECOG, Eastern Cooperative Oncology Group."):
        assert expected in text
    assert HOSTILE in text
    assert 2 <= len(pages) <= 4  # one explicit page break, a short document


def test_page_furniture_on_every_page(study: Path) -> None:
    pages = _text(_write(small_document(study / "km.png"), study))
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "CONFIDENTIAL - review copy" in text
        assert "TAFA-LEN after CAR T failure" in text


def test_long_table_repeats_its_header(study: Path) -> None:
    pages = _text(_write(manuscript_document(study / "km.png"), study))
    table_pages = [text for text in pages if "(59.6%)" in text or "(88.0%)" in text]
    assert len(table_pages) >= 2, "Table 1 should run over a page"
    for text in table_pages:
        assert "First progression after CAR T-cell therapy" in text and "N = 52" in text


def test_metadata_fonts_and_repeatable_bytes(study: Path) -> None:
    document = small_document(study / "km.png")
    first = _write(document, study, "a.pdf")
    second = _write(document, study, "b.pdf")
    assert first.read_bytes() == second.read_bytes()
    reader = PdfReader(first)
    assert reader.metadata.title == document.title
    assert reader.metadata["/CreationDate"] == "D:20240501000000Z"
    fonts = {str(font["/BaseFont"]) for page in reader.pages
             for font in (page["/Resources"].get("/Font") or {}).values()}
    # The bundled families, whatever the machine has installed (names get a subset prefix).
    assert any(SERIF_FAMILY.replace(" ", "-") in f for f in fonts), fonts
    assert any(SANS_FAMILY.replace(" ", "-") in f for f in fonts), fonts


def test_figure_outside_allowed_dirs_is_refused(study: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = tiny_png(outside / "secret.png")
    document = Document(title="t", blocks=(Figure(key="f", path=str(secret), title="Secret", number=1),))
    with pytest.raises(RenderError, match="outside the allowed folders"):
        _write(document, study)
    assert not (study / "out.pdf").exists()


@pytest.mark.skipif(not Path("/etc/hostname").is_file(), reason="needs /etc/hostname")
def test_system_file_is_refused(study: Path) -> None:
    document = Document(title="t", blocks=(Figure(key="f", path="/etc/hostname", title="Host", number=1),))
    with pytest.raises(RenderError, match="outside the allowed folders"):
        _write(document, study)


def test_symlink_out_of_the_study_is_refused(study: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    target = tiny_png(outside / "secret.png")
    link = study / "innocent.png"
    os.symlink(target, link)
    document = Document(title="t", blocks=(Figure(key="f", path="innocent.png", title="Linked", number=1),))
    with pytest.raises(RenderError, match="outside the allowed folders"):
        _write(document, study)


def test_resource_in_stylesheet_is_refused_by_the_fetcher(study: Path, tmp_path: Path) -> None:
    """A URL that only WeasyPrint sees (here in CSS) still goes through our fetcher and stops the build."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = tiny_png(outside / "secret.png")
    css = tmp_path / "evil.css"
    css.write_text(CSS.read_text() + f'\n.body {{ background-image: url("{secret.as_uri()}"); }}\n')
    with pytest.raises(RenderError, match="outside the allowed folders"):
        _write(small_document(study / "km.png"), study, css_path=css)


def test_fetcher_refuses_network_and_serves_allowed_files(study: Path) -> None:
    fetcher = safe_url_fetcher([study])
    with pytest.raises(RenderError, match="only local files"):
        fetcher.fetch("https://example.org/logo.png")
    with pytest.raises(RenderError, match="outside the allowed folders"):
        fetcher.fetch("file:///etc/passwd")
    response = fetcher.fetch((study / "km.png").as_uri())
    try:
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    finally:
        response.close()


def test_missing_figure_is_an_error(study: Path) -> None:
    document = Document(title="t", blocks=(Figure(key="km", path="missing.png", title="Gone", number=4),))
    with pytest.raises(RenderError, match="Figure 4 .*not found"):
        _write(document, study)


SVG_TEXT = """<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" viewBox="0 0 300 100">
<text x="10" y="30" style="font-size: 12px; font-family: 'DejaVu Sans'">AVATAR Total 52</text>
<text x="10" y="70" dx="0 4 4 4" style="font-size: 12px; font-family: 'DejaVu Sans'">Wide</text>
</svg>"""


def _svg_layouts(tmp_path: Path, whole: bool) -> tuple[list[str], list[str]]:
    """The strings WeasyPrint lays out for SVG text, and the PDF's text as pypdf reads it."""
    import weasyprint
    import weasyprint.text.line_break as line_break

    from reportgen.render.pdf import font_face_css, whole_svg_text

    (tmp_path / "t.svg").write_text(SVG_TEXT, encoding="utf-8")
    laid_out: list[str] = []
    original = line_break.split_first_line
    def counted(text, *args, **kwargs):
        laid_out.append(str(text))
        return original(text, *args, **kwargs)

    html = f"<style>{font_face_css()}</style><img src='{(tmp_path / 't.svg').as_uri()}'>"
    target = tmp_path / f"whole-{whole}.pdf"
    line_break.split_first_line = counted
    try:
        if whole:
            with whole_svg_text():
                weasyprint.HTML(string=html).write_pdf(target)
        else:
            weasyprint.HTML(string=html).write_pdf(target)
    finally:
        line_break.split_first_line = original
    return laid_out, PdfReader(str(target)).pages[0].extract_text().splitlines()


def test_plain_svg_text_is_laid_out_once_and_reads_the_same(tmp_path: Path) -> None:
    """A figure's plain SVG text is laid out as one string, not letter by letter (WeasyPrint's own way);
    text spaced per letter (``dx``) is still laid out per letter; the PDF's text reads the same."""
    per_letter, text_before = _svg_layouts(tmp_path, whole=False)
    whole, text_after = _svg_layouts(tmp_path, whole=True)
    assert per_letter.count("A") == 3 and "AVATAR Total 52" in per_letter
    assert whole.count("AVATAR Total 52") == 2 and "A" not in whole  # measured, then drawn: once each
    assert [s for s in whole if s in "Wide"] == [s for s in per_letter if s in "Wide"]  # dx: per letter, as before
    assert text_after == text_before and text_after[0] == "AVATAR Total 52"
