"""Broken input the reader must name precisely: mixed encodings, near-miss and repeated headers."""

from __future__ import annotations

import logging

import pytest

from pexmail.errors import InputFileError
from pexmail.ingest import inspect_file
from pexmail.ingest.fields import FieldError, clean_text, looks_like_mojibake

from .test_ingest_cases import EXPLOC_HEADER, GOOD, read_all


@pytest.mark.parametrize(
    "text",
    ["Ã©lodie", "HÃ©lÃ¨ne", "FranÃ§ois", "Ã‰mile", "CÃ´te dâ€™Azur", "Ã\xa0Paris", "Â« rue »"],
)
def test_utf8_read_as_windows_1252_is_detected(text):
    assert looks_like_mojibake(text)
    with pytest.raises(FieldError) as error:
        clean_text(text)
    assert error.value.code == "encoding_mixed"
    assert text not in error.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "Hélène",
        "François Œuvre",
        "LÉA-MARIE N'DIAYE",
        "Müller Ñúñez Øyvind Ærø",
        "1 234,56 €",
        "ÉCOLE « Les Lilas »",
        "محمد",
        "Nguyễn",
        "è»",
        "Ã",
    ],
)
def test_genuine_accented_text_is_not_mistaken_for_mojibake(text):
    assert not looks_like_mojibake(text)
    assert clean_text(text)


def test_a_windows_1252_file_holding_utf8_rows_rejects_those_rows_by_column(tmp_path, catalog):
    # The first rows are Windows-1252 (so the file is read as such); a row pasted
    # from a UTF-8 export follows: its accents decode as « Ã¨ » without any error.
    good = GOOD.encode("cp1252")
    pasted = GOOD.replace("EXP-9", "EXP-10").replace("Inès", "Hélène").encode("utf-8")
    path = tmp_path / "mixed.csv"
    path.write_bytes(EXPLOC_HEADER.encode("cp1252") + b"\r\n" + good + b"\r\n" + pasted + b"\r\n")
    cases, rejections, stats = read_all(path, catalog)
    assert [c.case_id for c in cases] == ["EXP-9"]
    assert cases[0].given_name == "Inès"
    assert stats.rows == 2
    (rejection,) = rejections
    assert [(p.column, p.code) for p in rejection.problems] == [
        ("Prénom", "encoding_mixed"),
        ("Type de bailleur", "encoding_mixed"),
    ]
    assert rejection.location.row == 3
    assert "Hél" not in rejection.problems[0].reason


def test_an_unknown_header_close_to_an_optional_column_is_pointed_out(tmp_path, catalog, caplog):
    header = EXPLOC_HEADER.replace("Loyer mensuel", "Loyer mensul")
    path = tmp_path / "typo.csv"
    path.write_text(f"{header}\n{GOOD}\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="pexmail"):
        info = inspect_file(path, catalog)
    assert info.columns.ignored == ("Loyer mensul",)
    assert info.columns.suggestions == (("Loyer mensul", "Loyer mensuel", "monthly_rent"),)
    assert "'Loyer mensul' is not used; is it 'Loyer mensuel' (monthly_rent)" in caplog.text


def test_an_unrelated_extra_column_gets_no_suggestion(tmp_path, catalog):
    path = tmp_path / "extra.csv"
    path.write_text(f"{EXPLOC_HEADER};Observations\n{GOOD};rien\n", encoding="utf-8")
    info = inspect_file(path, catalog)
    assert info.columns.ignored == ("Observations",)
    assert info.columns.suggestions == ()


def test_a_duplicated_header_names_its_columns_and_what_it_may_have_meant(tmp_path, catalog):
    # « Nom » twice and no « Prénom »: the second copy was probably meant as the first name.
    header = EXPLOC_HEADER.replace("Prénom", "Nom")
    path = tmp_path / "dup.csv"
    path.write_text(f"{header}\n{GOOD}\n", encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        inspect_file(path, catalog)
    message = error.value.format_message()
    assert "'Nom' is in columns 3 (C), 4 (D)" in message
    assert "rename or remove" in message


def test_a_duplicated_header_suggests_the_missing_column_it_resembles(tmp_path, catalog):
    header = EXPLOC_HEADER.replace("Date du bail", "Date de l'acte")
    path = tmp_path / "dup.csv"
    path.write_text(f"{header}\n{GOOD}\n", encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        inspect_file(path, catalog)
    message = error.value.format_message()
    assert "columns 13 (M), 14 (N)" in message
    assert "may be meant as 'Date du bail' (lease_date), which is missing" in message


def test_missing_columns_suggest_headers_whatever_their_case(tmp_path, catalog):
    header = EXPLOC_HEADER.replace("Montant de la dette", "MONTANT DETTE")
    path = tmp_path / "upper.csv"
    path.write_text(f"{header}\n{GOOD}\n", encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        inspect_file(path, catalog)
    assert "closest header: 'MONTANT DETTE'" in error.value.format_message()
