import pytest

from pexmail.model import Address
from pexmail.render.address import MAX_CHARS, AddressError, address_block, town_line


def test_block_follows_nf_z_10_011():
    block = address_block(
        "Mme",
        "Marie",
        "Dupont-Martin",
        Address("12 bd de Belleville", "75020", "Paris", complement="Bât. B"),
    )
    assert block.lines == (
        "Madame Marie DUPONT-MARTIN",
        "Bât. B",
        "12 bd de Belleville",
        "75020 PARIS",
    )
    assert all(len(line) <= MAX_CHARS for line in block.lines) and len(block.lines) <= 6


def test_last_line_in_capitals_without_accents_or_hyphens():
    assert town_line("93200", "Saint-Denis") == "93200 SAINT DENIS"
    assert town_line("62110", "Hénin-Beaumont") == "62110 HENIN BEAUMONT"
    assert town_line("93600", "Aulnay-sous-Bois") == "93600 AULNAY SOUS BOIS"


def test_long_lines_are_abbreviated_as_la_poste_does():
    block = address_block(
        "M.",
        "Jean-Baptiste",
        "De La Fontaine-Saint-Maurice",
        Address(
            "112 boulevard du Général Maréchal Leclerc",
            "75015",
            "Paris",
            complement="Résidence des Acacias Bâtiment C",
        ),
    )
    assert all(len(line) <= MAX_CHARS for line in block.lines)
    assert block.lines[0] in (
        "M. J.-B. DE LA FONTAINE-SAINT-MAURICE",
        "M. DE LA FONTAINE-SAINT-MAURICE",
    )
    assert "BD" in block.lines[2].upper()


def test_an_address_that_cannot_fit_is_refused_not_cut():
    with pytest.raises(AddressError) as error:
        address_block(
            "Mme",
            "A",
            "B",
            Address("1 " + "très longue voie sans abréviation possible ici", "75001", "Paris"),
        )
    assert error.value.line == 4
