"""Property-based tests: whatever bytes a field holds, the reader and the batch hold, totals add
up, and one household's data never reaches another household's letter."""

from __future__ import annotations

import csv
import random
import re
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pexmail.errors import InputFileError
from pexmail.households.match import match_block
from pexmail.households.normalize import identity
from pexmail.ingest import FileStats, inspect_file, read_cases
from pexmail.model import Address, Case, Location, Rejection
from pexmail.pipeline import BatchOptions, run_batch

from .conftest import RUN_DATE
from .test_ingest_cases import EXPLOC_HEADER, GOOD

# Small and fixed: the whole suite must stay fast on CI; a failure is replayed from
# Hypothesis' database. The reader runs in microseconds, the batch in a fraction of a second.
READER = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
BATCH = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

COLUMNS = EXPLOC_HEADER.split(";")
CODES = {
    "ragged_row",
    "unclosed_quote",
    "required",
    "nul_byte",
    "encoding",
    "encoding_mixed",
    "control_character",
    "too_long",
    "amount",
    "amount_ambiguous",
    "amount_negative",
    "amount_implausible",
    "date",
    "date_two_digit_year",
    "date_impossible",
    "date_implausible",
    "date_future",
    "postcode",
    "territory",
    "landlord_type",
    "yes_no",
    "stage",
}
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")


def with_field(column: int, value: bytes) -> bytes:
    """GOOD's row with one field's bytes replaced by ``value``, as a spreadsheet would not quote it."""
    fields = [f.encode("utf-8") for f in GOOD.split(";")]
    fields[column] = value
    return b";".join(fields)


def read(data: bytes, catalog) -> tuple[list[Case | Rejection], FileStats]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        info = inspect_file(path, catalog)
        stats = FileStats()
        return list(read_cases(info, catalog, RUN_DATE, stats)), stats


@READER
@given(column=st.integers(0, len(COLUMNS) - 1), value=st.binary(max_size=80))
def test_any_bytes_in_a_field_are_a_case_or_a_located_rejection(catalog, column, value):
    data = (
        EXPLOC_HEADER.encode() + b"\n" + with_field(column, value) + b"\n" + GOOD.encode() + b"\n"
    )
    try:
        records, stats = read(data, catalog)
    except InputFileError:
        return  # a header the bytes made unreadable is refused as a whole, with a message
    assert len(records) == stats.rows
    rows = [r.location.row for r in records]
    assert rows == sorted(set(rows)) and all(row >= 2 for row in rows)
    for record in records:
        if isinstance(record, Rejection):
            assert record.problems
            for problem in record.problems:
                assert problem.code in CODES, problem
                assert problem.column is None or problem.column in COLUMNS
        else:
            for text in (record.family_name, record.given_name, record.address.street):
                assert not _UNPRINTABLE.search(text)
    if stats.error is None and b'"' not in value:
        # Without a quote to swallow it, the next row is read untouched.
        assert isinstance(records[-1], Case) and records[-1].case_id == "EXP-9"


@READER
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=15))
def test_any_row_of_bytes_never_stops_the_reader(catalog, fields):
    data = EXPLOC_HEADER.encode() + b"\n" + b";".join(fields) + b"\n"
    try:
        records, stats = read(data, catalog)
    except InputFileError:
        return
    assert len(records) == stats.rows <= data.count(b"\n") + data.count(b"\r")


@BATCH
@given(
    column=st.integers(0, len(COLUMNS) - 1),
    value=st.binary(max_size=60),
    formats=st.sampled_from([("docx",), ()]),
)
def test_any_bytes_in_a_field_never_stop_the_batch_and_totals_add_up(
    catalog, column, value, formats
):
    rows = [
        GOOD.replace("EXP-9", f"EXP-{n}").replace("3 rue", f"{n} rue").encode() for n in range(3)
    ]
    data = EXPLOC_HEADER.encode() + b"\n" + b"\n".join([*rows, with_field(column, value)]) + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        options = BatchOptions(
            run_date=RUN_DATE, formats=formats or ("docx",), use_ledger=False, dry_run=not formats
        )
        try:
            result = run_batch([path], catalog, Path(folder) / "out", options)
        except InputFileError:
            return
    rows_total = result.summary["rows"]
    assert rows_total["read"] == (
        rows_total["rendered"] + rows_total["suppressed"] + rows_total["rejected"]
    )
    assert rows_total["read"] >= 1


NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèçàôï-' ", min_size=1, max_size=14)


@BATCH
@given(names=st.lists(NAME, min_size=2, max_size=3), seed=st.integers(0, 2**16))
def test_a_household_letter_holds_its_own_data_and_no_one_elses(catalog, names, seed):
    from docx import Document

    # A unique marker per row, then random text: the names differ, whatever Hypothesis draws.
    people = [f"ZQ{i}X{''.join(n.split()) or 'a'}".upper() for i, n in enumerate(names)]
    streets = [f"ZQ{i}RUE {n}".strip() for i, n in enumerate(names)]
    lines = [
        f"C-{i};Mme;{person};Eve;{i + 1} rue {street};;93100;Montreuil;Bailleur social;OPH;"
        f"{1000 + 111 * i},00;;01/10/2026;;Oui"
        for i, (person, street) in enumerate(zip(people, streets, strict=True))
    ]
    random.Random(seed).shuffle(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        path.write_text("\n".join([EXPLOC_HEADER, *lines]) + "\n", encoding="utf-8")
        out = Path(folder) / "out"
        options = BatchOptions(run_date=RUN_DATE, formats=("docx",), use_ledger=False)
        result = run_batch([path], catalog, out, options)
        assert result.summary["rows"]["rendered"] == len(names)
        with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
            manifest = list(csv.DictReader(stream, delimiter=";"))
        assert len(manifest) == len(names)
        for entry in manifest:
            (case_id,) = entry["case_ids"].split()
            mine = int(case_id.split("-")[1])
            document = Document(out / entry["path"])
            text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
                c.text for t in document.tables for r in t.rows for c in r.cells
            )
            text = text.upper()
            assert people[mine] in text
            digits = re.sub(r"[\s\u00a0\u202f]", "", text)
            assert f"C-{mine}·" in digits  # the reference line: its own case id
            for other, person in enumerate(people):
                if other != mine:
                    assert f"ZQ{other}X" not in text, (person, entry["path"])
                    assert f"C-{other}·" not in digits


IDENTITY_TEXT = st.text(alphabet="abcdé -'|;,.0123456789", min_size=1, max_size=12)


def case_of(family: str, given: str, street: str, postcode: str) -> Case:
    return Case(
        location=Location("f.csv", 2),
        source_id="s",
        case_id="X",
        family_name=family,
        given_name=given,
        address=Address(street=street, postcode=postcode, commune="Paris"),
        territory_id="paris",
        stage="cdp",
    )


@settings(max_examples=200, deadline=None)
@given(
    a=st.tuples(IDENTITY_TEXT, IDENTITY_TEXT, IDENTITY_TEXT),
    b=st.tuples(IDENTITY_TEXT, IDENTITY_TEXT, IDENTITY_TEXT),
)
def test_different_identities_never_share_a_household_key(a, b):
    first, second = identity(case_of(*a, "75015")), identity(case_of(*b, "75015"))
    same = (first.postcode, first.number, first.street, first.names) == (
        second.postcode,
        second.number,
        second.street,
        second.names,
    )
    assert (first.key() == second.key()) == same


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["DUPONT", "DUPOND", "Dupont", "MARTIN", "BENALI"]),
            st.sampled_from(["Marie", "Karim", "", "M."]),
            st.sampled_from(["12 rue de Paris", "12 r. de Paris", "12 rue de Lyon"]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_household_keys_do_not_depend_on_the_order_of_rows(rows, rng):
    cases = [
        replace(case_of(family, given, street, "75015"), case_id=f"C{i}")
        for i, (family, given, street) in enumerate(rows)
    ]
    shuffled = list(cases)
    rng.shuffle(shuffled)

    def groups(items: list[Case]) -> set[tuple[str, frozenset[str]]]:
        found, _ = match_block(items)
        return {(g.key, frozenset(c.case_id for c in g.cases)) for g in found}

    assert groups(cases) == groups(shuffled)
