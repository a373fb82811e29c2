"""PDF with Typst: the same letter text, about ten times less CPU than WeasyPrint.

The letter's wording is written once, in its HTML template. Here the rendered
HTML body is parsed into blocks (:mod:`pexmail.render.body`), and the blocks,
with the words the layout prints (sender, address, place and date, labels),
are handed to the sender's Typst layout as JSON, in a string literal of the
two-line main source: ``#letter(json(bytes("…")))``. The layout
(``templates/layouts/<layout>.typ``) turns them into content with the shared
functions of ``templates/assets/letter.typ``.

Why in the main source and not ``sys.inputs``: Typst keeps the layout of each
paragraph from one compile to the next, keyed on what it depends on.
``sys.inputs`` is part of Typst's standard library, on which everything
depends, so new inputs throw the whole cache away; the main source is read by
the one call that evaluates it. Letters of one type share most of their
paragraphs, so a worker lays out only what differs from the letters before
(9 ms a letter instead of 23). A data file in the root would do the same, but
writing and deleting it costs more than the compile's parse of the literal, and
no household's data ever touches the disk this way.

Safe by construction:

- case data is never Typst code: it is JSON text, escaped into one Typst string
  literal (:func:`typst_string`: ASCII only, every ``\\`` and ``"`` escaped, so
  the literal ends where pexmail ends it), read with ``json()``; Typst prints
  the strings it holds as text, so ``#read(...)``, ``$x$``, ``*``, ``//`` stay
  literal;
- the compiler's root is a private folder holding only copies of the Typst
  layouts and assets and the batch's QR images: nothing else can be read;
- fonts are the bundled ones only (no system or embedded fonts);
- package imports are refused before compiling (:func:`check_typst_source`)
  and the package folders point at an empty private folder.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
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
from pexmail.scratch import private_folder

TYPST_SUFFIX = ".typ"
ASSET_DIR = "assets"
LAYOUT_DIR = "layouts"
# Body blocks whose JSON a worker keeps (a few hundred letter shapes, a few dozen blocks each).
_FRAGMENTS = 8192
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
        self.root = private_folder("typst")
        root = self.root
        self._finalizer = remove_when_done(self, lambda: root)
        self.layouts = self._copy_sources(catalog.template_root)
        self.qr_paths: dict[str, str] = {}
        self._fragments: dict[int, tuple[Block, str]] = {}
        (self.root / "qr").mkdir()
        for index, (target_id, image) in enumerate(sorted(qr_images.items())):
            relative = f"/qr/{index}.png"
            (self.root / relative.lstrip("/")).write_bytes(image.png)
            self.qr_paths[target_id] = relative
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
        self.main_source(layout, "{}")

    def main_source(self, layout: str, data_json: str) -> bytes:
        """The document: the layout's ``letter`` function applied to ``data_json``."""
        if not _LAYOUT_NAME.match(layout) or layout not in self.layouts:
            raise TemplateError(
                template=f"{LAYOUT_DIR}/{layout}{TYPST_SUFFIX}",
                line=None,
                message="Typst layout not found",
            )
        return (
            f'#import "/{LAYOUT_DIR}/{layout}{TYPST_SUFFIX}": letter\n'
            f"#letter(json(bytes({typst_string(data_json)})))\n"
        ).encode("ascii")

    def data_json(self, context: Mapping[str, Any], parts: LetterParts) -> str:
        """Everything the layout prints, as JSON text (ASCII; never Typst source). Each body
        block's JSON is made once per process: most of a letter's blocks are its
        template's, shared by every household."""
        letter_id = str(context["letter"]["id"])
        body = ",".join(self._block_json(block, letter_id) for block in _blocks(letter_id, parts))
        return '{"body":[' + body + "]," + _json(self._head(context, parts))[1:]

    def _block_json(self, block: Block, letter_id: str) -> str:
        # Keyed on identity, the block held in the entry: parsed blocks are shared objects
        # (body.py), and hashing a block would walk all its runs.
        entry = self._fragments.get(id(block))
        if entry is not None and entry[0] is block:
            return entry[1]
        text = _json(self._block(block, letter_id))
        if len(self._fragments) >= _FRAGMENTS:
            del self._fragments[next(iter(self._fragments))]  # the oldest
        self._fragments[id(block)] = (block, text)
        return text

    def _head(self, context: Mapping[str, Any], parts: LetterParts) -> dict[str, Any]:
        """Everything but the body."""
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
        }

    def render(self, layout: str, context: Mapping[str, Any], parts: LetterParts) -> RenderedPdf:
        letter_id = str(context["letter"]["id"])
        source = self.main_source(layout, self.data_json(context, parts))
        options: dict[str, Any] = {}
        if self.standards:
            options["pdf_standards"] = self.standards
        try:
            with _first_compile_guard():
                data = self.compiler.compile(
                    input=source,
                    timestamp=_timestamp(context.get("date")),
                    pdf_tags=True,
                    **options,
                )
        except typst.TypstError as exc:
            where = self._where(str(getattr(exc, "diagnostic", "") or ""))
            raise RenderError(letter_id=letter_id, message=f"{where}Typst: {exc.message}") from None
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


def _blocks(letter_id: str, parts: LetterParts) -> tuple[Block, ...]:
    try:
        return parts.blocks
    except BodyError as exc:
        raise RenderError(letter_id=letter_id, message=str(exc)) from None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


@contextlib.contextmanager
def _first_compile_guard() -> Iterator[None]:
    """Typst starts its layout threads in the process's first compile, and they never take a
    signal: they start with every signal blocked (threads inherit the mask of the thread
    that starts them). A signal the kernel gives to one of them would reach Python's
    handler only when the main thread next runs Python, never if it is blocked reading a
    pipe: a pool worker told by SIGTERM that its batch died would wait forever."""
    global _COMPILED_HERE
    if _COMPILED_HERE or not hasattr(signal, "pthread_sigmask"):
        _COMPILED_HERE = True
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        _COMPILED_HERE = True
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def typst_string(text: str) -> str:
    """``text`` as a Typst string literal that evaluates to ``text``, whatever it holds.

    Inside a Typst string only ``\\`` and ``"`` are special (``\\`` starts an escape, ``"``
    ends the string); both are escaped. Other characters stand for themselves, yet the
    text must be ASCII: pexmail's JSON always is (``ensure_ascii``), and refusing the rest
    keeps anything a reader could misread (bidirectional marks, look-alike quotes) out
    of the source."""
    if not text.isascii():
        raise ValueError("a Typst string literal is made from ASCII text only")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _timestamp(value: object) -> datetime:
    """The PDF's creation date: the run date, so that a letter is the same bytes run after run."""
    day = value if isinstance(value, date) else date(2000, 1, 1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def count_pages(pdf: bytes) -> int:
    """Pages of a PDF Typst wrote (its page objects are never compressed in object streams)."""
    return len(_PAGE.findall(pdf))
