"""A small standalone report (``reportgen diff``'s) written as HTML and PDF in the house style."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reportgen.document.model import Document
from reportgen.format.style import HouseStyle
from reportgen.render.html import document_html
from reportgen.render.pdf import write_pdf


def _replace_atomically(folder: Path, name: str, write) -> Path:
    """Call ``write(path)`` on a temporary file in ``folder``, then rename it to ``name``."""
    handle, scratch = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    os.close(handle)
    try:
        write(Path(scratch))
        target = folder / name
        os.replace(scratch, target)
        return target
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)


def write_report(document: Document, folder: str | Path, stem: str, style: HouseStyle = HouseStyle()
                 ) -> tuple[Path, Path]:
    """``stem.html`` (stylesheet inlined, opens in any browser) and ``stem.pdf`` in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    page = document_html(document, style.css)
    html = _replace_atomically(folder, f"{stem}.html",
                               lambda path: path.write_text(page, encoding="utf-8"))
    pdf = _replace_atomically(folder, f"{stem}.pdf",
                              lambda path: write_pdf(document, path, css_path=style.css, base_dir=folder,
                                                     allowed_dirs=(folder,)))
    return html, pdf
