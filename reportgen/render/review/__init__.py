"""Per-reviewer review copies of an already-built manuscript, as PDF and DOCX.

The scientific committee reviews one frozen build. Each member gets a copy of their
own: a cover page (what is reviewed, by whom, by when, how), the reviewer's name and
the date in a diagonal watermark on every page (a copy that travels says whose it
was), and line numbers, so a comment can say "p. 4, l. 12".

PDF: pypdf reads the built PDF and finds the baselines of its body lines from the
text matrices; WeasyPrint draws the cover page and one transparent overlay page per
page (watermark and numbers, in the bundled fonts); pypdf merges each overlay onto
its page. Only the built file is read, so the copy shows exactly what was built.

DOCX: python-docx turns on Word's own line numbering in every section, adds the
stamp and Word's VML watermark to the page headers, and puts the cover first.

Both outputs are repeatable (same inputs, same bytes) and written atomically.
The PDF copy is made in ``pdf_copy``, the Word copy in ``docx_copy``; ``cover``
holds what both share.
"""


from reportgen.render.review.cover import BODY_MARGIN_PT, Cover, stamp_text
from reportgen.render.review.docx_copy import review_docx
from reportgen.render.review.pdf_copy import MarginNumber, TextLine, margin_numbers, page_line_numbers, review_pdf, text_lines

__all__ = ["BODY_MARGIN_PT", "Cover", "MarginNumber", "TextLine", "margin_numbers", "page_line_numbers", "review_docx", "review_pdf",
           "stamp_text", "text_lines"]
