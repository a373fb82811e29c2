"""Print files: parts of bounded size, page-exact, each letter where the index says."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from pexmail.model import Document
from pexmail.output.ledger import Conflict, Ledger, Reservation, ReserveRequest
from pexmail.output.manifest import CsvStream
from pexmail.output.printfile import INDEX_COLUMNS, PrintFiles, merge_part


def letter_pdf(path: Path, pages: int, mark: int) -> Path:
    """A letter of ``pages`` pages whose pages are ``mark`` points wide: recognisable later."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200 + mark, height=842)
    with path.open("wb") as stream:
        writer.write(stream)
    return path


def read_index(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


@pytest.mark.parametrize("duplex", [False, True])
def test_parts_are_page_exact_and_the_index_finds_every_letter(tmp_path, duplex):
    sizes = [1, 2, 3, 1, 2, 1, 1]  # pages of each letter, in order
    letters = [
        letter_pdf(tmp_path / f"l{n}.pdf", pages, n) for n, pages in enumerate(sizes, start=1)
    ]
    index = CsvStream(tmp_path / "print" / "index.csv", INDEX_COLUMNS)
    prints = PrintFiles(tmp_path, merge_part_sync, index, letters_per_file=3, duplex=duplex)
    for n, (path, pages) in enumerate(zip(letters, sizes, strict=True), start=1):
        prints.add("cdp", path.name, pages, f"h-{n}", "cdp")
    entries = prints.finish()
    index.finish()
    assert [e["path"] for e in entries] == [
        "print/cdp-001.pdf",
        "print/cdp-002.pdf",
        "print/cdp-003.pdf",
    ]
    assert [e["letters"] for e in entries] == [3, 3, 1]
    rows = read_index(tmp_path / "print" / "index.csv")
    assert [r["household_key"] for r in rows] == [f"h-{n}" for n in range(1, 8)]
    for entry in entries:
        reader = PdfReader(tmp_path / entry["path"])
        mine = [r for r in rows if r["print_file"] == entry["path"]]
        blanks = sum(r["blank_page_after"] == "yes" for r in mine)
        assert len(reader.pages) == entry["pages"] == sum(int(r["pages"]) for r in mine) + blanks
        for row in mine:
            n = int(row["household_key"][2:])
            start = int(row["start_page"]) - 1
            for offset in range(int(row["pages"])):  # the letter's pages, where the index says
                assert float(reader.pages[start + offset].mediabox.width) == 200 + n
            after = start + int(row["pages"])
            if row["blank_page_after"] == "yes":
                assert float(reader.pages[after].mediabox.width) == 200 + n
                assert not reader.pages[after].get_contents()
        if duplex:
            assert all((int(r["pages"]) + (r["blank_page_after"] == "yes")) % 2 == 0 for r in mine)
            assert len(reader.pages) % 2 == 0
    assert blanks_total(rows) == (sum(p % 2 for p in sizes) if duplex else 0)


def blanks_total(rows: list[dict[str, str]]) -> int:
    return sum(r["blank_page_after"] == "yes" for r in rows)


def merge_part_sync(paths: list[str], target: str, blanks: list[bool]) -> int:
    return merge_part([Path(p) for p in paths], Path(target), blanks)


def test_a_wrong_page_count_is_an_error_not_a_lying_index(tmp_path):
    letter_pdf(tmp_path / "a.pdf", 2, 1)
    prints = PrintFiles(tmp_path, merge_part_sync, CsvStream(None, INDEX_COLUMNS))
    prints.add("x", "a.pdf", 1, "h-1", "x")  # the manifest says 1 page, the file has 2
    with pytest.raises(RuntimeError, match="2 pages written, 1 expected"):
        prints.finish()


def test_ledger_reserves_commits_and_releases_a_chunk_in_one_go(tmp_path):
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        run = ledger.begin_run(date(2026, 11, 23), tmp_path, "x")
        requests = [
            ReserveRequest(f"h-{n}", "cdp", "2026-10-01", "1.0", "drihl", "cdp") for n in range(3)
        ]
        outcomes = ledger.reserve_many(run, requests, run_date=date(2026, 11, 23), out_dir=tmp_path)
        assert all(isinstance(o, Reservation) for o in outcomes)
        issued = [
            (
                o,
                [
                    Document(
                        o.household_key,
                        "cdp",
                        "1.0",
                        "drihl",
                        "pdf",
                        f"{o.household_key}.pdf",
                        "0" * 64,
                        1,
                        ("C1",),
                    )
                ],
                [],
            )
            for o in outcomes[:2]
        ]
        ledger.commit_many(run, issued)
        ledger.release_many(run, outcomes[2:])
        rows = ledger.db.execute("SELECT household_key, status FROM letters ORDER BY 1").fetchall()
        assert rows == [("h-0", "issued"), ("h-1", "issued")]
        again = ledger.reserve_many(
            run, requests[:1], run_date=date(2026, 11, 23), out_dir=tmp_path
        )
        assert isinstance(again[0], Conflict) and again[0].code == "already_sent"


def test_a_part_whose_merge_failed_is_merged_again_here(tmp_path):
    from concurrent.futures import Future

    letter_pdf(tmp_path / "a.pdf", 2, 1)
    letter_pdf(tmp_path / "b.pdf", 1, 2)

    def broken(paths, target, blanks):
        future: Future = Future()
        future.set_exception(RuntimeError("worker died"))
        return future

    prints = PrintFiles(tmp_path, broken, CsvStream(None, INDEX_COLUMNS), letters_per_file=1)
    prints.add("x", "a.pdf", 2, "h-1", "x")
    prints.add("x", "b.pdf", 1, "h-2", "x")
    entries = prints.finish()
    assert [(e["path"], e["pages"]) for e in entries] == [
        ("print/x-001.pdf", 2),
        ("print/x-002.pdf", 1),
    ]
    assert len(PdfReader(tmp_path / "print" / "x-002.pdf").pages) == 1
