"""A template cannot reach outside the study: Jinja's sandbox, no file outside the
template folders, no markup or image of its own, and nothing fetched by the PDF writer
but the study's and the build's own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.analysis.results import ResultSet
from reportgen.document.markdown import parse_markdown
from reportgen.document.model import Document
from reportgen.errors import RenderError
from reportgen.format.style import HouseStyle
from reportgen.format.text import TextFormatter
from reportgen.render.docx import write_docx
from reportgen.render.html import document_html
from reportgen.render.pdf import write_pdf
from reportgen.render.templates import render_template

STYLE = HouseStyle()
SECRET = "contents of a file outside the study"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file beside the study folder that no template may read."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    (tmp_path / "study").mkdir()
    return path


def _render(folder: Path, template: str) -> str:
    (folder / "t.md.j2").write_text(template, encoding="utf-8")
    return render_template("t.md.j2", (folder,), TextFormatter(ResultSet(()), STYLE), {})


@pytest.mark.parametrize("include", ["../secret.txt", "/{secret}", "study/../../secret.txt"])
def test_a_template_cannot_include_a_file_outside_its_folders(secret, include):
    with pytest.raises(RenderError, match="not found"):
        _render(secret.parent / "study", "{% include '" + include.format(secret=secret) + "' %}")


@pytest.mark.parametrize("escape", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ table.__globals__ }}",
])
def test_the_sandbox_refuses_reaching_into_python(secret, escape):
    with pytest.raises(RenderError):
        _render(secret.parent / "study", escape)


def test_markup_and_images_in_a_template_stay_text_in_every_writer(secret, tmp_path):
    """Raw HTML, a Markdown image and a link to the secret file: printed as text, fetched never."""
    folder = secret.parent / "study"
    markdown = _render(folder, f'<img src="file://{secret}"> ![x]({secret}) [y](file://{secret})\n')
    document = Document("t", parse_markdown(markdown, {}, {}))
    page = document_html(document, STYLE.css)
    assert f'&lt;img src=&quot;file://{secret}&quot;&gt;' in page and "<img" not in page
    pdf, docx = tmp_path / "t.pdf", tmp_path / "t.docx"
    write_pdf(document, pdf, css_path=STYLE.css, base_dir=folder, allowed_dirs=(folder,))
    write_docx(document, docx, reference_docx=STYLE.reference_docx, base_dir=folder)
    from docx import Document as WordDocument
    from pypdf import PdfReader

    assert "<img src=" in PdfReader(str(pdf)).pages[0].extract_text()
    assert "<img src=" in WordDocument(str(docx)).paragraphs[0].text
    assert SECRET.encode() not in pdf.read_bytes() and SECRET.encode() not in docx.read_bytes()
