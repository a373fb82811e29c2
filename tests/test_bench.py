"""The benchmark runs end to end from its documented command and reports its figures."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

from .conftest import ROOT


def test_synthetic_households_cover_the_three_territories(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run as bench
    finally:
        sys.path.pop(0)
    path = tmp_path / "h.csv"
    bench.write_households(path, 500)
    with path.open(encoding="cp1252", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    assert len(rows) == 500
    assert {r["Code postal"][:2] for r in rows} == {"75", "93", "62"}
    addresses = {(r["Adresse"], r["Code postal"]) for r in rows}
    assert len(addresses) == 500  # one household per address: no accidental merges


def test_quick_benchmark_end_to_end(tmp_path):
    figures = tmp_path / "bench.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--quick",
            "--formats",
            "docx",
            "--reference-sample",
            "2",
            "--json",
            str(figures),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "letters/s" in result.stdout and "naive reference" in result.stdout
    data = json.loads(figures.read_text(encoding="utf-8"))
    run = data["engines"]["docx"]["median"]
    assert data["households"] == 300
    assert run["letters"] > 100
    assert run["rows"]["read"] == 300
    assert run["letters_per_s"] > 0 and 0 < run["cpu_s_per_letter"] < 1
    assert run["peak_rss_mb"] > 10 and run["tree_rss_peak_mb"] >= run["peak_rss_mb"] * 0.5
    # shared pages shared out: the tree's PSS is real and no more than its RSS
    assert 10 < run["tree_pss_peak_mb"] <= run["tree_rss_peak_mb"]
    assert run["bytes_per_letter"] > 1000
    assert data["reference"]["letters"] == 2 and data["reference"]["cpu_s_per_letter"] > 0


def test_the_default_run_measures_the_default_pdf_engine_then_docx_alone():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run as bench
    finally:
        sys.path.pop(0)
    from pexmail.render.engine import DEFAULT_ENGINE

    default = bench.cli_default_engine()
    assert default == DEFAULT_ENGINE
    assert bench.bench_paths("pdf,docx", [default]) == [
        (DEFAULT_ENGINE, DEFAULT_ENGINE, "pdf"),
        ("docx", DEFAULT_ENGINE, "docx"),
    ]
    assert [p[0] for p in bench.bench_paths("pdf", ["weasyprint", "typst"])] == [
        "weasyprint",
        "typst",
    ]
