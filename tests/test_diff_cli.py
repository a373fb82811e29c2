"""``pexmail diff`` end to end: versions from a small git repository, files, template files.

Each test builds its own repository from a copy of this repository's catalogue,
templates and contacts (never this repository's history), commits it, then
changes the working tree or commits again, as a reviewer would.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from pexmail.catalog import load_catalog
from pexmail.diff.entries import letter_ids
from tests.conftest import ROOT, RUN_DATE

DATE = RUN_DATE.isoformat()
ADIL = "drihl-cdp-private-adil"
ADIL_TEMPLATE = "templates/letters/drihl/cdp-private-adil.html.j2"
OLD_SENTENCE = "Souvent, ils trouvent une erreur dans le calcul de la dette."
NEW_SENTENCE = "Ils trouvent parfois une erreur dans le calcul."


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("templates", "contacts"):
        shutil.copytree(ROOT / name, repo / name)
    shutil.copy(ROOT / "catalog.yaml", repo / "catalog.yaml")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    return repo


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def run_diff(cli, repo: Path, *args: str, html: Path | None = None):
    extra = ["--html", str(html)] if html else []
    return cli("diff", *args, "--catalog", repo / "catalog.yaml", "--date", DATE, *extra)


class _Report(HTMLParser):
    """What a browser would load: every src and href, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "img":
            self.images.append(values.get("src") or "")
        for name in ("href", "src", "srcset", "action", "data"):
            if name in values and tag != "img":
                self.links.append(values[name] or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_report(path: Path) -> _Report:
    html = path.read_text(encoding="utf-8")
    report = _Report()
    report.feed(html)
    report.close()
    # self-contained: no script, no stylesheet or frame loaded from elsewhere
    assert not report.tags & {"script", "link", "iframe", "object", "embed", "base"}
    assert all(link.startswith("#") for link in report.links), report.links
    assert "url(" not in html and "@import" not in html
    for src in report.images:
        assert src.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert image.size[0] > 500 and image.size[1] > 700  # an A4 page, readable
    return report


def report_text(report: _Report) -> str:
    return " ".join("".join(report.text).split())


def test_identical_versions_exit_0_and_say_no_change(cli, repo, tmp_path):
    result = run_diff(cli, repo, html=tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    assert "no change" in result.output
    report = parse_report(tmp_path / "r.html")
    assert "No change" in report_text(report)
    assert report.images == []


def test_changed_sentence_in_summary_report_and_pages(cli, repo, tmp_path):
    edit(repo / ADIL_TEMPLATE, OLD_SENTENCE, NEW_SENTENCE)
    html = tmp_path / "r.html"
    result = run_diff(cli, repo, html=html)
    assert result.exit_code == 1, result.output
    out = result.output
    # whole-catalogue mode: only that letter changed
    others = len(letter_ids(load_catalog(repo / "catalog.yaml"))) - 1
    assert f"Letters: 1 changed, 0 added, 0 removed, {others} unchanged." in out
    assert f"{ADIL} v1.0 — changed" in out
    assert "[-Souvent, ils-] {+Ils+} trouvent {+parfois+}" in out
    assert "calcul [-de la dette-]." in out
    assert "+2 −5 words" in out
    assert re.search(r"visual: \d+ region\(s\) marked on page\(s\) ", out)
    assert "sentences 34 → 34" in out  # readability before/after
    report = parse_report(html)
    text = report_text(report)
    source = html.read_text(encoding="utf-8")
    assert "<del>Souvent, ils</del>" in source and "<ins>parfois</ins>" in source
    assert "Pages" in text and "Sentences in the letter body" in text
    # every page of both PDFs, side by side: 3 pages x 2 versions
    assert re.search(r"visual: \d+ region\(s\) marked on page\(s\) [\d, ]+ of 3\n", out)
    assert len(report.images) == 6
    assert (html.stat().st_mode & 0o777) == 0o600  # may hold a case's personal data


def test_changed_phone_number_in_a_contact_directory(cli, repo, tmp_path):
    edit(repo / "contacts/paris.yaml", '"08 05 16 00 75"', '"08 05 16 00 99"')
    html = tmp_path / "r.html"
    result = run_diff(cli, repo, ADIL, html=html)
    assert result.exit_code == 1, result.output
    assert "phone 08 05 16 00 75 (SOS Impayés de loyer, appel gratuit)" in result.output
    assert "→ 08 05 16 00 99 (SOS Impayés de loyer, appel gratuit)" in result.output
    # and in the text the tenant reads (numbers are printed with no-break spaces)
    assert re.search(r"\[-08.05.16.00.75-\] \{\+08.05.16.00.99\+\}", result.output)
    source = html.read_text(encoding="utf-8")
    parse_report(html)
    assert "08 05 16 00 99" in source
    assert re.search(r"<ins>08.05.16.00.99</ins>", source)


def test_changed_band_limit(cli, repo, tmp_path):
    catalog = repo / "catalog.yaml"
    edit(catalog, "debt: {max: 3000}", "debt: {max: 3500}")
    edit(catalog, "debt: {min: 3000, max: 7000}", "debt: {min: 3500, max: 7000}")
    _git(repo, "commit", "-q", "-am", "ADIL band from 3 500 €")
    html = tmp_path / "r.html"
    result = run_diff(cli, repo, "--from", "HEAD~1", "--to", "HEAD", html=html)
    assert result.exit_code == 1, result.output
    out = result.output
    assert "HEAD~1" in out and "→ HEAD" in out
    assert (
        "debt band: from 3 000 € to under 7 000 € → from 3 500 € to under 7 000 € "
        "(lower limit 3 000 € → 3 500 €)"
    ) in out
    assert "debt band: under 3 000 € → under 3 500 € (upper limit 3 000 € → 3 500 €)" in out
    assert "Letters: 2 changed" in out
    text = report_text(parse_report(html))
    assert "lower limit 3 000 € → 3 500 €" in text


def test_changed_band_limit_with_a_case_file(cli, repo, tmp_path):
    """A household at 3 174,90 € moves from the ADIL letter to the under-3 500 € one."""
    edit(repo / "catalog.yaml", "debt: {max: 3000}", "debt: {max: 3500}")
    edit(repo / "catalog.yaml", "debt: {min: 3000, max: 7000}", "debt: {min: 3500, max: 7000}")
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;"
        "Commune;Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;"
        "Date du bail;Allocataire CAF\n"
        "EXP-1;Mme;MERCIER;Karine;29 avenue de Flandre;;75019;Paris;Privé;Mme Rousseau;"
        "3 174,90 €;899,02;24/09/2026;;Non\n"
        "EXP-2;M.;;;;;;;;;;;;;\n",
        encoding="utf-8",
    )
    result = run_diff(cli, repo, ADIL, "--case", cases)
    assert result.exit_code == 1, result.output
    out = result.output
    assert f"{cases} row 2:" in out
    assert "sent → not selected (debt outside the letter's band)" in out
    assert "row 3" in out and "row not used" in out  # the bad row is named, not dropped
    assert "MERCIER" not in out  # no personal data in the summary


def test_changed_qr_target(cli, repo, tmp_path):
    edit(
        repo / "catalog.yaml",
        "url: https://www.youtube.com/watch?v=4og3KOPxOfw",
        "url: https://www.youtube.com/watch?v=AAAAAAAAAAA",
    )
    html = tmp_path / "r.html"
    result = run_diff(cli, repo, "drihl-cdp-social", "--territory", "seine-saint-denis", html=html)
    assert result.exit_code == 1, result.output
    out = result.output
    assert "sample household (Seine-Saint-Denis):" in out
    assert (
        "QR code: leads to https://www.youtube.com/watch?v=4og3KOPxOfw → "
        "https://www.youtube.com/watch?v=AAAAAAAAAAA"
    ) in out
    assert "{+https://www.youtube.com/watch?v=AAAAAAAAAAA+}" in out
    # the short address printed under the code was not updated: the reviewer is told
    assert "the printed address « youtube.com/watch?v=4og3KOPxOfw » is not part" in out
    assert "visual:" in out  # the code itself is drawn differently
    text = report_text(parse_report(html))
    assert "leads to https://www.youtube.com/watch?v=4og3KOPxOfw" in text


def test_moved_paragraph_is_marked_where_it_left_and_arrived(repo, tmp_path):
    """Through the library, so the marked regions can be checked against the PDFs."""
    from pexmail.diff.compare import compare
    from pexmail.diff.versions import template_versions
    from tests.conftest import text_positions

    template = repo / ADIL_TEMPLATE
    moved = "<p>Il n'est jamais trop tard pour vous faire aider.</p>\n"
    new = tmp_path / "new.html.j2"
    source = template.read_text(encoding="utf-8")
    assert moved in source
    # Up above the heading it followed, onto the first page: the letter keeps its pages
    # (moved below the list, it lets the heading fit on page 1 and the letter loses a page).
    heading = "<h2>Ce que vous pouvez faire dès maintenant</h2>\n"
    assert source.index(heading) < source.index(moved)
    source = source.replace(moved, "").replace(heading, moved + heading)
    new.write_text(source, encoding="utf-8")
    with template_versions(repo / "catalog.yaml", template, new, None) as versions:
        comparison = compare(*versions.pair, run_date=RUN_DATE, letter_id=ADIL)
    (household,) = comparison.letters[0].households
    # moved up: it arrives (insert) above the place it left (delete), in reading order
    assert [row.op.value for row in household.text.changed_rows] == ["insert", "delete"]
    visual = household.visual
    assert visual is not None

    def where(pdf: bytes, name: str) -> tuple[int, float]:
        path = tmp_path / name
        path.write_bytes(pdf)
        for page in range(3):
            for text, _x, y in text_positions(path, page):
                if text.startswith("Il n'est jamais trop tard"):
                    return page, y / 25.4 * 96  # mm → pixels at 96 dpi
        raise AssertionError("paragraph not found")

    def marked(regions: list, y: float) -> bool:
        return any(top - 4 <= y <= bottom + 30 for _l, top, _r, bottom in regions)

    assert household.before and household.before.pdf and household.after and household.after.pdf
    page, y = where(household.before.pdf, "before.pdf")
    assert marked(visual.pages[page].before_regions, y)
    page, y = where(household.after.pdf, "after.pdf")
    assert marked(visual.pages[page].after_regions, y)
    # text lines that only moved are not marked: few regions, not the whole letter
    assert (visual.before_pages, visual.after_pages) == (3, 3)
    assert visual.regions == 2


def test_template_files_and_catalog_files(cli, repo, tmp_path):
    new = tmp_path / "new.html.j2"
    new.write_text(
        (repo / ADIL_TEMPLATE).read_text(encoding="utf-8").replace(OLD_SENTENCE, NEW_SENTENCE),
        encoding="utf-8",
    )
    result = run_diff(cli, repo, ADIL, "--templates", repo / ADIL_TEMPLATE, new)
    assert result.exit_code == 1, result.output
    assert "{+parfois+}" in result.output
    # two files outside the templates folder need the letter's name
    other = tmp_path / "old.html.j2"
    shutil.copy(repo / ADIL_TEMPLATE, other)
    result = run_diff(cli, repo, "--templates", other, new)
    assert result.exit_code == 2
    assert "name the letter" in result.output

    # two catalogue files: a letter removed
    copy = tmp_path / "copy"
    for name in ("templates", "contacts"):
        shutil.copytree(repo / name, copy / name)
    lines = (repo / "catalog.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("  - id: drihl-cdp-private-over-10000\n")
    end = start + 1
    while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
        end += 1
    text = "".join(lines[:start] + lines[end:])
    text = text.replace("debt: {min: 7000, max: 10000}", "debt: {min: 7000}")
    # the summons letter supersedes the letters of the stage before it: not the removed one
    assert text.count(", drihl-cdp-private-over-10000]") == 1
    text = text.replace(", drihl-cdp-private-over-10000]", "]")
    (copy / "catalog.yaml").write_text(text, encoding="utf-8")
    result = cli("diff", "--catalogs", repo / "catalog.yaml", copy / "catalog.yaml", "--date", DATE)
    assert result.exit_code == 1, result.output
    assert "drihl-cdp-private-over-10000 v1.0 — removed" in result.output
    assert "from 7 000 € to under 10 000 € → 7 000 € or more" in result.output
    assert "drihl-assignation v1.0 — changed" in result.output
    assert "supersedes: removed drihl-cdp-private-over-10000" in result.output
    others = len(letter_ids(load_catalog(repo / "catalog.yaml"))) - 3
    assert f"Letters: 2 changed, 0 added, 1 removed, {others} unchanged." in result.output


def test_errors_exit_2(cli, repo, tmp_path):
    result = run_diff(cli, repo, "--from", "no-such-rev")
    assert result.exit_code == 2
    assert "unknown revision 'no-such-rev'" in result.output
    result = run_diff(cli, repo, "no-such-letter")
    assert result.exit_code == 2
    assert "no letter 'no-such-letter'" in result.output
    result = run_diff(cli, repo, "--from", "HEAD", "--catalogs", "a.yaml", "b.yaml")
    assert result.exit_code == 2
    bare = tmp_path / "bare"
    shutil.copytree(repo, bare, ignore=shutil.ignore_patterns(".git"))
    result = cli("diff", "--catalog", bare / "catalog.yaml", "--date", DATE)
    assert result.exit_code == 2
    assert "not in a git repository" in result.output
    edit(repo / "catalog.yaml", "debt: {min: 3000, max: 7000}", "debt: {min: 7000, max: 3000}")
    result = run_diff(cli, repo)
    assert result.exit_code == 2
    assert "min must be lower than max" in result.output


def test_a_later_version_of_a_letter_is_a_change(cli, repo):
    """A v1.1 that starts after the run date still fails the gate, and --date shows it."""
    catalog = repo / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    start = text.index("  - id: drihl-cdp-social")
    end = text.index("  - id: drihl-cdp-private-under-3000")
    entry = text[start:end]
    newer = (
        entry.replace('version: "1.0"', 'version: "1.1"')
        .replace("valid_from: 2026-01-01", "valid_from: 2027-01-01")
        .replace("legal_basis: &cdp_basis", "legal_basis:")
    )
    # anchors are defined once: the new version repeats the legal basis by reference
    newer = (
        newer[: newer.index("legal_basis:")]
        + "legal_basis: *cdp_basis\n"
        + newer[newer.index("    contacts:") :]
    )
    older = entry.replace(
        "valid_from: 2026-01-01", "valid_from: 2026-01-01\n    valid_until: 2026-12-31"
    )
    catalog.write_text(text[:start] + older + newer + text[end:], encoding="utf-8")

    result = run_diff(cli, repo, "drihl-cdp-social")
    assert result.exit_code == 1, result.output
    assert "valid until no end → 2026-12-31" in result.output
    assert (
        "versions: v1.1 added (valid from 2027-01-01; not in force on 2026-11-23: "
        "see it with --date 2027-01-01)"
    ) in result.output

    later = cli("diff", "drihl-cdp-social", "--catalog", catalog, "--date", "2027-01-04")
    assert later.exit_code == 1, later.output
    assert "drihl-cdp-social v1.0 → v1.1 — changed" in later.output
    assert "version: 1.0 → 1.1" in later.output
    # the reference printed on the letter names the version: the tenant's text shows it
    assert "[-v1.0-]{+v1.1+}" in later.output


def test_letters_changed_the_same_way_are_listed_once(cli, repo):
    edit(repo / "contacts/paris.yaml", '"08 05 16 00 75"', '"08 05 16 00 99"')
    result = run_diff(cli, repo)
    assert result.exit_code == 1, result.output
    out = result.output
    assert "contact directories: changed paris-adil75" in out
    assert (
        "drihl-cdp-private-7000-10000 v1.0 — changed: the same changes as drihl-cdp-private-adil"
        in out
    )
    # every letter printing the ADIL changed, and only those; the change is told once
    catalog = load_catalog(repo / "catalog.yaml")
    printing = {x.id for x in catalog.letters if "adil" in x.contacts}
    assert printing >= {ADIL, "drihl-cdp-private-7000-10000", "drihl-cdp-private-over-10000"}
    others = len(letter_ids(catalog)) - len(printing)
    assert f"Letters: {len(printing)} changed, 0 added, 0 removed, {others} unchanged." in out
    assert out.count("phone 08 05 16 00 75") < len(printing)


def test_falc_findings_before_and_after(cli, repo):
    """With the FALC checker in the build, a long sentence shows as a new finding."""
    pytest.importorskip("pexmail.falc.gate", reason="the FALC checker is not in this build")
    long_sentence = (
        "Ils trouvent parfois une erreur dans le calcul de la dette, car le propriétaire a pu "
        "compter des frais qui ne sont pas dus, des charges déjà payées ou des pénalités que la "
        "loi interdit de vous demander dans ce cas précis."
    )
    edit(repo / ADIL_TEMPLATE, OLD_SENTENCE, long_sentence)
    result = run_diff(cli, repo, ADIL)
    assert result.exit_code == 1, result.output
    assert "FALC: " in result.output
    assert re.search(r"new (error|warning) sentence-length", result.output)
