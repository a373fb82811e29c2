"""The batch path: the same output whatever the workers and chunks; failures never lose a row."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pypdf import PdfReader

from pexmail.render.letter import LetterRenderer

from .conftest import ROOT, RUN_DATE

SAMPLES = sorted((ROOT / "samples").glob("*.csv"))
TABLES = (
    "manifest.csv",
    "mailings.csv",
    "households.csv",
    "review.csv",
    "rejects.csv",
    "print/index.csv",
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def fingerprint(out: Path) -> dict:
    """Everything a run writes, apart from timings, the worker count and the ledger's place."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("duration_seconds", "workers", "ledger"):
        summary.pop(key)
    files = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in ("summary.json",)
    }
    return {"summary": summary, "files": files}


def render(cli, out: Path, *extra: object, ledger: Path | None = None):
    result = cli(
        "render",
        *SAMPLES,
        "--out",
        out,
        "--ledger",
        ledger or out.parent / f"{out.name}.sqlite",
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        ROOT / "catalog.yaml",
        *extra,
    )
    assert result.exit_code == 0, result.output
    return result


def test_same_output_whatever_the_workers_and_chunk_size(cli, tmp_path, sample_run):
    # sample_run: one process (a small batch), PDF and DOCX.
    render(cli, tmp_path / "pool", "--workers", "2", "--chunk-size", "3")
    reference, pooled = fingerprint(sample_run), fingerprint(tmp_path / "pool")
    assert pooled["summary"] == reference["summary"]
    assert pooled["files"] == reference["files"]  # letters, DOCX included, print files, CSVs
    assert any(name.endswith(".docx") for name in pooled["files"])
    assert json.loads((tmp_path / "pool" / "summary.json").read_text())["workers"] == 2
    # DOCX only, other chunk sizes: still the same files.
    render(cli, tmp_path / "a", "--format", "docx", "--workers", "2", "--chunk-size", "1")
    render(cli, tmp_path / "b", "--format", "docx", "--workers", "1", "--chunk-size", "50")
    assert fingerprint(tmp_path / "a") == fingerprint(tmp_path / "b")
    docx = {k: v for k, v in reference["files"].items() if k.endswith(".docx")}
    assert docx == {k: v for k, v in fingerprint(tmp_path / "a")["files"].items() if k in docx}


def _fail_for(case_id: str, how: str):
    """A LetterRenderer.render that crashes the process (or raises) for one case."""
    original = LetterRenderer.render

    def render(self, prepared):
        if prepared.context["reference"].startswith(case_id):
            if how == "crash":
                os._exit(7)
            raise RuntimeError("boom")
        return original(self, prepared)

    return render


def letters_in(out: Path, fmt: str = "docx") -> int:
    """Letters (envelopes aside) of a rendered folder, from its manifest."""
    from pexmail.render.envelope import ENVELOPE_LETTER_ID

    return sum(
        1
        for d in read_csv(out / "manifest.csv")
        if d["format"] == fmt and d["letter_id"] != ENVELOPE_LETTER_ID
    )


def processes_naming(path: Path) -> list[int]:
    """Running processes whose command line names ``path``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def pooled_render(tmp_path: Path, *extra: str) -> list[str]:
    """``pexmail render`` arguments for the samples as PDF with a pool of two workers."""
    return [
        "render",
        *map(str, SAMPLES),
        "--out",
        str(tmp_path / "out"),
        "--ledger",
        str(tmp_path / "ledger.sqlite"),
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        str(ROOT / "catalog.yaml"),
        "--format",
        "pdf",
        "--workers",
        "2",
        *extra,
    ]


def fork_workers(monkeypatch) -> None:
    """Workers that inherit this test's patches: forked, although this test process may have
    compiled with Typst (then the pool spawns fresh workers). Safe here: the runs that use it
    write DOCX only, so no forked worker compiles."""
    from pexmail.render import typst as typst_module

    monkeypatch.setattr(typst_module, "_COMPILED_HERE", False)


def _one_case(out_csv: Path) -> str:
    return read_csv(out_csv)[0]["case_ids"].split()[0]


def test_a_worker_crash_refuses_that_household_and_loses_nothing(
    cli, tmp_path, monkeypatch, sample_run
):
    victim = _one_case(sample_run / "manifest.csv")
    # The workers are forked after the patch: they inherit it.
    fork_workers(monkeypatch)
    monkeypatch.setattr(LetterRenderer, "render", _fail_for(victim, "crash"))
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    result = render(
        cli, out, "--format", "docx", "--workers", "2", "--chunk-size", "4", ledger=ledger
    )
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["rows"]
    assert rows["read"] == rows["rendered"] + rows["suppressed"] + rows["rejected"]
    assert summary["suppressions"]["by_code"]["render_crashed"] == 1
    assert "render_crashed 1" in result.output
    letters = letters_in(sample_run)
    manifest = read_csv(out / "manifest.csv")
    assert len(manifest) == letters - 1 and not any(victim in d["case_ids"] for d in manifest)
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT status, COUNT(*) FROM letters GROUP BY status").fetchall() == [
            ("issued", letters - 1)
        ]  # the refused letter's reservation was released
    assert not list(out.rglob("*.tmp"))
    # Fixed, run again into the same folder: the missing letter goes, nothing twice.
    monkeypatch.undo()
    render(cli, out, "--format", "docx", "--workers", "2", ledger=ledger)
    assert len(read_csv(out / "manifest.csv")) == letters


def test_a_job_that_raises_refuses_that_household_only(cli, tmp_path, monkeypatch, sample_run):
    victim = _one_case(sample_run / "manifest.csv")
    fork_workers(monkeypatch)
    monkeypatch.setattr(LetterRenderer, "render", _fail_for(victim, "raise"))
    out = tmp_path / "out"
    render(cli, out, "--format", "docx", "--workers", "2", "--chunk-size", "5")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["suppressions"]["by_code"]["render_crashed"] == 1
    assert summary["documents"]["total"] == letters_in(sample_run) - 1
    assert "RuntimeError" in summary["suppressions"]["reasons"].__repr__()
    in_process = tmp_path / "one"
    render(cli, in_process, "--format", "docx", "--workers", "1")
    assert fingerprint(in_process)["files"] == fingerprint(out)["files"]


def test_a_pooled_run_killed_halfway_completes_on_rerun(tmp_path, sample_run):
    letters, documents = (
        letters_in(sample_run, "pdf"),
        len([d for d in read_csv(sample_run / "manifest.csv") if d["format"] == "pdf"]),
    )
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    args = [sys.executable, "-m", "pexmail", *pooled_render(tmp_path, "--chunk-size", "2")]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    run = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if len(list((out / "letters").rglob("*.pdf"))) >= 6:
            break
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    time.sleep(1.5)  # the workers die with their parent: nothing is written after this
    written = sorted((out / "letters").rglob("*.pdf"))
    time.sleep(1.5)
    assert sorted((out / "letters").rglob("*.pdf")) == written
    assert 6 <= len(written) < letters
    assert not list(out.rglob("*.tmp"))
    assert not processes_naming(out)  # no worker outlives its batch
    # The parent, killed outright, leaves its scratch folders (its cases, its Typst root;
    # no Typst root ever holds case data): the next run removes them.
    assert list(scratch.glob("pexmail-cases-*")) and list(scratch.glob("pexmail-typst-*"))
    left = {p.suffix for p in scratch.glob("pexmail-typst-*/**/*") if p.is_file()}
    assert left <= {".typ", ".png"}, left
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert not list(scratch.iterdir())
    manifest = read_csv(out / "manifest.csv")
    assert len(manifest) == documents  # letters and envelopes
    assert len(manifest) == len({(d["household_key"], d["letter_id"]) for d in manifest})
    for document in manifest:
        path = out / document["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == document["sha256"]
        assert len(PdfReader(path).pages) == int(document["pages"])
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT status, COUNT(*) FROM letters GROUP BY status").fetchall() == [
            ("issued", letters)
        ]


def test_a_pooled_run_leaves_no_scratch_folder_behind(tmp_path):
    """Each worker's Typst root (layouts, QR images) and
    WeasyPrint's font folder are removed when the worker ends, though pool workers leave
    through os._exit (which skips atexit, weakref.finalize and __del__)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    args = [
        sys.executable,
        "-m",
        "pexmail",
        *pooled_render(tmp_path, "--engine", "typst", "--allow-stale"),
    ]
    done = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "out" / "letters").rglob("*.pdf"))
    assert not list(scratch.iterdir())


def test_a_process_that_has_run_typst_still_gets_a_working_pool(tmp_path):
    """Typst's layout threads do not survive a fork: a process that has compiled (the
    service, after a preview) starts its workers fresh instead of forking a worker that
    would wait forever. Run in a subprocess, so that a hang fails on the timeout."""
    render_args = pooled_render(tmp_path, "--engine", "typst", "--allow-stale")
    script = f"""
import sys
from datetime import date
from pathlib import Path

from pexmail.catalog.load import load_catalog
from pexmail.cli import main
from pexmail.render.letter import LetterRenderer
from pexmail.render.preflight import sample_facts

catalog = load_catalog(Path({str(ROOT / "catalog.yaml")!r}))
renderer = LetterRenderer(catalog, date.fromisoformat({RUN_DATE.isoformat()!r}), ("pdf",), engine="typst")
letter = next(x for x in catalog.letters if x.id == "drihl-cdp-social")
renderer.render(renderer.prepare(letter, sample_facts(catalog, letter, "paris")))
sys.argv = ["pexmail", *{render_args!r}]
main()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["workers"] == 2
    assert summary["documents"]["total"] > 0


def test_pool_workers_lay_out_on_one_thread_unless_told_otherwise(monkeypatch):
    """Workers are one per core: Typst's own layout threads would only take turns with them."""
    from pexmail.render.engine import lay_out_on_one_thread

    monkeypatch.setenv("RAYON_NUM_THREADS", "")  # recorded, so that the test leaves it as it was
    monkeypatch.delenv("RAYON_NUM_THREADS")
    lay_out_on_one_thread()
    assert os.environ["RAYON_NUM_THREADS"] == "1"
    monkeypatch.setenv("RAYON_NUM_THREADS", "3")
    lay_out_on_one_thread()
    assert os.environ["RAYON_NUM_THREADS"] == "3"
