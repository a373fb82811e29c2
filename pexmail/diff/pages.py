"""Page images of two PDFs, side by side, with what changed highlighted.

A plain pixel difference marks everything below an added line, since the
rest of the page moves down. Instead each document is cut into bands (text
lines, rules, the QR code: runs of pixel rows with ink), the two sequences of
bands are aligned across pages, and only bands with no partner are marked.
A line that moved (to the next page, or because a line above it changed) is
not a change; a paragraph moved elsewhere is marked where it left and where it
arrived.

Lines that moved by a fraction of a pixel are not rasterised identically, so
bands that are not byte-equal are compared again with a small tolerance. A
pair of lines that differ in a few words is marked at those words only.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFilter

DPI = 96  # CSS pixels: 794 x 1123 per A4 page
INK = 200  # a pixel darker than this is ink; light fills (key boxes, table heads) are not
ROW_INK = 8  # a pixel row with fewer ink pixels (table borders, box rules) separates bands
TOLERANCE = 2  # pixels left unexplained in two renderings of one line moved by a fraction
MAX_SHIFT = 2  # vertical misalignment tried, in pixels, when comparing two bands
PAD = 3  # margin around a marked region, in pixels

Box = tuple[int, int, int, int]  # left, top, right, bottom in page pixels

BEFORE_COLOUR = (215, 25, 28)  # red: removed or changed, on the old page
AFTER_COLOUR = (30, 110, 200)  # blue: added or changed, on the new page


@dataclass(frozen=True)
class Band:
    page: int
    top: int
    bottom: int
    key: bytes
    ink: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass
class PagePair:
    """Page ``index`` (from 0) of each version, and the regions marked on each."""

    index: int
    before: Image.Image | None
    after: Image.Image | None
    before_regions: list[Box] = field(default_factory=list)
    after_regions: list[Box] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return (
            self.before is None
            or self.after is None
            or bool(self.before_regions or self.after_regions)
        )

    def image(self, side: str) -> Image.Image | None:
        """The page with its regions highlighted; ``side`` is ``before`` or ``after``."""
        page = self.before if side == "before" else self.after
        if page is None:
            return None
        regions = self.before_regions if side == "before" else self.after_regions
        colour = BEFORE_COLOUR if side == "before" else AFTER_COLOUR
        return highlight(page, regions, colour)


@dataclass
class VisualDiff:
    pages: list[PagePair]
    before_pages: int
    after_pages: int

    @property
    def changed(self) -> bool:
        return any(p.changed for p in self.pages)

    @property
    def changed_pages(self) -> list[int]:
        """Page numbers (from 1) with a change."""
        return [p.index + 1 for p in self.pages if p.changed]

    @property
    def regions(self) -> int:
        return sum(len(p.before_regions) + len(p.after_regions) for p in self.pages)


def rasterise(pdf: bytes, dpi: int = DPI) -> list[Image.Image]:
    """Each page of ``pdf`` as a greyscale image."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [
            document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            for i in range(len(document))
        ]
    finally:
        document.close()


def compare_pdfs(before: bytes, after: bytes, dpi: int = DPI) -> VisualDiff:
    """Rasterise both PDFs and mark what changed on each page."""
    old, new = rasterise(before, dpi), rasterise(after, dpi)
    return compare_pages(old, new)


def compare_pages(old: Sequence[Image.Image], new: Sequence[Image.Image]) -> VisualDiff:
    pairs = [
        PagePair(i, old[i] if i < len(old) else None, new[i] if i < len(new) else None)
        for i in range(max(len(old), len(new)))
    ]
    a = [band for index, page in enumerate(old) for band in _bands(index, page)]
    b = [band for index, page in enumerate(new) for band in _bands(index, page)]
    aligner = _Aligner(old, new)
    removed: list[Band] = []
    added: list[Band] = []
    changed: list[tuple[Band, Band]] = []
    matcher = difflib.SequenceMatcher(None, [x.key for x in a], [x.key for x in b], False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            aligner.unmatched(a[i1:i2], b[j1:j2], removed, added, changed)
    aligner.drop_stationary(removed, added)
    for x, y in changed:
        old_boxes, new_boxes = aligner.word_boxes(x, y)
        pairs[x.page].before_regions += old_boxes
        pairs[y.page].after_regions += new_boxes
    for band in removed:
        pairs[band.page].before_regions.append(aligner.band_box(old, band))
    for band in added:
        pairs[band.page].after_regions.append(aligner.band_box(new, band))
    for pair in pairs:
        pair.before_regions = _merge(pair.before_regions)
        pair.after_regions = _merge(pair.after_regions)
    return VisualDiff(pairs, len(old), len(new))


def _ink_mask(image: Image.Image) -> Image.Image:
    return image.point(lambda v: 255 if v < INK else 0)


def _bands(page: int, image: Image.Image) -> list[Band]:
    width, height = image.size
    mask = _ink_mask(image).tobytes()
    counts = [mask.count(255, y * width, (y + 1) * width) for y in range(height)]
    bands: list[Band] = []
    top = None
    for y, count in enumerate([*counts, 0]):
        if count > ROW_INK and top is None:
            top = y
        elif count <= ROW_INK and top is not None:
            crop = image.crop((0, top, width, y)).tobytes()
            key = hashlib.blake2b(crop, digest_size=16).digest()
            bands.append(Band(page, top, y, key, sum(counts[top:y])))
            top = None
    return bands


class _Aligner:
    """Pairs bands that are the same line rendered a fraction of a pixel apart."""

    def __init__(self, old: Sequence[Image.Image], new: Sequence[Image.Image]) -> None:
        self.pages = {"old": old, "new": new}

    def crop(self, pages: Sequence[Image.Image], band: Band) -> Image.Image:
        page = pages[band.page]
        return page.crop((0, band.top, page.width, band.bottom))

    def similar(self, x: Band, y: Band) -> bool:
        if abs(x.height - y.height) > MAX_SHIFT or min(x.ink, y.ink) < max(x.ink, y.ink) * 0.45:
            return False
        mask, _ = self._difference(x, y)
        return _count(mask) <= TOLERANCE

    def _difference(self, x: Band, y: Band) -> tuple[Image.Image, int]:
        """Blurred difference of two bands at their best vertical offset, and that offset."""
        a = self.crop(self.pages["old"], x)
        b = self.crop(self.pages["new"], y)
        height = max(a.height, b.height) + 2 * MAX_SHIFT
        canvas_a = Image.new("L", (a.width, height), 255)
        canvas_a.paste(a, (0, MAX_SHIFT))
        best: tuple[int, Image.Image, int] | None = None
        for shift in range(-MAX_SHIFT, MAX_SHIFT + 1):
            canvas_b = Image.new("L", (b.width, height), 255)
            canvas_b.paste(b, (0, MAX_SHIFT + shift))
            mask = unexplained(canvas_a, canvas_b)
            count = _count(mask)
            if best is None or count < best[0]:
                best = (count, mask, shift)
        assert best is not None
        return best[1], best[2]

    def unmatched(
        self,
        left: Sequence[Band],
        right: Sequence[Band],
        removed: list[Band],
        added: list[Band],
        changed: list[tuple[Band, Band]],
    ) -> None:
        """Sort the bands of one unequal stretch: same line moved a fraction (dropped),
        one line changed in place (``changed``), else ``removed`` and ``added``."""
        i = j = 0
        for mi, mj in [*self._lcs(left, right), (len(left), len(right))]:
            run_a, run_b = left[i:mi], right[j:mj]
            if run_a and len(run_a) == len(run_b):
                for x, y in zip(run_a, run_b, strict=True):
                    if abs(x.height - y.height) <= MAX_SHIFT:
                        changed.append((x, y))
                    else:
                        removed.append(x)
                        added.append(y)
            else:
                removed.extend(run_a)
                added.extend(run_b)
            i, j = mi + 1, mj + 1

    def drop_stationary(self, removed: list[Band], added: list[Band]) -> None:
        """Running headers and footers the alignment left out (it follows the text, and
        they are outside it): same thing at the same place of the same page is no change."""
        for x in list(removed):
            for y in added:
                if x.page == y.page and abs(x.top - y.top) <= MAX_SHIFT and self.similar(x, y):
                    removed.remove(x)
                    added.remove(y)
                    break

    def _lcs(self, left: Sequence[Band], right: Sequence[Band]) -> list[tuple[int, int]]:
        n, m = len(left), len(right)
        if n * m > 40_000:  # a whole letter rewritten: nothing to pair
            return []
        table = [[0] * (m + 1) for _ in range(n + 1)]
        for i in range(n - 1, -1, -1):
            for j in range(m - 1, -1, -1):
                if self.similar(left[i], right[j]):
                    table[i][j] = table[i + 1][j + 1] + 1
                else:
                    table[i][j] = max(table[i + 1][j], table[i][j + 1])
        pairs: list[tuple[int, int]] = []
        i = j = 0
        while i < n and j < m:
            if table[i][j] == table[i + 1][j + 1] + 1 and self.similar(left[i], right[j]):
                pairs.append((i, j))
                i, j = i + 1, j + 1
            elif table[i + 1][j] >= table[i][j + 1]:
                i += 1
            else:
                j += 1
        return pairs

    def band_box(self, pages: Sequence[Image.Image], band: Band) -> Box:
        crop = self.crop(pages, band)
        bbox = _ink_mask(crop).getbbox() or (0, 0, crop.width, crop.height)
        return _padded((bbox[0], band.top, bbox[2], band.bottom), pages[band.page].size)

    def word_boxes(self, x: Band, y: Band) -> tuple[list[Box], list[Box]]:
        """The spans of two lines that differ, in each page's coordinates."""
        mask, _ = self._difference(x, y)
        spans = _spans(mask)
        if not spans:
            return [self.band_box(self.pages["old"], x)], [self.band_box(self.pages["new"], y)]
        size_old = self.pages["old"][x.page].size
        size_new = self.pages["new"][y.page].size
        old = [_padded((left, x.top, right, x.bottom), size_old) for left, right in spans]
        new = [_padded((left, y.top, right, y.bottom), size_new) for left, right in spans]
        return old, new


def unexplained(a: Image.Image, b: Image.Image, threshold: int = 64) -> Image.Image:
    """Pixels of either image that no pixel next to the same place in the other explains.

    A line moved by a fraction of a pixel gives each pixel a value between those
    of its neighbours in the other rendering; a changed glyph, even a comma for
    a full stop, gives ink where the other image has none nearby.
    """
    masks = []
    for x, y in ((a, b), (b, a)):
        darkest = y.filter(ImageFilter.MinFilter(3))
        lightest = y.filter(ImageFilter.MaxFilter(3))
        darker = ImageChops.subtract(darkest, x)  # x has ink where y has none nearby
        lighter = ImageChops.subtract(x, lightest)  # x is blank where y is all ink
        masks.append(ImageChops.lighter(darker, lighter))
    return ImageChops.lighter(*masks).point(lambda v: 255 if v > threshold else 0)


def _count(mask: Image.Image) -> int:
    return mask.histogram()[255]


def _spans(mask: Image.Image, gap: int = 12) -> list[tuple[int, int]]:
    """Column ranges where ``mask`` has pixels, ranges closer than ``gap`` joined."""
    column = mask.resize((mask.width, 1), Image.Resampling.BOX).tobytes()
    spans: list[tuple[int, int]] = []
    for x, value in enumerate(column):
        if not value:
            continue
        if spans and x - spans[-1][1] <= gap:
            spans[-1] = (spans[-1][0], x + 1)
        else:
            spans.append((x, x + 1))
    return spans


def _padded(box: Box, size: tuple[int, int]) -> Box:
    left, top, right, bottom = box
    return (
        max(0, left - PAD),
        max(0, top - PAD),
        min(size[0], right + PAD),
        min(size[1], bottom + PAD),
    )


def _merge(boxes: list[Box]) -> list[Box]:
    """Join regions that touch, so that a changed paragraph is one region."""
    merged: list[Box] = []
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        for index, other in enumerate(merged):
            if _touch(box, other):
                merged[index] = (
                    min(box[0], other[0]),
                    min(box[1], other[1]),
                    max(box[2], other[2]),
                    max(box[3], other[3]),
                )
                break
        else:
            merged.append(box)
    if len(merged) < len(boxes):
        return _merge(merged)
    return merged


def _touch(a: Box, b: Box, gap: int = 14) -> bool:
    return a[0] <= b[2] + gap and b[0] <= a[2] + gap and a[1] <= b[3] + gap and b[1] <= a[3] + gap


def highlight(
    page: Image.Image, regions: Sequence[Box], colour: tuple[int, int, int]
) -> Image.Image:
    """The page in colour with each region tinted and outlined, and a bar in the left margin
    so that a small change is seen at a glance."""
    image = page.convert("RGB")
    if not regions:
        return image
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, top, right, bottom in regions:
        draw.rectangle(
            (left, top, right, bottom), fill=(*colour, 48), outline=(*colour, 255), width=2
        )
        draw.rectangle((0, top, 7, bottom), fill=(*colour, 255))
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def png_data_uri(image: Image.Image) -> str:
    """A compact PNG (64-colour palette: text pages need no more) as a data: URI."""
    buffer = io.BytesIO()
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(
        buffer, format="PNG", optimize=True
    )
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
