"""Turning a household's letters into documents: context, templates, engines."""

from pexmail.render.fonts import use_bundled_fonts

# Before any engine loads fontconfig: the bundled fonts only, on every machine.
use_bundled_fonts()
