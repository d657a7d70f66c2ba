"""Layer 5: the writers, and the only importers of WeasyPrint and python-docx.

Both writers read only the document model (``reportgen.document.model``), so the
PDF and the Word file cannot differ in content; their looks come from
``reportgen/templates/house.css`` and ``reportgen/templates/reference.docx``, one style per role.
WeasyPrint itself is imported only when a PDF is written (it is slow to load).
"""

from __future__ import annotations

from reportgen.render.docx import write_docx
from reportgen.render.html import document_html
from reportgen.render.pdf import write_pdf

__all__ = ["document_html", "write_docx", "write_pdf"]
