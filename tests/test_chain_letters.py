"""The letters of the chain: each renders in each territory with its key facts, the
law is applied per case, recommendations come from the partners' files, the
chain rules hold between senders, and the summons letters get their envelope."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader

from pexmail.catalog import load_catalog
from pexmail.chain import MemoryHistory, plan_mailing
from pexmail.errors import CatalogError
from pexmail.households import merge_household
from pexmail.ingest.cases import inspect_file, read_cases
from pexmail.model import Address, Case, Location, Rejection
from pexmail.render.body import parse_body, plain_text
from pexmail.render.context import build_context, build_notice_context
from pexmail.render.french import NBSP, euros
from pexmail.render.letter import LetterRenderer
from pexmail.render.preflight import (
    letter_territories,
    prepare_sample,
    sample_facts,
    sample_place,
)
from pexmail.render.qr import make_qr
from pexmail.render.templates import Templates

from .conftest import ROOT, RUN_DATE, decode_qr, pdf_text, pdf_words, text_positions

CATALOG = load_catalog(ROOT / "catalog.yaml")
VIDEO = "https://www.youtube.com/watch?v=4og3KOPxOfw"

# What each letter must say, whatever the wording around it: the legal delay or
# threshold it is about (from the catalogue's facts), per territory when it differs.
KEY_FACTS = {
    "drihl-cdp-social": ["6 semaines", "2 mois"],
    "drihl-cdp-private-under-3000": ["6 semaines", "2 mois"],
    "drihl-cdp-private-adil": ["6 semaines", "2 mois"],
    "drihl-cdp-private-7000-10000": ["6 semaines", "2 mois"],
    "drihl-cdp-private-over-10000": ["6 semaines", "2 mois"],
    "drihl-assignation": [
        "assignation",
        "Venez à l'audience",
        "3 ans",
        "diagnostic social et financier",
    ],
    "tripartite-prevention": ["2 mois de loyer impayés", "aide au logement"],
    "caf-impaye-signale": ["Continuez à payer votre loyer", "aide au logement"],
    "ccapex-prevention": ["6 mois", "ADIL"],
    "clil-recommandations": ["Demande d'aide au FSL", "Plan d'apurement avec le bailleur"],
    "ccapex-avis": ["Recours DALO", "Demande de logement social"],
    "prefecture-requisition-cfp": ["2 mois", "1 mois à 1 an", "du 1er novembre au 31 mars"],
    "prefecture-octroi-cfp": ["SIAO", "du 1er novembre au 31 mars"],
    # The notices annexed to the acts (for a place, no household): the law of their act.
    "notice-cdp": ["6 semaines", "2 mois", "29 juillet 2023", "plan d'apurement", "FSL"],
    "notice-assignation": ["6 semaines", "3 ans", "clause résolutoire", "aide juridictionnelle"],
    "notice-cql": ["2 mois", "1 mois à 1 an", "1er novembre au 31 mars", "indemnité d'occupation"],
}
BY_TERRITORY = {
    ("ccapex-prevention", "seine-saint-denis"): ["6 fois le loyer mensuel hors charges"],
    ("ccapex-prevention", "pas-de-calais"): ["3 fois le loyer mensuel hors charges"],
}
CASES = [
    (letter, territory)
    for letter in CATALOG.letters
    for territory in letter_territories(CATALOG, letter)
]


@pytest.fixture(scope="module")
def renderer() -> LetterRenderer:
    # These tests check the documents' content; contact freshness is tested apart (entries
    # never verified, in Pas-de-Calais and the national 115, are stale by design).
    return LetterRenderer(CATALOG, RUN_DATE, ("pdf", "docx"), allow_stale=True)


def prints_the_debt(letter) -> bool:
    """Letters to a household print its debt, but the one after police assistance is
    granted (it is about leaving, not the debt); notices are for a place, not a household."""
    return letter.kind == "letter" and letter.id != "prefecture-octroi-cfp"


def words(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def reading_words(path: Path) -> str:
    """The PDF's words as read across pages: the running footer and the list numbers
    (extracted apart) do not cut a phrase a page break falls in."""
    text = re.sub(r"Référence : [^\n]*Page \d+ sur \d+", " ", pdf_text(path))
    return words(re.sub(r"(?m)^\s*\d+\.\s*$", " ", text))


def test_the_catalogue_holds_the_whole_chain():
    senders = {letter.sender for letter in CATALOG.letters if letter.kind == "letter"}
    assert {"drihl", "caf", "tripartite-93", "ccapex", "clil", "prefecture"} <= senders
    assert {letter.kind for letter in CATALOG.letters} == {"letter", "notice"}
    # Every letter and every notice of the catalogue has its key facts checked below.
    assert set(KEY_FACTS) == {letter.id for letter in CATALOG.letters}
    covered = {t for _, t in CASES}
    assert covered == {"paris", "seine-saint-denis", "pas-de-calais"}


@pytest.mark.parametrize(("letter", "territory"), CASES, ids=[f"{x.id}-{t}" for x, t in CASES])
def test_each_letter_renders_pdf_and_docx_with_its_key_facts(renderer, letter, territory, tmp_path):
    # A letter for a sample household, a notice for a sample place of the territory.
    prepared = prepare_sample(renderer, letter, territory)
    rendered = renderer.render(prepared)
    pdf_path = tmp_path / "letter.pdf"
    pdf_path.write_bytes(rendered.outputs["pdf"][0])
    text = reading_words(pdf_path)
    # The amount, as French typography prints it.
    if prints_the_debt(letter):
        facts = sample_facts(CATALOG, letter, territory)
        assert euros(facts.debt).replace(NBSP, " ") in text
    for fact in KEY_FACTS[letter.id] + BY_TERRITORY.get((letter.id, territory), []):
        assert fact in text, fact
    # The first contact to call: its label and its first number, grouped.
    first = prepared.context["first_contact"]
    if first is not None:
        assert first["kind_label"] in text
        if first["phones"]:
            number = prepared.context["contacts"][0]["phones"][0]["number"]
            from pexmail.render.french import phone

            assert phone(number).replace(NBSP, " ") in text
    else:
        assert "Nous n'avons pas encore les coordonnées" in text
    # The QR code where the letter has one, and none elsewhere.
    assert decode_qr(pdf_path) == ([VIDEO] if letter.qr else [])
    # The DOCX holds the same text, from the same template.
    docx_path = tmp_path / "letter.docx"
    docx_path.write_bytes(rendered.outputs["docx"][0])
    docx_text = words("\n".join(p.text for p in DocxDocument(docx_path).paragraphs))
    assert prepared.parts.subject.replace(NBSP, " ") in docx_text
    for fact in KEY_FACTS[letter.id]:
        assert fact in docx_text or fact in words(
            "\n".join(
                c.text for t in DocxDocument(docx_path).tables for row in t.rows for c in row.cells
            )
        ), fact


def _text(letter_id: str, facts: Case, on: date = RUN_DATE) -> str:
    letter = next(x for x in CATALOG.letters if x.id == letter_id)
    templates = Templates(CATALOG.template_root)
    qr = {q.id: make_qr(q.id, q.url) for q in CATALOG.document.qr}
    parts = templates.render_letter(
        letter.templates.html, build_context(CATALOG, letter, facts, on, qr)
    )
    return words(f"{parts.subject}\n{plain_text(parse_body(str(parts.body)))}")


def _cdp_facts(**changes: object) -> Case:
    letter = next(x for x in CATALOG.letters if x.id == "drihl-cdp-social")
    return replace(sample_facts(CATALOG, letter, "paris"), **changes)


def test_cdp_delay_is_six_weeks_for_a_lease_signed_since_the_2023_law():
    text = _text("drihl-cdp-social", _cdp_facts(lease_date=date(2024, 3, 1)))
    assert "Vous avez 6 semaines pour payer" in text
    assert "2 mois" not in text


def test_cdp_delay_of_an_older_lease_may_stay_two_months():
    text = _text("drihl-cdp-social", _cdp_facts(lease_date=date(2019, 5, 2)))
    assert "signé avant le 29 juillet 2023" in text
    assert "6 semaines" in text and "2 mois si votre bail le prévoit" in text
    assert "clause résolutoire" in text


def test_cdp_delay_without_lease_date_says_which_applies_when():
    text = _text("drihl-cdp-social", _cdp_facts(lease_date=None))
    assert "Il a été signé depuis le 29 juillet 2023 ? Le délai est de 6 semaines." in text
    assert "Il a été signé avant cette date ? Le délai est de 6 semaines, ou de 2 mois" in text


def test_a_change_in_the_law_is_one_edit_of_the_catalogue(catalog_copy):
    text = catalog_copy.read_text(encoding="utf-8")
    changed = text.replace("    text: 6 semaines\n", "    text: 8 semaines\n", 1)
    assert changed != text
    catalog_copy.write_text(changed, encoding="utf-8")
    edited = load_catalog(catalog_copy)
    letter = next(x for x in edited.letters if x.id == "drihl-cdp-social")
    facts = replace(sample_facts(edited, letter, "paris"), lease_date=date(2024, 3, 1))
    context = build_context(
        edited, letter, facts, RUN_DATE, {q.id: make_qr(q.id, q.url) for q in edited.document.qr}
    )
    parts = Templates(edited.template_root).render_letter(letter.templates.html, context)
    assert "8 semaines" in words(str(parts.body))


def test_ccapex_thresholds_depend_on_the_departement():
    letter = next(x for x in CATALOG.letters if x.id == "ccapex-prevention")
    ssd = _text("ccapex-prevention", sample_facts(CATALOG, letter, "seine-saint-denis"))
    pdc = _text("ccapex-prevention", sample_facts(CATALOG, letter, "pas-de-calais"))
    assert "6 fois le loyer mensuel hors charges" in ssd and "3 fois" not in ssd
    assert "3 fois le loyer mensuel hors charges" in pdc and "6 fois" not in pdc


# -- French typography, in every letter -----------------------------------------------


@pytest.mark.parametrize(("letter", "territory"), CASES, ids=[f"{x.id}-{t}" for x, t in CASES])
def test_french_typography_in_every_letter(letter, territory):
    qr = {q.id: make_qr(q.id, q.url) for q in CATALOG.document.qr}
    if letter.kind == "notice":  # for a place: no household, so no amount nor act date
        postcode, commune = sample_place(CATALOG, territory)
        context = build_notice_context(CATALOG, letter, territory, postcode, commune, RUN_DATE, qr)
    else:
        facts = replace(
            sample_facts(CATALOG, letter, territory),
            debt=Decimal("12345.6"),
            act_date=date(2026, 11, 1),
        )
        context = build_context(CATALOG, letter, facts, RUN_DATE, qr)
    parts = Templates(CATALOG.template_root).render_letter(letter.templates.html, context)
    text = f"{parts.subject}\n{plain_text(parse_body(str(parts.body)))}"
    # Printed text only: an image's alternative text (« [Code QR …] ») is an attribute.
    text = re.sub(r"^\[.*\]$", "", text, flags=re.MULTILINE)
    assert not re.search(r"[ \t][:;!?»]", text), "a plain space before : ; ! ? or »"
    assert not re.search(r"«[ \t]", text)
    if prints_the_debt(letter):
        assert f"12{NBSP}345,60{NBSP}€" in text
    assert "1er" + NBSP + "novembre" + NBSP + "2026" in text or "novembre 2026" not in text
    for number in re.findall(r"\b0\d(?:[ \u00a0]?\d\d){4}\b", text):
        assert re.fullmatch(r"0\d(\u00a0\d\d){4}", number), number


# -- Recommendations read from the CLIL's file ----------------------------------------

CLIL_HEADER = (
    "Réf. ménage;Civilité;Nom de famille;Prénom(s);N° et voie;Bât./Esc./Appt;CP;Ville;Parc;"
    "Nom du bailleur;Dette (€);Loyer (€);Stade de la procédure;Date du dernier acte;"
    "Date d'audience;Allocataire;Recommandations"
)


def _clil_file(tmp_path: Path, *cells: str) -> list[Case | Rejection]:
    rows = [
        f"CL-{n};Mme;DIALLO;Awa;{10 + n} rue de Paris;;93100;Montreuil;Privé;;2 500,00;600,00;"
        f"CDP;01/10/2026;;non;{cell}"
        for n, cell in enumerate(cells)
    ]
    path = tmp_path / "clil.csv"
    path.write_text("\n".join([CLIL_HEADER, *rows]) + "\n", encoding="utf-8")
    return list(read_cases(inspect_file(path, CATALOG), CATALOG, RUN_DATE))


def test_recommendations_are_read_by_id_label_or_alias_in_any_case(tmp_path):
    records = _clil_file(
        tmp_path,
        '"FSL; plan d\'apurement"',
        "Rendez-vous avec l'ADIL, SUIVI SOCIAL",
        "Reprise du loyer + APL",
        "",
    )
    assert [r.recommendations for r in records] == [
        ("fsl", "plan-apurement"),
        ("adil", "suivi-social"),
        ("paiement-loyer", "aide-logement"),
        (),
    ]
    assert {r.recommended_by for r in records} == {"clil"}


def test_an_unknown_recommendation_rejects_the_row_with_its_column(tmp_path):
    (rejection,) = _clil_file(tmp_path, '"fsl; visite à domicile"')
    assert isinstance(rejection, Rejection)
    (problem,) = rejection.problems
    assert problem.column == "Recommandations" and problem.code == "recommendation"
    assert "item 2 of 2" in problem.reason and "fsl" in problem.reason
    assert "visite" not in problem.reason  # the value itself is never repeated


def _case(source: str, stage: str, row: int, **changes: object) -> Case:
    base = Case(
        location=Location(f"{source}.csv", row),
        source_id=source,
        case_id=f"{source}-{row}",
        family_name="DIALLO",
        given_name="Awa",
        civility="Mme",
        address=Address("10 rue de Paris", "93100", "Montreuil"),
        territory_id="seine-saint-denis",
        stage=stage,
        landlord_type="private",
        debt=Decimal("2500"),
        monthly_rent=Decimal("600"),
        act_date=date(2026, 10, 1),
    )
    return replace(base, **changes)


def _plan(*cases: Case):
    household = merge_household("h-1", list(cases), CATALOG)
    return plan_mailing(household, CATALOG, RUN_DATE, MemoryHistory())


def test_clil_recommendations_travel_with_the_household_and_go_with_the_drihl_letter():
    drihl = _case("drihl-exploc-cdp", "cdp", 2, act_date=date(2026, 10, 20))
    clil = _case("clil-seance", "cdp", 3, recommendations=("fsl", "adil"), recommended_by="clil")
    plan = _plan(drihl, clil)
    assert [c.letter_id for c in plan.letters] == [
        "drihl-cdp-private-under-3000",
        "clil-recommandations",
    ]
    assert plan.household.facts.recommendations == ("fsl", "adil")


def test_ccapex_recommendations_make_the_ccapex_letter_not_the_clil_one():
    case = _case("ccapex-avis", "jugement", 2, recommendations=("dalo",), recommended_by="ccapex")
    assert [c.letter_id for c in _plan(case).letters] == ["ccapex-avis"]


# -- Chain rules between senders ------------------------------------------------------


def test_reported_rent_gets_one_letter_tripartite_in_93_then_caf_then_ccapex():
    reported = _case("caf-impayes", "signalement", 2, caf_recipient=True)
    plan = _plan(reported)
    assert [c.letter_id for c in plan.letters] == ["tripartite-prevention"]
    assert {(s.code, s.letter_id) for s in plan.suppressions} == {
        ("exclusive", "caf-impaye-signale"),
        ("exclusive", "ccapex-prevention"),
    }
    lens = replace(
        reported, address=Address("3 rue René Lanoy", "62300", "Lens"), territory_id="pas-de-calais"
    )
    assert [c.letter_id for c in _plan(lens).letters] == ["caf-impaye-signale"]
    unknown_to_caf = replace(lens, caf_recipient=False)
    assert [c.letter_id for c in _plan(unknown_to_caf).letters] == ["ccapex-prevention"]


def test_the_summons_letter_supersedes_the_cdp_letter():
    plan = _plan(_case("drihl-exploc-cdp", "cdp", 2), _case("clil-seance", "assignation", 3))
    assert [c.letter_id for c in plan.letters] == ["drihl-assignation"]
    assert ("superseded", "drihl-cdp-private-under-3000") in {
        (s.code, s.letter_id) for s in plan.suppressions
    }


def test_police_assistance_letters_follow_the_stage():
    lens = {
        "address": Address("3 rue René Lanoy", "62300", "Lens"),
        "territory_id": "pas-de-calais",
    }
    request = _case("ccapex-avis", "requisition_cfp", 2, **lens)
    granted = _case("ccapex-avis", "octroi_cfp", 3, **lens)
    assert [c.letter_id for c in _plan(request).letters] == ["prefecture-requisition-cfp"]
    assert [c.letter_id for c in _plan(request, granted).letters] == ["prefecture-octroi-cfp"]


# -- Catalogue checks for the new fields ----------------------------------------------


def test_unknown_stage_recommendation_contact_or_envelope_qr_is_a_catalogue_error(catalog_copy):
    text = catalog_copy.read_text(encoding="utf-8")
    text = text.replace(
        "stages: [impaye, signalement, cdp, assignation]", "stages: [impaye, nowhere]"
    )
    text = text.replace("    contact: banque_de_france\n", "    contact: astrologer\n", 1)
    text = text.replace(
        "    envelope:\n      qr: dihal-video-audience", "    envelope:\n      qr: elsewhere"
    )
    catalog_copy.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as error:
        load_catalog(catalog_copy)
    message = str(error.value)
    assert "unknown stage 'nowhere'" in message
    assert "unknown contact kind 'astrologer'" in message
    assert "unknown QR target 'elsewhere'" in message
    assert re.search(r"catalog\.yaml:\d+: letters\[\d+:drihl-assignation\]\.envelope\.qr", message)


# -- The envelope of the summons mailings ---------------------------------------------

# Words that would tell a neighbour or a postman what the letter is about.
REVEALING = re.compile(
    r"dette|loyer|impay|tribunal|audience|juge|justice|expuls|assignation|huissier|"
    r"commissaire|procédure|bail|drihl|caf\b",
    re.IGNORECASE,
)


def test_summons_mailings_get_a_neutral_dl_envelope_with_the_qr_code(sample_run):
    with (sample_run / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
        manifest = list(csv.DictReader(stream, delimiter=";"))
    envelopes = [d for d in manifest if d["letter_id"] == "envelope"]
    summoned = {d["household_key"] for d in manifest if d["letter_id"] == "drihl-assignation"}
    assert envelopes and {d["household_key"] for d in envelopes} == summoned
    for document in envelopes:
        path = sample_run / document["path"]
        page = PdfReader(path).pages[0]
        size = [round(float(v) * 25.4 / 72) for v in page.mediabox[2:]]
        assert size == [220, 110] and document["pages"] == "1"
        assert decode_qr(path) == [VIDEO]
        text = pdf_words(path)
        assert not REVEALING.search(text), text
        assert "ouvrez-le dès aujourd'hui" in text
        town, x, y = next(
            (t, x, y) for t, x, y in text_positions(path) if re.fullmatch(r"\d{5} [A-Z -]+", t)
        )
        assert 100 <= x <= 120 and 45 <= y <= 90, (town, x, y)
    summary = json.loads((sample_run / "summary.json").read_text(encoding="utf-8"))
    (entry,) = [p for p in summary["print_files"] if p["kind"] == "envelopes"]
    assert entry["envelopes"] == len(envelopes) == len(PdfReader(sample_run / entry["path"]).pages)


def test_catalog_check_renders_the_envelope_and_names_a_broken_one(cli, catalog_copy):
    template = catalog_copy.parent / "templates" / "envelopes" / "dl.html.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "{% for line in address_lines %}", "{% for line in nowhere %}"
        ),
        encoding="utf-8",
    )
    result = cli("catalog", "--check", "--catalog", catalog_copy)
    assert result.exit_code == 1
    assert "drihl-assignation" in result.output and "envelopes/dl.html.j2" in result.output
