"""A small standalone report (``reportgen diff``'s) written as HTML and PDF in the house style."""

from __future__ import annotations

from pathlib import Path

from reportgen.document.model import Document
from reportgen.files import replacing, write_atomically
from reportgen.format.style import HouseStyle
from reportgen.render.html import document_html
from reportgen.render.pdf import write_pdf


def write_report(document: Document, folder: str | Path, stem: str, style: HouseStyle = HouseStyle()
                 ) -> tuple[Path, Path]:
    """``stem.html`` (stylesheet inlined, opens in any browser) and ``stem.pdf`` in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    page = document_html(document, style.css)
    html = write_atomically(folder / f"{stem}.html", page)
    with replacing(folder / f"{stem}.pdf") as scratch:
        write_pdf(document, scratch, css_path=style.css, base_dir=folder, allowed_dirs=(folder,))
    return html, folder / f"{stem}.pdf"
