"""Print files for the mail room: one PDF per letter type, letters in order.

Merged with pypdf from the per-letter PDFs already written, one at a time,
so memory does not grow with the batch.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from pexmail.output.files import write_atomic


def merge_pdfs(paths: Iterable[Path], target: Path) -> int:
    """Concatenate ``paths`` into ``target``; return the number of pages."""
    writer = PdfWriter()
    pages = 0
    for path in paths:
        reader = PdfReader(path)
        for page in reader.pages:
            writer.add_page(page)
            pages += 1
    writer.add_metadata({"/Title": f"pexmail — {target.stem}", "/Producer": "pexmail"})
    buffer = io.BytesIO()
    writer.write(buffer)
    write_atomic(target, buffer.getvalue())
    return pages
