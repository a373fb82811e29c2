"""PDF with Typst: the same letter text, about ten times less CPU than WeasyPrint.

The letter's wording is written once, in its HTML template. Here the rendered
HTML body is parsed into blocks (:mod:`pexmail.render.body`), and the blocks,
with the words the layout prints (sender, address, place and date, labels),
are handed to the sender's Typst layout as a JSON file in the compiler's
private root. The layout (``templates/layouts/<layout>.typ``) turns them into
content with the shared functions of ``templates/assets/letter.typ``.

Why a file and not ``sys.inputs``: Typst keeps the layout of each paragraph
from one compile to the next, keyed on what it depends on. ``sys.inputs`` is
part of Typst's standard library, on which everything depends, so new inputs
throw the whole cache away; a file is read by the one call that asks for it.
Letters of one type share most of their paragraphs, so a worker lays out only
what differs from the letters before (9 ms a letter instead of 23).

Safe by construction:

- case data is never Typst source: it arrives as JSON strings, read with
  ``json()``, which Typst prints as text, so ``#read(...)``, ``$x$``, ``*``,
  ``//`` stay literal;
- the compiler's root is a private folder holding only copies of the Typst
  layouts and assets and the batch's QR images: nothing else can be read;
- fonts are the bundled ones only (no system or embedded fonts);
- package imports are refused before compiling (:func:`check_typst_source`)
  and the package folders point at an empty private folder.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typst

from pexmail.catalog.load import Catalog
from pexmail.errors import RenderError, TemplateError
from pexmail.render import french
from pexmail.render.body import (
    Block,
    BodyError,
    Box,
    Image,
    LineBreak,
    ListBlock,
    Paragraph,
    Run,
    Table,
)
from pexmail.render.engine import RenderedPdf, check_variant, remove_when_done
from pexmail.render.fonts import FONT_DIR
from pexmail.render.qr import QR_SCHEME, QrImage
from pexmail.render.templates import LetterParts

TYPST_SUFFIX = ".typ"
ASSET_DIR = "assets"
LAYOUT_DIR = "layouts"
# The one letter being compiled, rewritten for each: Typst rereads a file whose
# bytes changed (it compares a hash of them), and a fixed name keeps the main
# source, and so its evaluation, the same from letter to letter.
DATA_FILE = "data/letter.json"
_LAYOUT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_DIAGNOSTIC_POSITION = re.compile(r"┌─ (\S+?):(\d+):\d+")

# What a layout may not do. Layouts are reviewed code, yet a mistake must not
# reach the network or turn data into code: package imports (``"@preview/…"``,
# even built from pieces), ``eval`` of a string, and imports of computed paths.
_FORBIDDEN: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\"@"),
        "a string starting with @ is not allowed: Typst packages are never loaded",
    ),
    (
        re.compile(r"\\u\{\s*0*40\s*\}"),
        "an escaped @ is not allowed: Typst packages are never loaded",
    ),
    (re.compile(r"\beval\s*\("), "eval() is not allowed: data must never become code"),
    (re.compile(r"\bplugin\s*\("), "plugin() is not allowed: no WebAssembly plugins"),
    (
        re.compile(r"#?\b(?:import|include)\s+(?!\")"),
        "import or include of a computed path is not allowed: write the path as a literal",
    ),
)


_COMPILED_HERE = False


def compiled_in_this_process() -> bool:
    """Whether Typst has compiled in this process. Typst lays out with a pool of threads
    that a fork does not copy: a forked child then waits for them forever, so a process
    that has compiled must start its workers fresh (see the batch pool)."""
    return _COMPILED_HERE


def check_typst_source(text: str, name: str) -> None:
    """Refuse a layout that could load a package or evaluate data; names file and line."""
    for number, line in enumerate(text.splitlines(), start=1):
        code = _strip_comment(line)
        for pattern, what in _FORBIDDEN:
            if pattern.search(code):
                raise TemplateError(template=name, line=number, message=what)


def _strip_comment(line: str) -> str:
    """The line without a trailing ``//`` comment (outside string literals)."""
    quoted = False
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and quoted:
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and line.startswith("//", index):
            return line[:index]
        index += 1
    return line


class TypstEngine:
    name = "typst"

    def __init__(
        self,
        catalog: Catalog,
        qr_images: Mapping[str, QrImage],
        variant: str | None = None,
    ) -> None:
        self.catalog = catalog
        self.variant = variant
        self.standards = check_variant(self.name, variant)
        self.root = Path(tempfile.mkdtemp(prefix="pexmail-typst-"))
        root = self.root
        self._finalizer = remove_when_done(self, lambda: root)
        self.layouts = self._copy_sources(catalog.template_root)
        self.qr_paths: dict[str, str] = {}
        (self.root / "qr").mkdir()
        for index, (target_id, image) in enumerate(sorted(qr_images.items())):
            relative = f"/qr/{index}.png"
            (self.root / relative.lstrip("/")).write_bytes(image.png)
            self.qr_paths[target_id] = relative
        (self.root / DATA_FILE).parent.mkdir()
        packages = self.root / ".packages"  # stays empty: no package is ever found
        packages.mkdir()
        self.fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONT_DIR)]
        )
        self.compiler = typst.Compiler(
            root=str(self.root),
            font_paths=self.fonts,
            ignore_system_fonts=True,
            package_path=str(packages),
            package_cache_path=str(packages),
        )

    def _copy_sources(self, template_root: Path) -> set[str]:
        """Copy the Typst layouts and assets (and nothing else) into the private root."""
        layouts: set[str] = set()
        for folder in (LAYOUT_DIR, ASSET_DIR):
            (self.root / folder).mkdir()
            source_dir = template_root / folder
            if not source_dir.is_dir():
                continue
            for path in sorted(source_dir.glob(f"*{TYPST_SUFFIX}")):
                if not path.is_file() or path.is_symlink():
                    continue
                text = path.read_text(encoding="utf-8")
                check_typst_source(text, f"{folder}/{path.name}")
                (self.root / folder / path.name).write_text(text, encoding="utf-8")
                if folder == LAYOUT_DIR:
                    layouts.add(path.name[: -len(TYPST_SUFFIX)])
        return layouts

    def close(self) -> None:
        self._finalizer()

    def check_layout(self, layout: str) -> None:
        self.main_source(layout)

    def main_source(self, layout: str) -> bytes:
        """The document: the layout's ``letter`` function applied to the data."""
        if not _LAYOUT_NAME.match(layout) or layout not in self.layouts:
            raise TemplateError(
                template=f"{LAYOUT_DIR}/{layout}{TYPST_SUFFIX}",
                line=None,
                message="Typst layout not found",
            )
        return (
            f'#import "/{LAYOUT_DIR}/{layout}{TYPST_SUFFIX}": letter\n'
            f'#letter(json("/{DATA_FILE}"))\n'
        ).encode()

    def data(self, context: Mapping[str, Any], parts: LetterParts) -> dict[str, Any]:
        """Everything the layout prints, as plain JSON values (never Typst source)."""
        letter_id = str(context["letter"]["id"])
        try:
            blocks = parts.blocks
        except BodyError as exc:
            raise RenderError(letter_id=letter_id, message=str(exc)) from None
        sender = context["sender"]
        fix = french.typography
        return {
            "title": fix(str(context["letter"]["title"])),
            "subject": parts.subject,
            "sender": {
                "authority": fix(sender["authority"]),
                "name": fix(sender["name"]),
                "unit": fix(sender["unit"]),
                "address": fix(sender["address"]),
                "phones": [french.phone(p["number"]) for p in sender["phones"]],
            },
            "address_lines": [fix(line) for line in context["address_lines"]],
            "place_date": fix(context["place_date"]),
            "reference": fix(context["reference"]),
            "labels": {key: fix(value) for key, value in context["labels"].items()},
            "body": [self._block(block, letter_id) for block in blocks],
        }

    def render(self, layout: str, context: Mapping[str, Any], parts: LetterParts) -> RenderedPdf:
        letter_id = str(context["letter"]["id"])
        source = self.main_source(layout)
        payload = json.dumps(self.data(context, parts), ensure_ascii=False)
        options: dict[str, Any] = {}
        if self.standards:
            options["pdf_standards"] = self.standards
        data_file = self.root / DATA_FILE
        data_file.write_text(payload, encoding="utf-8")
        global _COMPILED_HERE
        _COMPILED_HERE = True
        try:
            data = self.compiler.compile(
                input=source,
                timestamp=_timestamp(context.get("date")),
                pdf_tags=True,
                **options,
            )
        except typst.TypstError as exc:
            where = self._where(str(getattr(exc, "diagnostic", "") or ""))
            raise RenderError(letter_id=letter_id, message=f"{where}Typst: {exc.message}") from None
        finally:
            data_file.unlink()  # the household's data stays on disk no longer than its compile
        if not isinstance(data, bytes):  # one file per page is only for images
            raise RenderError(letter_id=letter_id, message="Typst returned no PDF")
        return RenderedPdf(data, count_pages(data))

    def _where(self, diagnostic: str) -> str:
        """``layouts/state.typ:12: `` from the first source position of a Typst diagnostic."""
        for match in _DIAGNOSTIC_POSITION.finditer(diagnostic):
            path = (Path.cwd() / match.group(1)).resolve()
            if path.is_relative_to(self.root.resolve()):
                relative = path.relative_to(self.root.resolve()).as_posix()
                if not relative.startswith("__"):  # the generated main file
                    return f"{relative}:{match.group(2)}: "
        return ""

    # -- blocks → JSON ---------------------------------------------------------------
    def _block(self, block: Block, letter_id: str) -> dict[str, Any]:
        if isinstance(block, Paragraph):
            return {
                "kind": "par",
                "style": block.style,
                "classes": block.css.split(),
                "runs": list(_runs(block.runs)),
            }
        if isinstance(block, ListBlock):
            return {
                "kind": "list",
                "ordered": block.ordered,
                "items": [[self._block(b, letter_id) for b in item] for item in block.items],
            }
        if isinstance(block, Table):
            return {
                "kind": "table",
                "classes": block.css.split(),
                "rows": [
                    [
                        {
                            "header": cell.header,
                            "blocks": [self._block(b, letter_id) for b in cell.blocks],
                        }
                        for cell in row
                    ]
                    for row in block.rows
                ],
            }
        if isinstance(block, Image):
            target = block.src[len(QR_SCHEME) :]
            if target not in self.qr_paths:
                raise RenderError(letter_id=letter_id, message=f"no QR image for {block.src!r}")
            return {"kind": "image", "path": self.qr_paths[target], "alt": block.alt}
        if isinstance(block, Box):
            return {
                "kind": "box",
                "classes": block.css.split(),
                "blocks": [self._block(b, letter_id) for b in block.blocks],
            }
        raise RenderError(letter_id=letter_id, message=f"unknown block {type(block).__name__}")


def _runs(runs: tuple[Run | LineBreak, ...]) -> Iterator[dict[str, Any]]:
    for run in runs:
        if isinstance(run, LineBreak):
            yield {"br": True}
        else:
            yield {"text": run.text, "bold": run.bold, "italic": run.italic, "nowrap": run.nowrap}


def _timestamp(value: object) -> datetime:
    """The PDF's creation date: the run date, so that a letter is the same bytes run after run."""
    day = value if isinstance(value, date) else date(2000, 1, 1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def count_pages(pdf: bytes) -> int:
    """Pages of a PDF Typst wrote (its page objects are never compressed in object streams)."""
    return len(_PAGE.findall(pdf))
