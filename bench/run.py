"""Benchmark the batch end to end: N synthetic households → the real ``pexmail render``.

    .venv/bin/python bench/run.py                       # 10,000 households: PDF, then DOCX, 3 runs each
    .venv/bin/python bench/run.py --formats docx --households 100000 --runs 1
    .venv/bin/python bench/run.py --quick               # 300 households, 1 run: a smoke test

It writes a DRIHL EXPLOC export of N households over Paris, Seine-Saint-Denis and
Pas-de-Calais (names, streets and amounts from ``tools/make_samples.py``) into a
temporary folder. Then, for each path measured (``--formats pdf,docx``: PDF with each
engine of ``--engines``, by default the CLI's own; then DOCX alone), it runs
``python -m pexmail render`` as a subprocess (CSV → per-letter files, print files,
manifest, ledger; ``--engine NAME`` is passed only when it is not the CLI's default)
``--runs`` times and keeps the median. In the same run, a naive reference renders a sample of
letters with one WeasyPrint ``write_pdf()`` per letter (same templates, nothing
shared between letters). It prints letters/s, CPU s per letter (the children's
``getrusage``: the CLI and its workers), the ratio to the reference, peak RSS (the
largest single process, and the sampled total of the process tree, also in PSS, which
counts the pages forked workers share with the parent once) and bytes per letter, and
writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN_DATE = date(2026, 11, 23)


def _samples_module() -> Any:
    """The sample generator's vocabulary (names, streets, landlords, French amounts)."""
    spec = importlib.util.spec_from_file_location(
        "make_samples", ROOT / "tools" / "make_samples.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_households(path: Path, households: int, seed: int = 20261123) -> None:
    """One row per household, each at its own address, debts over every band of the catalogue."""
    samples = _samples_module()
    rng = random.Random(seed)
    streets = samples.PARIS_STREETS + samples.SSD_STREETS + samples.PDC_STREETS
    rows = []
    for i in range(households):
        street, postcode, commune = streets[i % len(streets)]
        number = 1 + i // len(streets)
        social = rng.random() < 0.45
        debt = rng.choice([900, 1800, 2600, 3400, 5200, 6800, 7600, 9100, 12500, 21000])
        debt += rng.uniform(0, 99)
        if social:
            landlord = samples.SOCIAL_LANDLORDS[{"75": 0, "93": 1, "62": 3}.get(postcode[:2], 2)]
        else:
            landlord = rng.choice(samples.PRIVATE_LANDLORDS)
        rows.append(
            [
                f"EXP-{postcode[:2]}-{3000000 + i}",
                rng.choice(["Mme", "M.", "Madame", "Monsieur"]),
                rng.choice(samples.FAMILY),
                rng.choice(samples.GIVEN),
                f"{number} {street}",
                rng.choice(["", "", "", f"Bât. {rng.choice('ABC')}", f"Appt {rng.randint(1, 90)}"]),
                postcode,
                commune,
                "Bailleur social" if social else rng.choice(["Privé", "Particulier"]),
                landlord,
                samples.french_amount(debt, rng),
                samples.french_amount(rng.uniform(380, 1150), rng),
                f"{rng.randint(1, 28):02d}/{rng.choice([9, 10]):02d}/2026",
                "",
                rng.choice(["Oui", "Non", ""]),
            ]
        )
    import csv

    with path.open("w", encoding="cp1252", newline="") as stream:
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        writer.writerow(samples.EXPLOC_HEADER)
        writer.writerows(rows)


class TreeMemory:
    """Samples the memory of a process and its descendants: ``ru_maxrss`` only gives the
    largest single process. RSS counts the pages forked workers share with the parent
    once per process; PSS (proportional set size) shares them out, so it adds up.

    A sample costs about 16 ms of CPU (the kernel walks each process's page tables for
    smaps_rollup): five a second took 4% of a 2-core machine from the run measured, once a
    second takes under 1%. Memory is flat once the workers run, and the largest process's
    peak comes from ``ru_maxrss``, exact."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0  # RSS, summed
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(OSError):
                rss, pss = tree_memory(self.pid)
                self.peak = max(self.peak, rss)
                self.peak_pss = max(self.peak_pss, pss)


def tree_memory(pid: int) -> tuple[int, int]:
    """Bytes resident (RSS) and proportional (PSS) in ``pid`` and all its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    family = {pid}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    page = os.sysconf("SC_PAGE_SIZE")
    rss = pss = 0
    for member in family:
        with contextlib.suppress(OSError, ValueError, IndexError):
            rss += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * page
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                    break
    return rss, pss


def cli_default_engine() -> str | None:
    """The CLI's default engine, or None while the CLI has no --engine option."""
    from pexmail.cli.render import render

    for param in render.params:
        if param.name == "engine":
            return str(param.default)
    return None


def run_cli(csv_path: Path, work: Path, engine: str, formats: str, workers: int | None) -> dict:
    out, ledger = work / "out", work / "ledger.sqlite"
    command = [
        sys.executable,
        "-m",
        "pexmail",
        "render",
        str(csv_path),
        "--out",
        str(out),
        "--ledger",
        str(ledger),
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        str(ROOT / "catalog.yaml"),
        "--format",
        formats,
        # Throughput is measured on every letter due: the shipped Lens directory is unverified
        # (stale by design), and refusing its letters would shrink the batch.
        "--allow-stale",
    ]
    default = cli_default_engine()
    if default is not None and engine != default:
        command += ["--engine", engine]
    elif default is None and engine != "weasyprint":
        raise SystemExit(f"this pexmail has no --engine option: cannot run engine {engine!r}")
    if workers:
        command += ["--workers", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemory(process.pid) as memory:
        stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"pexmail render failed ({process.returncode}):\n{stderr}\n{stdout}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    letters = int(summary["documents"]["letters"])
    files = [p for p in out.rglob("*") if p.is_file()]
    letter_bytes = sum(
        p.stat().st_size for p in files if p.relative_to(out).parts[0] in ("letters", "mailings")
    )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "letters": letters,
        "documents": int(summary["documents"]["total"]),
        "pages": int(summary["documents"]["pages"]),
        "rows": summary["rows"],
        "workers": summary.get("workers"),
        "wall_s": round(wall, 2),
        "letters_per_s": round(letters / wall, 1) if wall else 0,
        "cpu_s": round(cpu, 2),
        "cpu_s_per_letter": round(cpu / letters, 4) if letters else None,
        # ru_maxrss: KiB on Linux; the largest single process (the CLI or one worker).
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
        "tree_rss_peak_mb": round(memory.peak / 2**20, 1),
        "tree_pss_peak_mb": round(memory.peak_pss / 2**20, 1),
        "bytes_per_letter": round(letter_bytes / letters) if letters else None,
        "output_bytes": sum(p.stat().st_size for p in files),
    }


def naive_reference(sample: int) -> dict:
    """One WeasyPrint ``write_pdf()`` per letter, nothing shared between letters (no font
    configuration, cache or engine kept), on ``sample`` letters of the catalogue."""
    from weasyprint import CSS, HTML

    from pexmail.catalog import load_catalog
    from pexmail.render.fetcher import AllowListFetcher
    from pexmail.render.fonts import FONT_DIR, font_face_css
    from pexmail.render.letter import LetterRenderer
    from pexmail.render.pdf import WeasyPrintEngine
    from pexmail.render.preflight import letter_territories, sample_facts

    catalog = load_catalog(ROOT / "catalog.yaml")
    # The reference measures layout, not the directories: stale contacts are printed.
    renderer = LetterRenderer(catalog, RUN_DATE, ("pdf",), allow_stale=True)
    engine = WeasyPrintEngine(catalog, renderer.templates, renderer.qr_images)
    pages = []
    for letter in catalog.letters_in_force(RUN_DATE):
        if letter.kind != "letter":
            continue
        for territory in letter_territories(catalog, letter):
            prepared = renderer.prepare(letter, sample_facts(catalog, letter, territory))
            pages.append(engine.html(prepared.layout, prepared.context, prepared.parts))
    pages = [pages[i % len(pages)] for i in range(sample)]
    images = {key: image.png for key, image in renderer.qr_images.items()}
    base_url = catalog.template_root.resolve().as_uri() + "/"
    cpu_started, started = time.process_time(), time.perf_counter()
    size = 0
    for html in pages:
        fetcher = AllowListFetcher([catalog.template_root, FONT_DIR], images)
        data = HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(
            stylesheets=[CSS(string=font_face_css(), url_fetcher=fetcher)]
        )
        size += len(data)
    cpu = time.process_time() - cpu_started
    wall = time.perf_counter() - started
    return {
        "letters": len(pages),
        "wall_s": round(wall, 2),
        "letters_per_s": round(len(pages) / wall, 2),
        "cpu_s_per_letter": round(cpu / len(pages), 4),
        "bytes_per_letter": round(size / len(pages)),
    }


def bench_paths(formats: str, engines: list[str]) -> list[tuple[str, str, str]]:
    """(label, engine, --format) of each path measured: PDF with each engine, DOCX alone."""
    paths = []
    for kind in (f.strip() for f in formats.split(",") if f.strip()):
        if kind == "pdf":
            paths += [(engine, engine, "pdf") for engine in engines]
        elif kind == "docx":
            # The PDF engine plays no part; the CLI's default is passed, or none.
            paths.append(("docx", cli_default_engine() or "weasyprint", "docx"))
        else:
            raise SystemExit(f"unknown format {kind!r}: pdf or docx")
    return paths


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, with the spread of the others."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    middle = dict(ordered[len(ordered) // 2])
    middle["wall_s_all"] = [r["wall_s"] for r in runs]
    middle["letters_per_s_median"] = statistics.median(r["letters_per_s"] for r in runs)
    return middle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, help="default: 10,000 (--quick: 300)")
    parser.add_argument(
        "--engines", help="comma-separated PDF engines; default: the CLI's default engine"
    )
    parser.add_argument(
        "--formats", default="pdf,docx", help="paths measured, each alone: pdf, docx or pdf,docx"
    )
    parser.add_argument(
        "--runs", type=int, help="runs per engine, the median is kept; default 3 (--quick: 1)"
    )
    parser.add_argument(
        "--reference-sample",
        type=int,
        help="letters for the naive reference; default 30 (--quick: 5)",
    )
    parser.add_argument("--workers", type=int, help="passed to pexmail render (default: its own)")
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--keep", type=Path, help="keep the generated CSV and outputs here")
    parser.add_argument(
        "--quick", action="store_true", help="300 households, 1 run, 5 reference letters"
    )
    args = parser.parse_args(argv)
    quick = {"households": 300, "runs": 1, "reference_sample": 5}
    normal = {"households": 10_000, "runs": 3, "reference_sample": 30}
    for name, value in (quick if args.quick else normal).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    formats = args.formats
    engines = [e.strip() for e in (args.engines or cli_default_engine() or "weasyprint").split(",")]
    paths = bench_paths(formats, [e for e in engines if e])
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average": os.getloadavg(),
        },
        "households": args.households,
        "formats": formats,
        "runs": args.runs,
        "engines": {},
    }
    with tempfile.TemporaryDirectory(prefix="pexmail-bench-") as temporary:
        base = args.keep or Path(temporary)
        base.mkdir(parents=True, exist_ok=True)
        csv_path = base / f"exploc-{args.households}.csv"
        write_households(csv_path, args.households)
        print(f"{args.households} households in {csv_path} ({csv_path.stat().st_size:,} bytes)")
        if args.reference_sample:
            reference = naive_reference(args.reference_sample)
            results["reference"] = reference
            print(
                f"naive reference (one write_pdf() per letter, one process): "
                f"{reference['letters_per_s']} letters/s, {reference['cpu_s_per_letter']} CPU s/letter"
            )
        for label, engine, path_format in paths:
            runs = []
            for n in range(args.runs):
                work = base / f"{label}-{n + 1}"
                work.mkdir()
                figures = run_cli(csv_path, work, engine, path_format, args.workers)
                runs.append(figures)
                print(
                    f"  {label} run {n + 1}: {figures['letters']} letters"
                    f" in {figures['wall_s']} s "
                    f"({figures['letters_per_s']}/s)"
                )
            best = median_run(runs)
            if "reference" in results and path_format == "pdf":
                best["ratio_to_reference"] = round(
                    best["letters_per_s_median"] / results["reference"]["letters_per_s"], 1
                )
            results["engines"][label] = {"median": best, "runs": runs}
    print()
    print(
        f"{'engine':<12} {'letters':>8} {'letters/s':>10} {'CPU s/letter':>13} {'× ref':>6}"
        f" {'peak RSS MB':>12} {'tree RSS MB':>12} {'tree PSS MB':>12} {'bytes/letter':>13}"
    )
    for label, figures in results["engines"].items():
        m = figures["median"]
        print(
            f"{label:<12} {m['letters']:>8} {m['letters_per_s_median']:>10} "
            f"{m['cpu_s_per_letter']!s:>13} {m.get('ratio_to_reference', '-')!s:>6} "
            f"{m['peak_rss_mb']:>12} {m['tree_rss_peak_mb']:>12} {m['tree_pss_peak_mb']:>12}"
            f" {m['bytes_per_letter']!s:>13}"
        )
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
