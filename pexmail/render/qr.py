"""QR codes: one PNG per target, made once per batch and shared by every letter.

Making a code costs about 20 ms; its URL is fixed per target, so letters
reference the image (``qr:<target id>``) instead of drawing it each time.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QR_SCHEME = "qr:"


@dataclass(frozen=True)
class QrImage:
    target_id: str
    url: str
    png: bytes
    modules: int  # side, in modules, quiet zone included

    @property
    def src(self) -> str:
        return f"{QR_SCHEME}{self.target_id}"


@lru_cache(maxsize=64)
def make_qr(target_id: str, url: str) -> QrImage:
    """A crisp black-on-white PNG (10 px per module) with the 4-module quiet zone scanners need."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return QrImage(target_id, url, buffer.getvalue(), code.modules_count + 8)
