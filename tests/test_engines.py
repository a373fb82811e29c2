"""Both PDF engines print the same letters: text, QR code, pages, address in the window.

Each catalogue letter is rendered once per engine and territory (module-scoped
fixture) and compared as a reader would: extracted text, decoded QR code, page
count, positions of the address lines.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from pexmail.catalog import load_catalog

from .conftest import ROOT, RUN_DATE, decode_qr, pdf_text, text_positions

VIDEO = "https://www.youtube.com/watch?v=4og3KOPxOfw"
ENGINES = ("weasyprint", "typst")


def render_cli(cli, out: Path, *extra: str):
    return cli(
        "render",
        ROOT / "samples" / "clil-aubervilliers-seance-2026-11.csv",
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "pdf",
        "--catalog",
        ROOT / "catalog.yaml",
        *extra,
    )


def test_render_with_the_typst_engine_end_to_end(cli, tmp_path):
    out = tmp_path / "o"
    result = render_cli(cli, out, "--engine", "typst")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["options"]["engine"] == "typst"
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
        pdfs = [d for d in csv.DictReader(stream, delimiter=";") if d["format"] == "pdf"]
    # What each letter of this sample is about, as its reader sees it (by letter id prefix).
    topics = {
        "drihl-cdp-": "commandement de payer",
        "drihl-assignation": "convoqué au tribunal",
        "clil-recommandations": "Ce que la commission vous conseille",
        "ccapex-prevention": "Votre dette de loyer a été signalée",
    }
    documents = [d for d in pdfs if d["letter_id"] != "envelope"]
    envelopes = [d for d in pdfs if d["letter_id"] == "envelope"]
    assert any(d["letter_id"].startswith("drihl-cdp-") for d in documents)
    for document in documents:
        path = out / document["path"]
        reader = PdfReader(path)
        assert len(reader.pages) == int(document["pages"])
        assert str(reader.metadata.creator).startswith("Typst")
        words = " ".join(pdf_text(path).split())
        topic = next(t for prefix, t in topics.items() if document["letter_id"].startswith(prefix))
        assert "Objet : " in words and topic in words, document["letter_id"]
    summons = next(d for d in documents if d["letter_id"] == "drihl-assignation")
    assert decode_qr(out / summons["path"]) == [VIDEO]
    # The summons letter's DL envelope is laid out by WeasyPrint whatever the letters' engine.
    assert envelopes and len(envelopes) == sum(
        d["letter_id"] == "drihl-assignation" for d in documents
    )
    for envelope in envelopes:
        path = out / envelope["path"]
        assert len(PdfReader(path).pages) == int(envelope["pages"]) == 1
        assert "ouvrez-le dès aujourd'hui" in " ".join(pdf_text(path).split())
        assert decode_qr(path) == [VIDEO]


def test_an_unknown_engine_is_a_usage_error(cli, tmp_path):
    result = render_cli(cli, tmp_path / "o", "--engine", "latex")
    assert result.exit_code == 2 and "latex" in result.output


@pytest.mark.parametrize("engine", ["weasyprint", "typst"])
@pytest.mark.parametrize("variant", ["pdf/a-2b", "pdf/a-3b", "pdf/a-3u", "pdf/ua-1"])
def test_archival_and_accessible_variants_from_both_engines(cli, tmp_path, engine, variant):
    out = tmp_path / "o"
    result = render_cli(cli, out, "--engine", engine, "--pdf-variant", variant)
    assert result.exit_code == 0, result.output
    path = next((out / "letters").rglob("*.pdf"))
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert root["/Lang"] in ("fr", "fr-FR")
    assert reader.metadata.title.startswith("DRIHL")
    if variant.startswith("pdf/a"):
        xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
        part, conformance = variant[len("pdf/a-") :]
        assert re.search(rf"pdfaid:part(>|=\"){part}", xmp), xmp[:400]
        assert re.search(rf"pdfaid:conformance(>|=\"){conformance.upper()}", xmp)
    else:
        assert "/StructTreeRoot" in root
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("Atkinson" in f or "DejaVu" in f for f in fonts), fonts
    assert text_positions(path)


# -- Typst is safe by construction ----------------------------------------------------------

HOSTILE_TYPST = [
    '#read("/etc/passwd")',
    '#import "@preview/cetz:0.3.0": canvas',
    '#include "/layouts/state.typ"',
    "$x^2$",
    "*gras*",
    "_penché_",
    "@etiquette",
    "<etiquette>",
    "a \\ b \\\\ c",
    "fin ] [ début",
    "avant // commentaire",
    "/* bloc */",
    "= Titre",
    "- puce",
    "+ numéro",
    "#let x = 1",
    '#{ panic("non") }',
    "~ ` ' \" #",
    # Attempts to end the string literal that carries the data in the main source.
    '")))#read("/etc/passwd")//',
    '\\")))#read("/etc/passwd")//',
    "\\u{22}))) fin",
    "barre finale \\",
    "« guillemets » “anglais”",
]


@pytest.fixture(scope="module")
def typst_renderer(catalog):
    from pexmail.render.letter import LetterRenderer

    return LetterRenderer(catalog, RUN_DATE, ("pdf",), engine="typst")


def hostile_letter(catalog, renderer, tmp_path: Path, **fields: str) -> tuple[str, list[str]]:
    """The letter's text without whitespace (a line may break inside a payload), and its
    address lines (shortened to the postal norm) likewise."""
    from dataclasses import replace

    from pexmail.render.preflight import sample_facts

    letter = next(x for x in catalog.letters if x.id == "drihl-cdp-social")
    facts = replace(sample_facts(catalog, letter, "paris"), **fields)
    prepared = renderer.prepare(letter, facts)
    rendered = renderer.render(prepared)
    path = tmp_path / "letter.pdf"
    path.write_bytes(rendered.outputs["pdf"][0])
    lines = ["".join(line.split()) for line in prepared.context["address_lines"]]
    return "".join(pdf_text(path).split()), lines


@pytest.mark.parametrize("payload", HOSTILE_TYPST)
def test_typst_markup_in_a_field_prints_as_literal_text(catalog, typst_renderer, tmp_path, payload):
    # The landlord's name is printed in the body, the given name in the address window.
    text, address = hostile_letter(
        catalog,
        typst_renderer,
        tmp_path,
        landlord_name=f"Bailleur {payload}",
        given_name=payload,
    )
    assert f"Bailleur{''.join(payload.split())}." in text
    assert address[0] in text
    assert "root:" not in text


@pytest.fixture(scope="module")
def bare_typst(tmp_path_factory):
    import typst

    root = tmp_path_factory.mktemp("typst-root")
    return root, typst.Compiler(root=str(root), ignore_system_fonts=True)


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40))
@example(text='")))#read("/etc/passwd")//')
@example(text='\\")\n#panic()')
@example(text="\\u{22}\\\\")
def test_the_data_literal_is_read_back_exactly(bare_typst, text):
    """Typst itself compares what the literal holds with the text, written to a file."""
    from pexmail.render.typst import typst_string

    root, compiler = bare_typst
    (root / "expected.txt").write_bytes(text.encode("utf-8"))
    literal = typst_string(json.dumps(text, ensure_ascii=True))
    source = f'#assert.eq(json(bytes({literal})), read("/expected.txt"))\n'
    compiler.compile(input=source.encode("ascii"))  # raises TypstError when they differ


def test_the_data_literal_refuses_non_ascii_text():
    from pexmail.render.typst import typst_string

    with pytest.raises(ValueError, match="ASCII"):
        typst_string('"\u202e"')


@pytest.mark.parametrize(
    "payload", ["= Titre", "- puce", "+ numéro", "// rien", '#read("/etc/passwd")']
)
def test_typst_markup_at_a_line_start_prints_as_literal_text(
    catalog, typst_renderer, tmp_path, payload
):
    """A field on a line of its own (the street line of the address) starting with markup."""
    from pexmail.model import Address

    address = Address(street=f"{payload} 1 rue X", postcode="75001", commune="Paris")
    text, lines = hostile_letter(catalog, typst_renderer, tmp_path, address=address)
    assert lines[1] == "".join(f"{payload} 1 rue X".split())
    assert lines[1] in text


def typst_layout_copy(catalog_copy: Path, source: str) -> Path:
    (catalog_copy.parent / "templates" / "layouts" / "state.typ").write_text(
        source, encoding="utf-8"
    )
    return catalog_copy


def render_with_layout(catalog_path: Path, source: str):
    from pexmail.catalog import load_catalog
    from pexmail.render.letter import LetterRenderer
    from pexmail.render.preflight import sample_facts

    catalog = load_catalog(typst_layout_copy(catalog_path, source))
    renderer = LetterRenderer(catalog, RUN_DATE, ("pdf",), engine="typst")
    letter = catalog.letters[0]
    return renderer.render(renderer.prepare(letter, sample_facts(catalog, letter, "paris")))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('#import "@preview/cetz:0.3.0": canvas\n#let letter(data) = []\n', "packages"),
        ('#let p = "@" + "preview/cetz:0.3.0"\n#let letter(data) = []\n', "packages"),
        ('#let p = "\\u{0040}preview/cetz:0.3.0"\n#let letter(data) = []\n', "packages"),
        ('#let letter(data) = plugin("/qr/0.png")\n', "plugin"),
        ('#let letter(data) = eval(data.subject, mode: "markup")\n', "eval"),
        ('#let p = "/assets/letter.typ"\n#import p: blocks\n#let letter(data) = []\n', "computed"),
    ],
)
def test_a_typst_layout_cannot_load_packages_or_run_data(catalog_copy, source, message):
    """Refused before compiling, naming the layout and line: nothing is downloaded."""
    from pexmail.render.letter import Refused

    with pytest.raises(Refused) as refused:
        render_with_layout(catalog_copy, source)
    assert "layouts/state.typ:" in refused.value.reason and message in refused.value.reason


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../../../../../../etc/passwd", "/letters/drihl/cdp-social.html.j2"]
)
def test_a_typst_layout_reads_nothing_outside_its_private_root(catalog_copy, path):
    from pexmail.render.letter import Refused

    source = f'#let letter(data) = [#read("{path}")]\n'
    with pytest.raises(Refused) as refused:
        render_with_layout(catalog_copy, source)
    assert "not found" in refused.value.reason or "escape" in refused.value.reason
    assert "root:" not in refused.value.reason


def test_typst_sees_the_bundled_fonts_only(typst_renderer):
    from pexmail.render.fonts import FACES

    assert set(typst_renderer.pdf.fonts.families()) == {family for family, _, _ in FACES}


# -- pexmail catalog --check ---------------------------------------------------------------


def insert_line(path: Path, index: int, line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_catalog_check_names_the_template_line_of_html_outside_the_subset(cli, catalog_copy):
    templates = catalog_copy.parent / "templates"
    insert_line(templates / "partials" / "closing.html.j2", 3, '<p><font color="red">x</font></p>')
    insert_line(
        templates / "letters" / "drihl" / "cdp-social.html.j2",
        8,
        '{% if case.debt %}<p style="color: red">{{ case.debt }}</p>{% endif %}',
    )
    result = cli("catalog", "--check", "--catalog", catalog_copy)
    assert result.exit_code == 1
    assert "partials/closing.html.j2:4: <font> is not part of the letter subset" in result.output
    assert (
        "letters/drihl/cdp-social.html.j2:9: attribute 'style' on <p> is not allowed"
        in result.output
    )
    assert "rendered body" not in result.output


def test_catalog_check_renders_with_the_typst_engine_too(cli, catalog_copy):
    (catalog_copy.parent / "templates" / "layouts" / "state.typ").unlink()
    result = cli("catalog", "--check", "--catalog", catalog_copy)
    assert result.exit_code == 1
    assert "typst engine: " in result.output
    assert "layouts/state.typ: Typst layout not found" in result.output


def test_catalog_check_reports_a_typst_layout_error_with_its_line(cli, catalog_copy):
    layout = catalog_copy.parent / "templates" / "layouts" / "state.typ"
    source = layout.read_text(encoding="utf-8")
    layout.write_text(
        source.replace("  blocks(data.body)\n", "  blocks(data.body)\n  data.nowhere\n"),
        encoding="utf-8",
    )
    result = cli("catalog", "--check", "--catalog", catalog_copy)
    assert result.exit_code == 1
    assert "typst engine: " in result.output and "nowhere" in result.output
    assert re.search(r"layouts/state\.typ:\d+", result.output), result.output


# -- equivalence: every catalogue letter, each territory, both engines ----------------------


def _letter_cases() -> list[tuple[str, str, str]]:
    from pexmail.render.preflight import letter_territories

    catalog = load_catalog(ROOT / "catalog.yaml")
    return [
        (letter.id, letter.version, territory)
        for letter in catalog.letters
        for territory in letter_territories(catalog, letter)
    ]


def _kinds() -> dict[tuple[str, str], tuple[str, bool]]:
    catalog = load_catalog(ROOT / "catalog.yaml")
    return {(x.id, x.version): (x.kind, x.qr is not None) for x in catalog.letters}


CASES = [*_letter_cases(), ("mailing-cover", "", "paris")]
CASE_IDS = [f"{letter}-{territory}" for letter, _, territory in CASES]
WITH_QR = [c for c in CASES[:-1] if _kinds()[c[:2]][1]]
# Notices have no household, so no address in a window.
ADDRESSED = [c for c in CASES if c[0] == "mailing-cover" or _kinds()[c[:2]][0] != "notice"]
ADDRESSED_IDS = [f"{letter}-{territory}" for letter, _, territory in ADDRESSED]


@pytest.fixture(scope="module")
def renders(catalog, tmp_path_factory) -> dict[tuple[str, str, str], dict[str, Path]]:
    """Each letter (and a mailing cover) rendered once per engine: case → engine → PDF path."""
    from pexmail.render.cover import render_cover
    from pexmail.render.letter import LetterRenderer
    from pexmail.render.preflight import prepare_sample

    out = tmp_path_factory.mktemp("engines")
    found: dict[tuple[str, str, str], dict[str, Path]] = {}
    for engine in ENGINES:
        # The templates are compared here, not the directories' freshness.
        renderer = LetterRenderer(catalog, RUN_DATE, ("pdf",), allow_stale=True, engine=engine)
        prepared = {}
        for letter_id, version, territory in CASES[:-1]:
            letter = next(x for x in catalog.letters if (x.id, x.version) == (letter_id, version))
            prepared[(letter_id, territory)] = item = prepare_sample(renderer, letter, territory)
            path = out / f"{letter_id}-{version}-{territory}-{engine}.pdf"
            path.write_bytes(renderer.render(item).outputs["pdf"][0])
            found.setdefault((letter_id, version, territory), {})[engine] = path
        letters = [
            p
            for (_, territory), p in prepared.items()
            if territory == "paris" and p.letter.kind != "notice"
        ][:3]
        data, _ = render_cover(renderer, letters, "h-000000000000-2026-11-23")
        path = out / f"mailing-cover-{engine}.pdf"
        path.write_bytes(data)
        found.setdefault(CASES[-1], {})[engine] = path
    return found


def page_words(path: Path) -> list[dict[str, int]]:
    """Per page, how many times each word is printed (the order of drawing differs)."""
    from collections import Counter

    return [
        dict(Counter(w for text, _, _ in text_positions(path, page) for w in text.split()))
        for page in range(len(PdfReader(path).pages))
    ]


def reading_lines(path: Path, head_mm: float = 90.0) -> list[str]:
    """The text in reading order, line by line: runs grouped by height, then left to right.

    The first page's head (sender, window, place and date: above ``head_mm``) is left
    out: its blocks sit side by side, so their order depends on millimetres.
    """
    lines: list[str] = []
    for page in range(len(PdfReader(path).pages)):
        runs = sorted(text_positions(path, page), key=lambda run: (run[2], run[1]))
        groups: list[tuple[float, list[tuple[float, str]]]] = []
        for text, x, y in runs:
            if page == 0 and y < head_mm:
                continue
            if groups and abs(groups[-1][0] - y) < 1.5:
                groups[-1][1].append((x, text))
            else:
                groups.append((y, [(x, text)]))
        lines += [" ".join(" ".join(t for _, t in sorted(g)).split()) for _, g in groups]
    # A word cut at a hyphen at the end of a line is the same word.
    return [re.sub(r"-\s+", "-", line) for line in lines]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_both_engines_print_the_same_pages_and_words(renders, case):
    paths = renders[case]
    pages = {engine: len(PdfReader(path).pages) for engine, path in paths.items()}
    assert pages["typst"] == pages["weasyprint"], pages
    assert page_words(paths["typst"]) == page_words(paths["weasyprint"])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_both_engines_print_the_same_text_in_reading_order(renders, case):
    paths = renders[case]
    assert reading_lines(paths["typst"]) == reading_lines(paths["weasyprint"])
    # And the text pypdf extracts, in whichever order each engine drew it: the same characters.
    characters = {engine: sorted("".join(pdf_text(path).split())) for engine, path in paths.items()}
    assert characters["typst"] == characters["weasyprint"]


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "mailing-cover"], ids=CASE_IDS[:-1])
def test_both_engines_print_the_same_qr_code(renders, case):
    # The cover page and every letter or notice with a QR target end with the video's code.
    expected = [VIDEO] if case[0] == "mailing-cover" or case in WITH_QR else []
    for path in renders[case].values():
        last = len(PdfReader(path).pages) - 1
        assert decode_qr(path, page=last) == expected, path.name


@pytest.mark.parametrize("case", ADDRESSED, ids=ADDRESSED_IDS)
def test_both_engines_put_the_address_in_the_window(renders, case):
    """DL window: 100-200 mm from the left edge, 45-90 mm from the top of the sheet."""
    found = {}
    for engine, path in renders[case].items():
        runs = text_positions(path)
        identity = next(r for r in runs if r[0].startswith(("Madame ", "Monsieur ")))
        town = next(r for r in runs if re.fullmatch(r"\d{5} [A-Z ]+", r[0]))
        for text, x, y in (identity, town):
            assert 100 <= x <= 120 and 45 <= y <= 90, (engine, text, x, y)
        assert identity[2] < town[2]
        found[engine] = (identity, town)
    for (text_w, x_w, y_w), (text_t, x_t, y_t) in zip(
        found["weasyprint"], found["typst"], strict=True
    ):
        assert text_w == text_t
        assert abs(x_w - x_t) < 1 and abs(y_w - y_t) < 1.5, (text_w, x_w, y_w, x_t, y_t)


def test_typst_gives_the_same_bytes_for_the_same_letter(catalog, typst_renderer):
    """A run done again, or by another worker, writes the same files (same sha256)."""
    from pexmail.render.letter import LetterRenderer
    from pexmail.render.preflight import sample_facts

    letter = catalog.letters[0]
    facts = sample_facts(catalog, letter, "paris")
    first = typst_renderer.render(typst_renderer.prepare(letter, facts)).outputs["pdf"][0]
    again = typst_renderer.render(typst_renderer.prepare(letter, facts)).outputs["pdf"][0]
    other = LetterRenderer(catalog, RUN_DATE, ("pdf",), engine="typst")
    fresh = other.render(other.prepare(letter, facts)).outputs["pdf"][0]
    assert first == again == fresh


def test_typst_lays_out_each_household_afresh_from_its_own_data(catalog, typst_renderer, tmp_path):
    """Each letter's data is new main source and Typst keeps layouts between compiles:
    each letter must still carry its own household, and a warm engine must write the same
    bytes as a fresh one."""
    from dataclasses import replace

    from pexmail.render.letter import LetterRenderer
    from pexmail.render.preflight import sample_facts

    letter = next(x for x in catalog.letters if x.id == "drihl-cdp-social")
    base = sample_facts(catalog, letter, "paris")
    names = ["Aubertin", "Boulanger", "Aubertin"]
    outputs = []
    for index, name in enumerate(names):
        facts = replace(base, family_name=name, case_id=f"REF-{index}")
        pdf = typst_renderer.render(typst_renderer.prepare(letter, facts)).outputs["pdf"][0]
        path = tmp_path / f"{index}.pdf"
        path.write_bytes(pdf)
        text = pdf_text(path)
        assert name.upper() in text.upper() and f"REF-{index}" in text
        assert names[1 - index % 2].upper() not in text.upper()
        outputs.append(pdf)
    fresh = LetterRenderer(catalog, RUN_DATE, ("pdf",), engine="typst")
    facts = replace(base, family_name=names[1], case_id="REF-1")
    assert fresh.render(fresh.prepare(letter, facts)).outputs["pdf"][0] == outputs[1]


def test_the_typst_root_holds_layouts_assets_and_qr_images_only(typst_renderer):
    root = typst_renderer.pdf.root
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files and all(f.endswith(".typ") or f.startswith("qr/") for f in files), files
    assert {f.split("/")[0] for f in files} <= {"layouts", "assets", "qr"}
    assert root.stat().st_mode & 0o077 == 0  # private to the user running pexmail
