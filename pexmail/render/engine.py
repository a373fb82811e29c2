"""The PDF engines: one interface, two ways of laying out the same letter text.

``weasyprint`` prints the sender's HTML layout around the letter's HTML body
(the reference). ``typst`` converts the same body, parsed into blocks by
:mod:`pexmail.render.body`, into a Typst layout of the same sender; it costs
about a tenth of the CPU. Both take the same context and the same rendered
text, so a letter's wording is never kept twice.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pexmail.catalog.load import Catalog
    from pexmail.render.qr import QrImage
    from pexmail.render.templates import LetterParts, Templates


# (finalizer, folder, the process that made it): a forked worker inherits its parent's.
_SCRATCH: list[tuple[Finalize, Callable[[], Path | str | None], int]] = []


def remove_when_done(owner: object, folder: Callable[[], Path | str | None]) -> Finalize:
    """Remove an engine's scratch folder when ``owner`` is collected, closed (call the
    returned finalizer) or its process ends. Pool workers leave through ``os._exit``, which
    skips ``atexit``, ``weakref.finalize`` and ``__del__``; multiprocessing's finalizers
    still run there. ``folder`` must not hold ``owner``, or it would never be collected."""
    finalizer = Finalize(owner, _remove_folder, args=(folder,), exitpriority=0)
    _SCRATCH[:] = [entry for entry in _SCRATCH if entry[0].still_active()]
    _SCRATCH.append((finalizer, folder, os.getpid()))
    return finalizer


def remove_scratch_folders() -> None:
    """Remove every engine's scratch folder now: for a worker about to ``os._exit`` because
    its batch was killed (scratch folders hold layouts, QR images and fonts, no case data).
    Each folder is removed here even if its finalizer has started: the signal that brings a
    worker here may have interrupted that finalizer half-way through the folder."""
    while _SCRATCH:
        finalizer, folder, maker = _SCRATCH.pop()
        if maker == os.getpid():
            finalizer.cancel()
            _remove_folder(folder)


def lay_out_on_one_thread() -> None:
    """For a batch worker, before its first compile: Typst lays out on a pool of threads,
    one per core. Workers are already one per core, so those threads only take turns
    with the other workers' (measured: 4% more CPU a letter in a pool of two, 12% more in
    one process). ``RAYON_NUM_THREADS`` sizes that pool when it starts; a value set by
    the user is kept."""
    os.environ.setdefault("RAYON_NUM_THREADS", "1")


def _remove_folder(folder: Callable[[], Path | str | None]) -> None:
    path = folder()
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


ENGINES = ("weasyprint", "typst")
# One default for every command, chosen from the benchmark: Typst prints the same text, is
# tested to print the same pages as WeasyPrint, and makes 90 to 100 letters/s on 2 cores, about
# 25 times WeasyPrint (the README has the figures). WeasyPrint stays the reference (the diff,
# envelopes).
DEFAULT_ENGINE = "typst"

# pexmail's names for the PDF variants, and what each engine calls them.
# WeasyPrint: its ``pdf_variant`` names. Typst: its ``pdf_standards`` names
# (PDF/UA-1 needs the tagged output Typst writes by default).
PDF_VARIANTS = ("pdf/a-3b", "pdf/a-3u", "pdf/a-2b", "pdf/ua-1")
ENGINE_VARIANTS: dict[str, dict[str, str]] = {
    "weasyprint": {
        "pdf/a-3b": "pdf/a-3b",
        "pdf/a-3u": "pdf/a-3u",
        "pdf/a-2b": "pdf/a-2b",
        "pdf/ua-1": "pdf/ua-1",
    },
    "typst": {
        "pdf/a-3b": "a-3b",
        "pdf/a-3u": "a-3u",
        "pdf/a-2b": "a-2b",
        "pdf/ua-1": "ua-1",
    },
}


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    layout: Any = None  # what an engine's ``inspect`` hook made of the laid-out document


class PdfEngine(Protocol):
    """Lays out one letter: the sender's layout around the letter's subject and body."""

    name: str

    def check_layout(self, layout: str) -> None:
        """Raise :class:`pexmail.errors.TemplateError` if the sender's layout cannot be used."""
        ...

    def render(
        self, layout: str, context: Mapping[str, Any], parts: LetterParts
    ) -> RenderedPdf: ...


def check_variant(engine: str, variant: str | None) -> str | None:
    """The engine's own name for a pexmail PDF variant; ValueError when it has none."""
    if engine not in ENGINES:
        raise ValueError(f"unknown PDF engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if variant is None:
        return None
    if variant not in PDF_VARIANTS:
        raise ValueError(
            f"unknown PDF variant {variant!r}; expected one of {', '.join(PDF_VARIANTS)}"
        )
    native = ENGINE_VARIANTS[engine].get(variant)
    if native is None:
        raise ValueError(f"the {engine} engine cannot write {variant}")
    return native


def make_pdf_engine(
    name: str,
    catalog: Catalog,
    templates: Templates,
    qr_images: Mapping[str, QrImage],
    variant: str | None = None,
) -> PdfEngine:
    """The engine called ``name``; each is imported only when used (WeasyPrint loads Pango)."""
    check_variant(name, variant)
    if name == "typst":
        from pexmail.render.typst import TypstEngine

        return TypstEngine(catalog, qr_images, variant)
    from pexmail.render.pdf import WeasyPrintEngine

    return WeasyPrintEngine(catalog, templates, qr_images, variant)
