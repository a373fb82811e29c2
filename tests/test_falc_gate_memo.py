"""The FALC gate checks each text shape once: same counts and refusals as checking every letter."""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from pexmail.falc import gate as gate_module
from pexmail.falc.gate import FalcGate, check_prepared, numbers_read, text_shape
from pexmail.render.letter import LetterRenderer, Refused
from pexmail.render.preflight import letter_territories, sample_facts

RUN_DATE = date(2026, 11, 23)
NAMES = [("MARTIN", "Awa"), ("N'DIAYE", "Jean-Baptiste"), ("LE GOFF", "Zoé"), ("DA SILVA", "Ana")]
LANDLORDS = ["Paris Habitat", "SCI DURAND", "OPH de Bobigny", ""]


@pytest.fixture(scope="module")
def renderer(catalog):
    return LetterRenderer(catalog, RUN_DATE, ("pdf",), allow_stale=True, engine="typst")


def variants(catalog, letter, territory, count):
    """Households that differ in names, debt, rent, dates and landlord: what a batch varies."""
    base = sample_facts(catalog, letter, territory)
    for i in range(count):
        family, given = NAMES[i % len(NAMES)]
        debt = base.debt + Decimal(i * 7) + Decimal("0.37") if base.debt is not None else None
        yield dataclasses.replace(
            base,
            case_id=f"EXP-{i:05d}",
            family_name=family,
            given_name=given,
            landlord_name=LANDLORDS[i % len(LANDLORDS)],
            debt=debt,
            monthly_rent=Decimal(400 + 3 * i),
            act_date=(base.act_date or RUN_DATE) - timedelta(days=i % 5),
            hearing_date=(RUN_DATE + timedelta(days=40 + i)) if base.hearing_date else None,
        )


def prepared_letters(catalog, renderer, per_territory=6):
    for letter in catalog.letters_in_force(RUN_DATE):
        for territory in letter_territories(catalog, letter):
            for facts in variants(catalog, letter, territory, per_territory):
                try:
                    yield renderer.prepare(letter, facts)
                except Refused:
                    continue


def test_the_memo_counts_exactly_what_checking_every_letter_counts(catalog, renderer):
    gate = FalcGate(catalog)
    by_rule: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    refused = checked = 0
    for prepared in prepared_letters(catalog, renderer):
        check = check_prepared(prepared, catalog.document.falc)
        checked += 1
        by_rule.update(f.rule for f in check.findings)
        levels.update(f.level for f in check.findings)
        try:
            gate.check_text(prepared)
        except Refused as refusal:
            assert check.refused
            refused += 1
            assert "run `pexmail check`" in refusal.reason
        else:
            assert not check.refused
    assert checked > 50
    assert (gate.checked, gate.refused) == (checked, refused)
    assert gate.by_rule == by_rule and gate.levels == levels


def test_households_differing_in_amounts_names_and_dates_are_checked_once(
    catalog, renderer, monkeypatch
):
    calls = []

    def counting(prepared, config):
        calls.append(prepared.letter.id)
        return check_prepared(prepared, config)

    monkeypatch.setattr(gate_module, "check_prepared", counting)
    gate = FalcGate(catalog)
    letter = next(x for x in catalog.letters_in_force(RUN_DATE) if x.id == "drihl-cdp-private-adil")
    shapes = set()
    for facts in variants(catalog, letter, "paris", 24):
        prepared = renderer.prepare(letter, facts)
        shapes.add(text_shape(prepared, numbers_read(catalog.document.falc)))
        gate.check_text(prepared)
    assert gate.checked == 24
    # one check per shape: the debt's digits (999 or 1 000), the act date's month, a name
    # that is also a word of the letter (« LE GOFF »): a few shapes for 24 households
    assert len(calls) == len(shapes) <= 12


def test_the_shape_keeps_what_a_rule_reads(catalog, renderer):
    letter = next(x for x in catalog.letters_in_force(RUN_DATE) if x.id == "drihl-cdp-social")
    base = sample_facts(catalog, letter, "paris")

    def shape(**changes):
        return text_shape(
            renderer.prepare(letter, dataclasses.replace(base, **changes)),
            numbers_read(catalog.document.falc),
        )

    # digits reduced to their shape: 1 234,56 € and 9 876,54 € read alike, 123,45 € does not
    assert shape(debt=Decimal("1234.56")) == shape(debt=Decimal("9876.54"))
    assert shape(debt=Decimal("1234.56")) != shape(debt=Decimal("123.45"))
    # the household's name is not printed in the body: it changes nothing
    assert shape(family_name="MARTIN") == shape(family_name="DA SILVA")


def test_a_name_that_is_a_word_the_rules_report_gets_its_own_verdict(catalog, renderer):
    """A family name equal to a word the letter's rules report (« rare word ») exempts it
    for that household only: the memo keys on the data words the rules asked about."""
    config = catalog.document.falc
    for letter in catalog.letters_in_force(RUN_DATE):
        territory = letter_territories(catalog, letter)[0]
        base = sample_facts(catalog, letter, territory)
        check = check_prepared(renderer.prepare(letter, base), config)
        words = [f.excerpt for f in check.findings if f.rule in ("rare-word", "long-word")]
        if words:
            break
    else:
        pytest.skip("no letter has a rare or long word")
    named = dataclasses.replace(base, family_name=words[0].upper())
    gate = FalcGate(catalog)
    for facts in (base, named, base, named):
        with contextlib.suppress(Refused):
            gate.check_text(renderer.prepare(letter, facts))
    expected = Counter()
    for facts in (base, named, base, named):
        expected.update(
            f.rule for f in check_prepared(renderer.prepare(letter, facts), config).findings
        )
    assert gate.by_rule == expected
    plain = Counter(f.rule for f in check.findings)
    assert sum(expected.values()) < 4 * sum(plain.values())  # the name was exempted


def test_numbers_the_rules_look_for_are_kept_as_written(catalog):
    # « du 1er novembre au 31 mars » explains the winter truce: « 31 » must not read as « 11 »
    keep = numbers_read(catalog.document.falc)
    assert {"1", "31"} <= keep


def test_docx_layout_read_from_two_parts_is_what_the_whole_package_gives(catalog, monkeypatch):
    """from_docx reads word/document.xml and a cached styles part; python-docx opening the
    whole package must find the same runs, sizes and styles."""
    from pexmail.falc import layout

    renderer = LetterRenderer(catalog, RUN_DATE, ("docx",), allow_stale=True)
    documents = []
    for letter in catalog.letters_in_force(RUN_DATE):
        territory = letter_territories(catalog, letter)[0]
        prepared = renderer.prepare(letter, sample_facts(catalog, letter, territory))
        documents.append(renderer.render(prepared).outputs["docx"][0])
    fast = [layout.from_docx(data) for data in documents]
    monkeypatch.setattr(layout, "_main_part", lambda archive: False)
    assert [layout.from_docx(data) for data in documents] == fast
    assert all(facts.runs for facts, _texts in fast)


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_layout_checks_read_once_per_style_shape_count_what_reading_every_file_counts(
    catalog, kind
):
    """Typst gives no boxes to read, so the gate reads the PDF (a DOCX: its styles), once per
    style shape. On letters of every type and territory with varied households, the findings
    equal reading every file."""
    from pexmail.falc.layout import from_docx, from_pdf
    from pexmail.falc.rules import check_layout

    renderer = LetterRenderer(catalog, RUN_DATE, (kind,), allow_stale=True, engine="typst")
    read_one = from_pdf if kind == "pdf" else (lambda data: from_docx(data)[0])
    gate = FalcGate(catalog)
    expected: Counter[str] = Counter()
    letters = reads = 0
    name = "styles_from_pdf" if kind == "pdf" else "from_docx"
    real = getattr(gate_module.layout_facts, name)

    def counting(data):
        nonlocal reads
        reads += 1
        return real(data)

    setattr(gate_module.layout_facts, name, counting)
    try:
        for prepared in prepared_letters(catalog, renderer, per_territory=3):
            rendered = renderer.render(prepared)
            assert rendered.layout is None  # Typst: no laid-out boxes
            findings = check_layout(read_one(rendered.outputs[kind][0]), catalog.document.falc)
            expected.update(f.rule for f in findings)
            before = Counter(gate.by_rule)
            with contextlib.suppress(Refused):
                gate.check_layout(rendered)
            assert Counter(gate.by_rule) - before == Counter(f.rule for f in findings)
            letters += 1
    finally:
        setattr(gate_module.layout_facts, name, real)
    assert letters > 50
    assert gate.by_rule == expected
    assert reads < letters / 2  # most letters share a style shape


def test_a_typst_layout_in_small_type_is_refused_by_the_gate(catalog_copy):
    """The check reads what Typst printed: a layout that sets the body in 12 pt is caught.
    (Italics cannot happen: the bundled fonts have no italic face and Typst does not slant
    the upright one.)"""
    from pexmail.catalog.load import load_catalog

    asset = catalog_copy.parent / "templates" / "assets" / "letter.typ"
    text = asset.read_text(encoding="utf-8")
    marker = 'set text(font: fonts, size: 14pt, lang: "fr"'
    assert marker in text
    asset.write_text(text.replace(marker, marker.replace("14pt", "12pt")), encoding="utf-8")
    catalog = load_catalog(catalog_copy)
    renderer = LetterRenderer(catalog, RUN_DATE, ("pdf",), allow_stale=True, engine="typst")
    gate = FalcGate(catalog)
    letter = next(x for x in catalog.letters if x.id == "drihl-cdp-social")
    assert letter.falc == "strict"
    rendered = renderer.render(renderer.prepare(letter, sample_facts(catalog, letter, "paris")))
    with pytest.raises(Refused) as refusal:
        gate.check_layout(rendered)
    assert "font-size" in refusal.value.reason
