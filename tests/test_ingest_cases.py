"""Reading partners' files: every quirk reads into the same cases; bad rows are rejected, located."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pexmail.errors import InputFileError
from pexmail.ingest import FileStats, inspect_file, read_cases
from pexmail.model import Case, Rejection

from .conftest import DATA, RUN_DATE

EXPLOC_HEADER = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;Allocataire CAF"
)


def read_all(path: Path, catalog, **kwargs) -> tuple[list[Case], list[Rejection], FileStats]:
    info = inspect_file(path, catalog, **kwargs)
    stats = FileStats()
    records = list(read_cases(info, catalog, RUN_DATE, stats))
    return (
        [r for r in records if isinstance(r, Case)],
        [r for r in records if isinstance(r, Rejection)],
        stats,
    )


def canonical(case: Case) -> tuple:
    return (
        case.case_id,
        case.civility,
        case.family_name,
        case.given_name,
        case.address.street,
        case.address.complement,
        case.address.postcode,
        case.address.commune,
        case.territory_id,
        case.landlord_type,
        case.debt,
        case.act_date,
        case.caf_recipient,
        case.stage,
    )


EXPECTED = [
    (
        "EXP-1",
        "Mme",
        "DUPONT-MARTIN",
        "Marie",
        "12 bd de Belleville",
        "Bât. B",
        "75020",
        "Paris",
        "paris",
        "private",
        Decimal("1234.56"),
        date(2026, 10, 5),
        True,
        "cdp",
    ),
    (
        "EXP-2",
        "M.",
        "BENALI",
        "Karim",
        "8, rue de Paris",
        "",
        "93100",
        "Montreuil",
        "seine-saint-denis",
        "social",
        Decimal("3450.00"),
        date(2026, 9, 12),
        False,
        "cdp",
    ),
]


@pytest.mark.parametrize("path", sorted((DATA / "csv").glob("*.csv")), ids=lambda p: p.name)
def test_every_office_quirk_reads_into_the_same_cases(path, catalog):
    cases, rejections, stats = read_all(path, catalog)
    assert rejections == []
    assert [canonical(c) for c in cases] == EXPECTED
    assert stats.rows == 2 and stats.error is None


def test_encoding_and_delimiter_are_reported(catalog):
    info = inspect_file(DATA / "csv" / "semicolon_cp1252_crlf.csv", catalog)
    assert (info.encoding, info.delimiter, info.columns.source.id) == (
        "cp1252",
        ";",
        "drihl-exploc-cdp",
    )
    info = inspect_file(DATA / "csv" / "utf16_tab.csv", catalog)
    assert (info.encoding, info.delimiter) == ("utf-16", "\t")


def write(tmp_path: Path, text: str, name: str = "cases.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


GOOD = "EXP-9;Mme;LEROY;Inès;3 rue Lecourbe;;75015;Paris;Privé;;2 000,00;700,00;01/10/2026;;Oui"


def test_bad_rows_are_rejected_with_row_and_column_and_the_rest_goes_on(tmp_path, catalog):
    rows = [
        GOOD,
        "EXP-10;Mme;;Inès;3 rue Lecourbe;;75015;Paris;Privé;;2 000,00;700,00;01/10/2026;;Oui",
        "EXP-11;Mme;PETIT;Lou;3 rue Lecourbe;;75015;Paris;Privé;;beaucoup;700,00;31/02/2026;;Oui",
        "EXP-12;Mme;PETIT;Lou;3 rue Lecourbe;;13001;Marseille;Privé;;2 000,00;700,00;01/10/2026;;Oui",
        "EXP-13;Mme;PETIT;Lou;3 rue Lecourbe;;75015;Paris;Coopérative;;2 000,00;700,00;01/10/2026;;Oui",
        "EXP-14;Mme;PETIT;Lou;3 rue Lecourbe;;75015;Paris",
        "EXP-15;Mme;PETIT;Lou;3 rue Lecourbe;;75015;Paris;Privé;;2 000,00;700,00;01/12/2026;;Oui",
        GOOD.replace("EXP-9", "EXP-16"),
    ]
    path = write(tmp_path, "\n".join([EXPLOC_HEADER, *rows]) + "\n")
    cases, rejections, stats = read_all(path, catalog)
    assert [c.case_id for c in cases] == ["EXP-9", "EXP-16"]
    assert stats.rows == 8
    found = {(r.location.row, p.column, p.code) for r in rejections for p in r.problems}
    assert found == {
        (3, "Nom", "required"),
        (4, "Montant de la dette", "amount"),
        (4, "Date de l'acte", "date_impossible"),
        (5, "Code postal", "territory"),
        (6, "Type de bailleur", "landlord_type"),
        (7, None, "ragged_row"),
        (8, "Date de l'acte", "date_future"),
    }
    for rejection in rejections:
        for problem in rejection.problems:
            assert "Marseille" not in problem.reason and "beaucoup" not in problem.reason


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_number(tmp_path, catalog):
    path = write(tmp_path, f"{EXPLOC_HEADER}\n\n;;;;;;;;;;;;;;\n{GOOD}\n")
    cases, _, stats = read_all(path, catalog)
    assert [c.location.row for c in cases] == [4]
    assert stats.blank_lines == 2 and stats.rows == 1


def test_a_field_over_128_kib_is_a_rejected_row_not_a_crash(tmp_path, catalog):
    huge = GOOD.replace("3 rue Lecourbe", '"' + "x" * 200_000 + '"')
    path = write(tmp_path, f"{EXPLOC_HEADER}\n{huge}\n{GOOD}\n")
    cases, rejections, _ = read_all(path, catalog)
    assert len(cases) == 1
    assert rejections[0].problems[0].code == "too_long"


def test_invalid_bytes_in_a_utf8_file_reject_only_their_row(tmp_path, catalog):
    text = (
        f"{EXPLOC_HEADER}\n{GOOD}\n".encode()
        + GOOD.replace("Inès", "In\xe8s").encode("cp1252")
        + b"\n"
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(text)
    cases, rejections, _ = read_all(path, catalog)
    assert len(cases) == 1
    assert (
        rejections[0].location.row,
        rejections[0].problems[0].column,
        rejections[0].problems[0].code,
    ) == (3, "Prénom", "encoding")


def test_unknown_header_names_the_closest_source_and_missing_columns(tmp_path, catalog):
    header = EXPLOC_HEADER.replace("Montant de la dette", "Montant dette").replace(
        "Code postal", "CP postal"
    )
    path = write(tmp_path, f"{header}\n{GOOD}\n")
    with pytest.raises(InputFileError) as error:
        inspect_file(path, catalog)
    message = error.value.format_message()
    assert "drihl-exploc-cdp" in message
    assert "postcode: expected a column 'Code postal'" in message
    assert "closest header: 'Montant dette'" in message
    assert "--source" in message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"", "empty"), (b"\n\n", "empty"), (b"a\x00b;c\n", "NUL")],
    ids=["empty", "blank", "nul-header"],
)
def test_unusable_files_are_refused_before_any_row(tmp_path, catalog, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as error:
        inspect_file(path, catalog)
    assert fragment in error.value.format_message()


def test_duplicated_mapped_header_is_refused(tmp_path, catalog):
    path = write(tmp_path, f"{EXPLOC_HEADER};Nom\n{GOOD};X\n")
    with pytest.raises(InputFileError, match="more than once"):
        inspect_file(path, catalog)


def test_header_only_file_reads_no_row(tmp_path, catalog):
    cases, rejections, stats = read_all(write(tmp_path, EXPLOC_HEADER + "\n"), catalog)
    assert (cases, rejections, stats.rows) == ([], [], 0)


def test_source_defaults_and_codes(tmp_path, catalog):
    text = (
        "matricule,nom_prenom,adresse_1,adresse_2,cp,ville,type_bailleur,montant_impaye,loyer,date_signalement\n"
        "CAF1,DIALLO Inès,87 rue René Lanoy,,62300,LENS,BS,2418.79,925.12,2026-08-15\n"
    )
    cases, rejections, _ = read_all(write(tmp_path, text, encoding="utf-8-sig"), catalog)
    assert rejections == []
    (case,) = cases
    assert (
        case.family_name,
        case.given_name,
        case.stage,
        case.caf_recipient,
        case.landlord_type,
    ) == ("DIALLO", "Inès", "signalement", True, "social")
    assert case.territory_id == "pas-de-calais"


def test_unterminated_quote_stops_the_file_with_an_error(tmp_path, catalog):
    path = write(
        tmp_path, f'{EXPLOC_HEADER}\n{GOOD}\nEXP-2;"Mme;' + "x;" * 10 + "\n" + "y" * 100 + "\n"
    )
    info = inspect_file(path, catalog)
    stats = FileStats()
    records = list(read_cases(info, catalog, RUN_DATE, stats))
    assert len(records) >= 1
    # Either the reader rejects the swallowed row or reports that it had to stop.
    assert stats.error is not None or any(isinstance(r, Rejection) for r in records)
