"""Each FALC rule on French sentences it must flag, and on sentences it must leave alone."""

from __future__ import annotations

import pytest

from pexmail.falc.layout import LayoutFacts, Rect, StyledRun
from pexmail.falc.rules import check_layout, check_text
from pexmail.falc.text import from_html, from_paragraphs


def rules_of(catalog, *paragraphs: str, subject: str = "") -> dict[str, list]:
    pairs = ([("subject", subject)] if subject else []) + [("paragraph", p) for p in paragraphs]
    report = check_text(from_paragraphs(pairs), catalog.document.falc)
    found: dict[str, list] = {}
    for finding in report.findings:
        found.setdefault(finding.rule, []).append(finding)
    return found


LONG_40 = " ".join(["Vous devez lire cette phrase qui ne finit jamais"] * 4 + ["ici."])


@pytest.mark.parametrize(
    ("rule", "flagged", "left_alone"),
    [
        ("sentence-length", LONG_40, "Payez votre loyer chaque mois."),
        (
            "negation",
            "Vous ne pouvez pas partir sans rien dire et ne jamais répondre.",
            "Il n'est jamais trop tard pour vous faire aider.",
        ),
        (
            "passive",
            "Votre dossier a été examiné par la commission.",
            "Vous êtes allé au tribunal. Votre aide est gratuite.",
        ),
        (
            "conditional",
            "Vous pourriez payer. Il faudrait appeler. Ce serait mieux. Il devrait répondre.",
            "Vous pouvez payer. Il faut appeler. Ce sont des frais. Jamais trop tard.",
        ),
        ("percentage", "Vous devez 35 % de la dette.", "Vous devez 1 850,40 €."),
        (
            "fraction",
            "Payez la moitié de la dette, ou 1/3 chaque mois.",
            "Payez 100 € chaque mois.",
        ),
        ("roman-numeral", "Lisez le chapitre XIV du bail.", "Le chat dort. Ce délai est court."),
        (
            "number-in-words",
            "Vous avez trois mois pour payer.",
            "Vous avez 3 mois pour payer. Un mois.",
        ),
        (
            "short-date",
            "Le juge vous attend le 05/10/2026.",
            "Le juge vous attend le 5 octobre 2026.",
        ),
        ("rare-word", "Votre créance est exigible.", "Votre dette est à payer."),
        (
            "long-word",
            "Votre situation est incontestablement préoccupante.",
            "Votre dette est grande.",
        ),
        (
            "capitals",
            "Vous devez PAYER IMMÉDIATEMENT VOTRE DETTE.",
            "Appelez la CAF (Caisse d'allocations familiales).",
        ),
    ],
)
def test_rule_flags_and_leaves_alone(catalog, rule, flagged, left_alone):
    assert rule in rules_of(catalog, flagged)
    assert rule not in rules_of(catalog, left_alone)


def test_sentence_length_is_an_error_past_its_error_threshold(catalog):
    [finding] = rules_of(catalog, LONG_40)["sentence-length"]
    assert finding.level == "error"
    [short] = rules_of(
        catalog,
        "Vous pouvez demander de l'aide à un travailleur social de votre ville cette semaine "
        "ou la semaine prochaine sans attendre.",
    )["sentence-length"]
    assert short.level == "warning"


def test_no_false_alarm_on_amounts_phones_urls_names_or_the_address(catalog):
    text = (
        "Votre dette est de 12 345,67 €. Appelez le 08 05 29 90 49. "
        "Allez sur www.service-public.fr/particuliers/vosdroits. Écrivez à contact@adil75.org. "
        "Madame Kowalczyk-Nguyen habite à Saint-Ouen-sur-Seine."
    )
    found = rules_of(catalog, text)
    assert not {"rare-word", "long-word", "number-in-words", "acronym", "capitals"} & set(found)
    # the address block is printed by the layout: a letter body never holds it
    body = from_html("Objet", "<p>Bonjour.</p>")
    assert all("75015" not in p.text for p in body.paragraphs)


def test_jargon_must_be_explained_at_first_use(catalog):
    found = rules_of(catalog, "Vous avez reçu une assignation. Vous devez venir.")
    assert found["jargon"][0].level == "error"
    explained = [
        "Vous avez reçu une assignation. Une assignation est une convocation au tribunal.",
        "Le commissaire de justice s'appelait avant « huissier ».",
        "Proposez de rembourser la dette un peu chaque mois. Cela s'appelle un plan d'apurement.",
        "Le juge peut mettre fin à votre bail. Le bail, c'est votre contrat de location.",
        "Votre contrat de location (bail) peut prendre fin.",
    ]
    for sentence in explained:
        assert "jargon" not in rules_of(catalog, sentence), sentence


def test_jargon_explained_too_late_is_flagged(catalog):
    found = rules_of(
        catalog,
        "Votre bail peut prendre fin.",
        "Payez votre loyer. Appelez votre mairie. Gardez vos papiers. Lisez ce courrier.",
        "Le bail, c'est votre contrat de location.",
    )
    assert "jargon" in found


def test_the_subject_line_announces_and_the_body_explains(catalog):
    found = rules_of(
        catalog,
        "Un commissaire de justice vous a remis un commandement de payer. "
        "Le commissaire de justice s'appelait avant « huissier ». Le commandement de payer vous demande de payer votre dette.",
        subject="Votre commandement de payer",
    )
    assert "jargon" not in found


def test_acronyms_are_spelled_out_at_first_use(catalog):
    assert rules_of(catalog, "Appelez la CCAPEX.")["acronym"][0].level == "error"
    assert rules_of(catalog, "Demandez un DSF à votre assistante.")["acronym"][0].level == "error"
    # not in the catalogue's list: maybe part of a name from a case file, so only a warning
    [unknown] = rules_of(catalog, "Votre bailleur est Habitat Toit SA.")["acronym"]
    assert unknown.level == "warning"
    for sentence in [
        "Demandez le Fonds de solidarité pour le logement (FSL). Le FSL aide.",
        "Contactez l'ADIL. L'ADIL est l'Agence départementale d'information sur le logement.",
        "Scannez le code QR.",
    ]:
        assert "acronym" not in rules_of(catalog, sentence), sentence


def test_readability_scores_flag_hard_text(catalog):
    hard = (
        "Conformément aux dispositions législatives applicables, la juridiction compétente "
        "prononcera éventuellement la résiliation judiciaire consécutivement à l'inexécution "
        "persistante des obligations contractuelles incombant au locataire défaillant. "
    ) * 2
    found = rules_of(catalog, hard)
    assert "readability-kandel-moles" in found
    assert "readability-lix" in found
    easy = "Payez votre loyer. Appelez votre mairie. Vous gardez votre logement. " * 4
    found = rules_of(catalog, easy)
    assert "readability-kandel-moles" not in found and "readability-lix" not in found


def run(text: str, **style) -> StyledRun:
    values = {"tag": "p", "font_size": 14.0, "line_height": 1.5}
    values.update(style)
    return StyledRun(text=text, **values)


@pytest.mark.parametrize(
    ("rule", "flagged", "left_alone"),
    [
        ("font-size", {"font_size": 10.0}, {"font_size": 14.0}),
        ("line-height", {"line_height": 1.2}, {"line_height": 1.5}),
        ("justified", {"justified": True}, {}),
        ("italic", {"italic": True}, {}),
        ("underline", {"underline": True}, {}),
        ("capitals", {"uppercase": True}, {}),
    ],
)
def test_layout_rules(catalog, rule, flagged, left_alone):
    config = catalog.document.falc
    assert rule in {f.rule for f in check_layout(LayoutFacts([run("Texte", **flagged)]), config)}
    assert rule not in {
        f.rule for f in check_layout(LayoutFacts([run("Texte", **left_alone)]), config)
    }


def test_headings_may_have_a_tighter_line_height(catalog):
    facts = LayoutFacts([run("Ce que vous pouvez faire", tag="h2", font_size=16, line_height=1.3)])
    assert check_layout(facts, catalog.document.falc) == []


def test_text_over_an_image_is_flagged(catalog):
    config = catalog.document.falc
    image = Rect(1, 100, 100, 50, 50)
    over = run("Texte", rect=Rect(1, 120, 120, 40, 10))
    beside = run("Texte", rect=Rect(1, 160, 120, 40, 10))
    assert [f.rule for f in check_layout(LayoutFacts([over], [image]), config)] == [
        "text-over-image"
    ]
    assert check_layout(LayoutFacts([beside], [image]), config) == []


def test_the_households_own_data_is_never_judged_as_vocabulary(catalog):
    # A landlord called « OPH » or « SCI DURAND-LEBLANC » is data: no acronym, capitals or
    # rare-word finding may refuse a strict letter because of it.
    from pexmail.falc.text import fold

    text = from_paragraphs(
        [("paragraph", "Votre bailleur OPH a écrit. La SCI DURAND-LEBLANC Xylophagiaque aussi.")]
    )
    config = catalog.document.falc
    flagged = {f.rule for f in check_text(text, config).findings}
    assert "acronym" in flagged
    data = frozenset(fold(w) for w in ("OPH", "SCI", "DURAND-LEBLANC", "Xylophagiaque"))
    kept = check_text(text, config, data).findings
    assert not [f for f in kept if f.rule in {"acronym", "capitals", "rare-word"}], kept


def test_layout_facts_come_from_weasyprint_computed_styles(catalog):
    from weasyprint import HTML

    from pexmail.falc.layout import from_weasyprint

    png = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
        "DwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    html = f"""<html style="font-size:14pt;line-height:1.5"><body>
    <div class="head" style="font-size:9pt"><p>Adresse en petit, hors du corps</p></div>
    <main class="letter-body">
      <p style="text-align:justify">Texte justifié.</p>
      <p><em>Texte en italique.</em> <u>souligné</u></p>
      <p style="line-height:1.1">Lignes serrées.</p>
      <div style="background-image:url({png})"><p>Texte sur une image.</p></div>
      <p>Texte normal.</p>
    </main></body></html>"""
    facts = from_weasyprint(HTML(string=html).render())
    assert "Adresse en petit, hors du corps" not in [r.text for r in facts.runs]
    found = {f.rule for f in check_layout(facts, catalog.document.falc)}
    assert found == {"justified", "italic", "underline", "line-height", "text-over-image"}


def test_layout_facts_from_a_docx(catalog):
    import io

    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    from pexmail.falc.layout import from_docx

    document = Document()
    head = document.add_paragraph().add_run("Direction régionale, en-tête en petit")
    head.font.size = Pt(9)
    document.add_paragraph().add_run("Objet : votre dette").font.size = Pt(12)
    for text in ("Texte du courrier en 12 points.", "Encore du texte, assez long pour compter."):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.add_run(text).font.size = Pt(12)
    document.add_paragraph().add_run("Un mot en italique.").italic = True
    document.paragraphs[-1].runs[0].font.size = Pt(12)
    buffer = io.BytesIO()
    document.save(buffer)
    facts, texts = from_docx(buffer.getvalue())
    assert texts[0] == "Objet : votre dette"  # the smaller letterhead is left out
    found = {f.rule for f in check_layout(facts, catalog.document.falc)}
    assert {"font-size", "justified", "italic"} <= found


def test_the_falc_package_knows_neither_click_nor_the_pipeline():
    import ast
    from pathlib import Path

    import pexmail.falc

    for path in Path(pexmail.falc.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("click", "pexmail.pipeline", "pexmail.cli")), path
