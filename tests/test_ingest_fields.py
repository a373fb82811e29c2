from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pexmail.ingest import fields as f


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 234,56 €", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56 EUR", "1234.56"),
        ("1234.56", "1234.56"),
        ("1234,5", "1234.50"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("12 345", "12345.00"),
        ("€ 980", "980.00"),
        ("0", "0.00"),
        ("+250,00", "250.00"),
    ],
    ids=lambda v: repr(v),
)
def test_amounts_as_french_offices_write_them(raw, expected):
    assert f.parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("environ 3000", "amount"),
        ("12,345", "amount_ambiguous"),
        ("1.234", "amount_ambiguous"),
        ("-250,00", "amount_negative"),
        ("2 500 000,00", "amount_implausible"),
        ("1,2,3", "amount"),
        ("", "amount"),
        ("12.34.56", "amount"),
    ],
)
def test_amounts_refused_with_a_reason(raw, code):
    with pytest.raises(f.FieldError) as error:
        f.parse_amount(raw)
    assert error.value.code == code
    assert raw.strip() == "" or raw not in error.value.reason  # never echo the value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05/10/2026", date(2026, 10, 5)),
        ("5/1/2026", date(2026, 1, 5)),
        ("05-10-2026", date(2026, 10, 5)),
        ("05.10.2026", date(2026, 10, 5)),
        ("2026-10-05", date(2026, 10, 5)),
        ("2026-10-05T00:00:00", date(2026, 10, 5)),
        ("2026-10-05 13:45", date(2026, 10, 5)),
    ],
)
def test_dates(raw, expected):
    assert f.parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("31/02/2026", "date_impossible"),
        ("2026-13-01", "date_impossible"),
        ("05/10/26", "date_two_digit_year"),
        ("hier", "date"),
        ("01/01/1900", "date_implausible"),
    ],
)
def test_dates_refused(raw, code):
    with pytest.raises(f.FieldError) as error:
        f.parse_date(raw)
    assert error.value.code == code


def test_thousands_groups_and_the_plausibility_limit():
    assert f.parse_amount("1.234.567", maximum=Decimal(10**7)) == Decimal("1234567.00")
    with pytest.raises(f.FieldError):
        f.parse_amount("1.234.567")


def test_postcodes():
    assert f.parse_postcode("75 020") == "75020"
    assert f.parse_postcode("1000") == "01000"  # a spreadsheet dropped the zero
    with pytest.raises(f.FieldError):
        f.parse_postcode("750")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M", "M."),
        ("Monsieur", "M."),
        ("MME", "Mme"),
        ("Mademoiselle", "Mme"),
        ("M. et Mme", "M. et Mme"),
        ("Dr", None),
    ],
)
def test_civility(raw, expected):
    assert f.parse_civility(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bailleur social", "social"),
        ("HLM", "social"),
        ("Privé", "private"),
        ("SCI familiale", "private"),
        ("particulier", "private"),
    ],
)
def test_landlord_types(raw, expected):
    assert f.parse_landlord_type(raw) == expected


def test_landlord_codes_from_the_catalogue_win():
    assert f.parse_landlord_type("X1", {"X1": "social"}) == "social"
    with pytest.raises(f.FieldError):
        f.parse_landlord_type("coopérative")


def test_full_name_split():
    assert f.split_full_name("DUPONT-MARTIN Marie") == ("DUPONT-MARTIN", "Marie")
    assert f.split_full_name("Marie DUPONT-MARTIN") == ("DUPONT-MARTIN", "Marie")
    assert f.split_full_name("N'DIAYE Ousmane") == ("N'DIAYE", "Ousmane")
    assert f.split_full_name("BENALI KARIM") == ("BENALI", "KARIM")


def test_clean_text_refuses_what_no_letter_can_hold():
    assert f.clean_text("  12 rue\n de  Paris ") == "12 rue de Paris"
    for raw, code in [
        ("a\x00b", "nul_byte"),
        ("a\x07b", "control_character"),
        ("x" * 400, "too_long"),
        ("caf\udce9", "encoding"),
    ]:
        with pytest.raises(f.FieldError) as error:
            f.clean_text(raw)
        assert error.value.code == code


def test_yes_no():
    assert f.parse_bool("Oui") is True
    assert f.parse_bool("N") is False
    with pytest.raises(f.FieldError):
        f.parse_bool("peut-être")


@settings(max_examples=300)
@given(
    st.text(
        alphabet=st.characters(exclude_categories=["Cc", "Cs"])
        | st.sampled_from(" \t\n\r\xa0\u2009\u3000")
    )
)
def test_clean_text_collapses_whitespace_as_the_regex_did(raw):
    """str.split's whitespace is the regex ``\\s``'s: both are str.isspace."""
    import re

    try:
        text = f.clean_text(raw, max_length=10_000)
    except f.FieldError:
        return
    assert text == re.sub(r"\s+", " ", raw).strip()
