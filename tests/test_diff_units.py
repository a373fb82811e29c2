"""Fast checks of the diff's steps: words, readability, entry changes, page regions."""

from __future__ import annotations

from decimal import Decimal

from PIL import Image, ImageDraw

from pexmail.catalog.schema import Conditions, DebtBand
from pexmail.diff.entries import band, conditions_changes
from pexmail.diff.pages import compare_pages
from pexmail.diff.report import _mark
from pexmail.diff.text import page_text, readability
from pexmail.diff.words import Op, diff_text, excerpt, tokenize, words

NBSP = "\u00a0"


def test_words_keep_french_units_whole():
    text = f"Aujourd'hui, l'ADIL de Seine-Saint-Denis rappelle : 1{NBSP}850,40{NBSP}€ au 01{NBSP}82{NBSP}52{NBSP}40{NBSP}00, www.paris.fr/pages/x."
    tokens = [t.text for t in tokenize(text)]
    assert "Aujourd'hui" in tokens
    assert "l'" in tokens and "ADIL" in tokens  # elision apart from its word
    assert "Seine-Saint-Denis" in tokens
    assert f"1{NBSP}850,40" in tokens
    assert f"01{NBSP}82{NBSP}52{NBSP}40{NBSP}00" in tokens
    assert "www.paris.fr/pages/x" in tokens  # the final stop is not part of the address
    assert tokens[-1] == "."
    assert words("Contactez l'ADIL.") == ["Contactez", "ADIL"]  # « l'ADIL » is one word


def test_spacing_alone_is_not_a_change():
    assert not diff_text("Payez  votre loyer.", "Payez votre loyer.").changed
    assert not diff_text("Bonjour !", f"Bonjour{NBSP}!").changed
    assert diff_text("Bonjour !", "Bonjour.").changed


def test_word_level_diff_marks_insertions_and_deletions():
    before = "Titre\nSouvent, ils trouvent une erreur dans le calcul de la dette.\nFin"
    after = "Titre\nIls trouvent parfois une erreur dans le calcul.\nFin"
    diff = diff_text(before, after)
    assert [row.changed for row in diff.rows] == [False, True, False]
    row = diff.changed_rows[0]
    deleted = [p.text.strip() for p in row.pieces if p.op is Op.DELETE]
    inserted = [p.text.strip() for p in row.pieces if p.op is Op.INSERT]
    assert deleted == ["Souvent, ils", "de la dette"]
    assert inserted == ["Ils", "parfois"]
    assert (diff.deleted_words, diff.inserted_words) == (5, 2)
    line = _mark(excerpt(row))
    assert "[-Souvent, ils-] {+Ils+} trouvent {+parfois+}" in line
    assert line.endswith("calcul [-de la dette-].")


def test_moved_paragraph_is_removed_and_added():
    before = "A un.\nB deux.\nC trois.\nD quatre."
    after = "A un.\nC trois.\nD quatre.\nB deux."
    diff = diff_text(before, after)
    ops = [(row.op, row.text()) for row in diff.changed_rows]
    assert ops == [(Op.DELETE, "B deux."), (Op.INSERT, "B deux.")]


def test_page_text_one_paragraph_per_line():
    html = (
        "<html><head><title>x</title><style>p{}</style></head><body>"
        "<p>Madame,</p><p>Bonjour&nbsp;!</p><ul><li>Un</li><li>Deux</li></ul>"
        '<img alt="Code QR"></body></html>'
    )
    assert page_text(html).split("\n") == ["Madame,", f"Bonjour{NBSP}!", "Un", "Deux", "[Code QR]"]


def test_readability_counts_sentences_of_the_body():
    body = (
        "<p>Madame,</p><p>Vous avez un délai pour payer. Ce délai est écrit sur le "
        "commandement.</p><ol><li><strong>Payez.</strong> Payez votre loyer chaque mois.</li></ol>"
        "<h2>Qui appeler</h2>"
    )
    facts = readability(body)
    assert facts.sentences == 4  # « Madame, » is a salutation, not a sentence
    assert facts.longest == 7
    assert facts.average == round((6 + 7 + 1 + 5) / 4, 1)


def test_debt_band_change_in_words():
    a = Conditions(debt=DebtBand(min=Decimal(3000), max=Decimal(7000)))
    b = Conditions(debt=DebtBand(min=Decimal(3500), max=Decimal(7000)))
    (change,) = conditions_changes(a, b)
    assert change.topic == "debt band"
    assert change.text == (
        "from 3 000 € to under 7 000 € → from 3 500 € to under 7 000 € "
        "(lower limit 3 000 € → 3 500 €)"
    )
    assert band(DebtBand(min=Decimal(10000))) == "10 000 € or more"
    assert band(DebtBand(max=Decimal("2999.5"))) == "under 2 999,50 €"


def _page(lines: list[tuple[int, str]]) -> Image.Image:
    """A white page with a black bar per « line » at height y, its width from the text."""
    image = Image.new("L", (400, 600), 255)
    draw = ImageDraw.Draw(image)
    for y, text in lines:
        draw.text((20, y), text, fill=0)
    return image


def test_visual_diff_marks_a_moved_paragraph_where_it_left_and_arrived():
    lines = [f"Line number {i} of the letter body" for i in range(8)]
    moved = "THIS PARAGRAPH MOVES DOWN"
    before = _page([(40 + 30 * i, t) for i, t in enumerate([lines[0], moved, *lines[1:]])])
    after = _page([(40 + 30 * i, t) for i, t in enumerate([*lines, moved])])
    visual = compare_pages([before], [after])
    (page,) = visual.pages
    assert len(page.before_regions) == 1 and len(page.after_regions) == 1
    (_, top, _, bottom) = page.before_regions[0]
    assert top <= 70 + 5 and bottom >= 70 + 8  # where it left (y = 70)
    (_, top, _, bottom) = page.after_regions[0]
    assert top <= 280 + 5 and bottom >= 280 + 8  # where it arrived (y = 280)
    # the lines in between moved up by one line: they are not marked
    assert visual.regions == 2


def test_identical_pages_have_no_region():
    page = _page([(40, "Same"), (80, "Lines")])
    assert not compare_pages([page], [page.copy()]).changed


def test_entry_changes_in_words_for_facts_contacts_validity_and_qr(catalog, catalog_copy):
    """Catalogue edits → sentences a reviewer reads, without rendering anything."""
    from datetime import date

    from pexmail.catalog import load_catalog
    from pexmail.diff.entries import catalog_changes, letter_changes, pick

    text = catalog_copy.read_text(encoding="utf-8")
    text = text.replace("    text: 6 semaines\n", "    text: 8 semaines\n", 1)
    text = text.replace(
        "printed_url: youtube.com/watch?v=4og3KOPxOfw", "printed_url: youtu.be/4og3KOPxOfw"
    )
    text = text.replace(
        "    contacts: [adil, social_services, fsl, prevention_line]",
        "    contacts: [social_services, adil, fsl, prevention_line]",
    )
    text = text.replace(
        '      html: letters/drihl/cdp-private-adil.html.j2\n    version: "1.0"\n'
        "    valid_from: 2026-01-01\n",
        '      html: letters/drihl/cdp-private-adil.html.j2\n    version: "1.0"\n'
        "    valid_from: 2026-01-01\n    valid_until: 2026-11-30\n",
    )
    catalog_copy.write_text(text, encoding="utf-8")
    directory = catalog_copy.parent / "contacts/paris.yaml"
    directory.write_text(
        directory.read_text(encoding="utf-8").replace(
            "address: 46 bis, boulevard Edgar-Quinet, 75014 Paris",
            "address: 1, rue de l'Exemple, 75014 Paris",
        ),
        encoding="utf-8",
    )
    after = load_catalog(catalog_copy)
    on = date(2026, 11, 23)
    letter = "drihl-cdp-private-adil"
    changes = [
        str(c)
        for c in letter_changes(
            catalog, pick(catalog, letter, on), after, pick(after, letter, on), on
        )
    ]
    assert "validity: valid until no end → 2026-11-30" in changes
    assert (
        "contacts: order adil, social_services, fsl, prevention_line → "
        "social_services, adil, fsl, prevention_line; to call first: adil → social_services"
    ) in changes
    assert (
        "QR code: printed url « youtube.com/watch?v=4og3KOPxOfw » → « youtu.be/4og3KOPxOfw »"
        in changes
    )
    assert any(
        c.startswith("contacts: ADIL de Paris (ADIL 75) [paris-adil75]: address « 46 bis")
        and c.endswith("→ « 1, rue de l'Exemple, 75014 Paris »")
        for c in changes
    ), changes
    assert "legal facts: cdp_delay on 2026-11-23: prints « 6 semaines » → « 8 semaines »" in changes
    whole = [str(c) for c in catalog_changes(catalog, after)]
    assert any(c.startswith("legal facts: cdp_delay: « 6 semaines »") for c in whole), whole
    assert "qr: QR target dihal-video-audience: printed_url changed" in whole
    assert "contact directories: changed paris-adil75" in whole
