"""Notices on demand: one act, one commune, its contacts, no CSV."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pytest
from docx import Document as DocxDocument

from pexmail.notices import (
    NoticeRefused,
    UnknownPlace,
    find_places,
    notice_acts,
    render_notice,
    resolve_place,
)
from pexmail.render.body import parse_body, plain_text
from pexmail.render.letter import LetterRenderer
from pexmail.render.preflight import sample_place

from .conftest import RUN_DATE, decode_qr, pdf_text, pdf_words

GOLDEN = Path(__file__).resolve().parent / "golden"
ACTS = ("cdp", "assignation", "cql")

# One commune per territory, and a phone the notice must print for it, read
# from the directories by the test (the commune's own entries, where it has some).
PLACES = {
    "paris": ("75018", None),
    "seine-saint-denis": ("93200", None),
    "pas-de-calais": ("62160", "Grenay"),
}

# What each notice must say, from the law as the catalogue states it.
KEY_FACTS = {
    "cdp": ["6 semaines", "2 mois", "29 juillet 2023", "plan d'apurement", "FSL"],
    "assignation": ["6 semaines", "3 ans", "clause résolutoire", "aide juridictionnelle"],
    "cql": ["2 mois", "1 mois à 1 an", "1er novembre au 31 mars", "indemnité d'occupation"],
}


def normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def expected_contacts(catalog, act: str, territory: str, postcode: str, commune: str):
    """An oracle apart from the renderer: per kind the notice asks for, the entries
    serving this commune in this territory's or the national directory."""
    letter = next(x for x in catalog.letters if x.kind == "notice" and x.stage == act)
    found = []
    for kind in letter.contacts:
        local, wide = [], []
        for directory in catalog.directories.directories:
            if directory.territory not in (None, territory):
                continue
            for entry in directory.entries:
                if entry.kind != kind:
                    continue
                communes = [c.casefold() for c in entry.serves.communes or []]
                if entry.serves.communes is None and entry.serves.postcodes is None:
                    wide.append((directory.territory is None, entry))
                elif commune.casefold() in communes or postcode in (entry.serves.postcodes or []):
                    local.append(entry)
        wide.sort(key=lambda pair: pair[0])  # the territory's before national ones
        choices = local + [e for _, e in wide]
        if choices:
            found.append(choices[0])
    return found


def test_acts_are_listed_in_procedure_order(catalog):
    assert notice_acts(catalog) == [
        ("cdp", "Commandement de payer"),
        ("assignation", "Assignation devant le tribunal"),
        ("cql", "Commandement de quitter les lieux"),
    ]


def test_find_places_ignores_accents_and_case(catalog):
    assert [p.label for p in find_places(catalog, "LIÉV")] == ["62800 Liévin"]
    assert [p.label for p in find_places(catalog, "eleu")] == ["62300 Éleu-dit-Leauwette"]
    by_postcode = find_places(catalog, "932")
    assert [p.postcode for p in by_postcode][:3] == ["93200", "93210", "93220"]
    saint = [p.commune for p in find_places(catalog, "saint", limit=50)]
    assert "Saint-Denis" in saint and "Saint-Ouen-sur-Seine" in saint
    assert "Ablain-Saint-Nazaire" in saint  # a word inside the name, after those starting with it
    assert saint.index("Saint-Denis") < saint.index("Ablain-Saint-Nazaire")
    assert len(find_places(catalog, "6", limit=3)) == 3
    assert find_places(catalog, "  ") == []


def test_place_resolution_errors_name_what_is_covered(catalog):
    with pytest.raises(UnknownPlace) as unknown:
        resolve_place(catalog, "69001")
    message = str(unknown.value)
    assert "69001" in message
    for name in ("Paris", "Seine-Saint-Denis", "Pas-de-Calais", "arrondissement de Lens"):
        assert name in message
    with pytest.raises(UnknownPlace, match="62000 is in Pas-de-Calais, but no contact directory"):
        resolve_place(catalog, "62000")
    with pytest.raises(UnknownPlace, match="Aix-Noulette, Bully-les-Mines, Grenay"):
        resolve_place(catalog, "62160")
    with pytest.raises(UnknownPlace, match="does not match postcode 62160"):
        resolve_place(catalog, "62160", "Lens")
    assert resolve_place(catalog, "62 160", "GRENAY").commune == "Grenay"


@pytest.mark.parametrize("territory", sorted(PLACES))
@pytest.mark.parametrize("act", ACTS)
def test_each_notice_prints_the_communes_contacts(catalog, tmp_path, act, territory):
    postcode, commune = PLACES[territory]
    notice = render_notice(
        catalog, act, postcode=postcode, commune=commune, on=RUN_DATE, allow_stale=True
    )
    path = tmp_path / notice.filename
    path.write_bytes(notice.data)
    text = normal(pdf_text(path))
    place = resolve_place(catalog, postcode, commune)
    assert notice.territory == territory and notice.act == act
    assert f"{place.postcode} {place.commune}" in text  # the reference names the place
    expected = expected_contacts(catalog, act, territory, place.postcode, place.commune)
    assert [c.id for c in notice.contacts] == [e.id for e in expected]
    for entry in expected:
        for phone in entry.phones:
            assert normal(phone.number) in text or phone.number.replace(" ", "") in text.replace(
                " ", ""
            ), f"{entry.id} phone missing"
    for fact in KEY_FACTS[act]:
        assert fact in text, fact
    # No address block, and nothing of the household's: this is an information sheet.
    assert "Madame, Monsieur," in text
    assert notice.pages and notice.pages >= 1
    assert notice.media_type == "application/pdf"


def test_lens_notice_prints_grenay_not_another_communes_ccas(catalog, tmp_path):
    notice = render_notice(
        catalog, "cql", postcode="62160", commune="Grenay", on=RUN_DATE, allow_stale=True
    )
    path = tmp_path / "n.pdf"
    path.write_bytes(notice.data)
    words = pdf_words(path)
    assert "03 21 29 09 95" in normal(words)  # CCAS de Grenay (seed 003 l.2121)
    assert "03 21 14 25 70" not in normal(words)  # CCAS de Lens
    assert "115" in words  # the SIAO's emergency number, at the CQL
    assert "lens-ccas-grenay" in notice.stale_allowed


@pytest.mark.parametrize("act", ("cdp", "assignation"))
def test_notices_carry_the_video_qr_where_the_catalogue_says(catalog, tmp_path, act):
    notice = render_notice(catalog, act, postcode="93200", on=RUN_DATE)
    path = tmp_path / "n.pdf"
    path.write_bytes(notice.data)
    assert decode_qr(path) == [catalog.qr_target("dihal-video-audience").url]


@pytest.mark.parametrize("territory", sorted(PLACES))
def test_docx_notice_has_the_same_contacts(catalog, territory):
    postcode, commune = PLACES[territory]
    notice = render_notice(
        catalog,
        "assignation",
        postcode=postcode,
        commune=commune,
        on=RUN_DATE,
        fmt="docx",
        allow_stale=True,
    )
    assert notice.filename.endswith(".docx") and notice.pages is None
    document = DocxDocument(io.BytesIO(notice.data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    text = normal("\n".join(parts))
    assert "Allez au tribunal ce jour-là" in text
    assert notice.contacts
    for contact in notice.contacts:
        entry = catalog.directories.by_id(contact.id)
        for phone in entry.phones:
            assert phone.number.replace(" ", "") in text.replace(" ", ""), contact.id


def test_stale_contacts_refuse_the_notice_and_name_them(catalog):
    with pytest.raises(NoticeRefused) as refused:
        render_notice(catalog, "cdp", postcode="62160", commune="Grenay", on=RUN_DATE)
    assert refused.value.code == "stale_contact"
    assert "lens-ccas-grenay" in refused.value.contact_ids
    assert "lens-ccas-grenay (never verified)" in str(refused.value)
    assert "--allow-stale" in str(refused.value)


def test_paris_contacts_are_flagged_for_review_then_stale(catalog):
    # Paris entries were verified in July 2025 (seed 000): flagged at 12 months.
    fresh = render_notice(catalog, "assignation", postcode="75018", on=date(2026, 1, 15))
    assert fresh.flags == ()
    flagged = render_notice(catalog, "assignation", postcode="75018", on=RUN_DATE)
    assert "paris-adil75" in flagged.flags and "paris-drihl" in flagged.flags
    assert {c.freshness for c in flagged.contacts} == {"review"}
    with pytest.raises(NoticeRefused, match="paris-adil75"):
        render_notice(catalog, "assignation", postcode="75018", on=date(2027, 7, 2))


def test_cli_writes_the_notice_and_lists_its_contacts(cli, tmp_path):
    out = tmp_path / "notice.pdf"
    result = cli(
        "notice", "--act", "cdp", "--postcode", "93200", "--date", "2026-11-23", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "notice-cdp v1.0 for 93200 Saint-Denis" in result.output
    assert "national-allo-prevention-expulsion" in result.output
    assert "Saint-Denis" in normal(pdf_text(out))


def test_cli_unknown_place_is_a_usage_error_listing_territories(cli, tmp_path):
    out = tmp_path / "n.pdf"
    result = cli("notice", "--act", "cdp", "--postcode", "13001", "--out", str(out))
    assert result.exit_code == 2
    assert "13001" in result.output and "Seine-Saint-Denis" in result.output
    assert not out.exists()
    result = cli("notice", "--act", "cdp", "--postcode", "93200", "--commune", "Lille")
    assert result.exit_code == 2 and "Saint-Denis" in result.output
    result = cli("notice", "--act", "jugement", "--postcode", "93200")
    assert result.exit_code == 2 and "cdp, assignation, cql" in result.output


def test_cli_stale_notice_exits_3_unless_allowed(cli, tmp_path):
    out = tmp_path / "n.docx"
    args = ["notice", "--act", "cql", "--postcode", "62300", "--commune", "Lens"]
    args += ["--format", "docx", "--out", str(out), "--date", "2026-11-23"]
    result = cli(*args)
    assert result.exit_code == 3 and "lens-siao" in result.output and not out.exists()
    result = cli(*args, "--allow-stale")
    assert result.exit_code == 0, result.output
    assert "STALE, allowed" in result.output and out.stat().st_size > 0


@pytest.mark.parametrize("territory", sorted(PLACES))
@pytest.mark.parametrize("act", ACTS)
def test_notice_text_matches_golden(catalog, act, territory):
    renderer = LetterRenderer(catalog, RUN_DATE, ("pdf",), allow_stale=True)
    letter = next(x for x in catalog.letters if x.kind == "notice" and x.stage == act)
    postcode, commune = sample_place(catalog, territory)
    prepared = renderer.prepare_notice(letter, territory, postcode, commune)
    body = plain_text(parse_body(str(prepared.parts.body)))
    text = f"Objet : {prepared.parts.subject}\n\n{body}\n".replace("\u00a0", " ")
    path = GOLDEN / f"{letter.id}-v{letter.version}-{territory}.txt"
    if os.environ.get("PEXMAIL_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
