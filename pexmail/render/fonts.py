"""The fonts pexmail prints with, bundled in the package.

Atkinson Hyperlegible (OFL) was drawn for low-vision readers; DejaVu Sans
(free licence) covers the characters it lacks. System fonts differ between
machines, and a fresh machine may have none: fontconfig is pointed at this
folder only, before any engine starts, so that PDFs do not drift.
"""

from __future__ import annotations

import os
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONTCONFIG_FILE = FONT_DIR / "fonts.conf"

FACES = (
    ("Atkinson Hyperlegible", "normal", "AtkinsonHyperlegible-Regular.ttf"),
    ("Atkinson Hyperlegible", "bold", "AtkinsonHyperlegible-Bold.ttf"),
    ("DejaVu Sans", "normal", "DejaVuSans.ttf"),
    ("DejaVu Sans", "bold", "DejaVuSans-Bold.ttf"),
)
FAMILY = '"Atkinson Hyperlegible", "DejaVu Sans"'


def use_bundled_fonts() -> None:
    """Make fontconfig see the bundled fonts only (call before the first render)."""
    os.environ["FONTCONFIG_FILE"] = str(FONTCONFIG_FILE)


def font_face_css() -> str:
    """``@font-face`` rules pointing at the bundled files (served by the allow-list fetcher)."""
    rules = []
    for family, weight, filename in FACES:
        url = (FONT_DIR / filename).as_uri()
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
            f'font-style: normal; src: url("{url}"); }}'
        )
    return "\n".join(rules)
