"""A large file is streamed: memory does not grow with the number of rows."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from .conftest import RUN_DATE

HEADER = "matricule,nom_prenom,adresse_1,adresse_2,cp,ville,type_bailleur,montant_impaye,loyer,date_signalement\n"


def write_rows(path: Path, rows: int, junk: int = 0) -> None:
    rng = random.Random(rows)
    with path.open("w", encoding="utf-8") as stream:
        stream.write(HEADER.replace("\n", ",commentaire\n"))
        for i in range(rows):
            stream.write(
                f"CAF{i},NOM{i} Prenom{i % 97},{rng.randint(1, 200)} rue de la Paix {i % 300},,"
                f"{rng.choice(['75', '93', '62'])}{rng.randint(0, 999):03d},VILLE,BS,{rng.randint(100, 9000)}.00,"
                f"500.00,2026-10-{rng.randint(1, 28):02d},{'x' * junk}\n"
            )


def peak_rss_kib(csv_path: Path, out: Path, catalog: Path) -> tuple[int, dict]:
    """Run the real CLI in a child process and read its peak resident memory."""
    code = (
        "import resource, subprocess, sys;"
        "r = subprocess.run(sys.argv[1:]);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
        "sys.exit(r.returncode)"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            sys.executable,
            "-m",
            "pexmail",
            "render",
            str(csv_path),
            "--out",
            str(out),
            "--no-ledger",
            "--date",
            RUN_DATE.isoformat(),
            "--catalog",
            str(catalog),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1]), json.loads(
        (out / "summary.json").read_text()
    )


def test_memory_stays_flat_from_2_000_to_20_000_rows(tmp_path, catalog_copy):
    # Reading, staging and grouping are measured, not rendering 20 000 letters:
    # in this catalogue copy no letter is in force yet at the run date.
    text = catalog_copy.read_text(encoding="utf-8")
    catalog_copy.write_text(
        text.replace("valid_from: 2026-01-01", "valid_from: 2027-01-01"), encoding="utf-8"
    )
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    write_rows(small, 2_000)
    write_rows(large, 20_000, junk=2_000)  # and 40 MB of an ignored column
    small_rss, _ = peak_rss_kib(small, tmp_path / "o1", catalog_copy)
    large_rss, summary = peak_rss_kib(large, tmp_path / "o2", catalog_copy)
    assert summary["rows"]["read"] == 20_000
    assert (
        summary["rows"]["read"]
        == summary["rows"]["rendered"] + summary["rows"]["suppressed"] + summary["rows"]["rejected"]
    )
    assert large_rss <= small_rss * 1.15, (small_rss, large_rss)
