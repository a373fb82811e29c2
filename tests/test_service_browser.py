"""The pages in a real browser: Playwright drives Debian's chromium against uvicorn.

Each test fills a page as a person would (labels, keyboard), downloads what the page
gives and reads it as a user would. Screenshots go to ``$PEXMAIL_SCREENSHOTS`` (or the
test's temporary folder) to be looked at.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

from pexmail.service.app import create_app

from .conftest import pdf_words
from .service_helpers import SAMPLES, TOKEN_A, make_config

CHROMIUM = Path("/usr/bin/chromium")

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(
            "chromium is missing on CI: ./install.sh --dev installs it with apt-get",
            pytrace=False,
        )
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium, or ./install.sh --dev)",
        allow_module_level=True,
    )

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, catalog):
    import uvicorn

    app = create_app(
        make_config(tmp_path_factory.mktemp("browser"), public_notice=True), catalog=catalog
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        accept_downloads=True, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("PEXMAIL_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page, base_url: str, suite: str) -> None:
    page.goto(f"{base_url}{suite}")
    assert page.url.startswith(f"{base_url}/connexion")
    page.get_by_label("Clé d'accès").fill(TOKEN_A)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base_url}{suite}")


def test_notice_page_with_suggestions_and_keyboard(page, base_url, shots, tmp_path):
    page.goto(f"{base_url}/notice")
    # The first Tab reaches the skip link, and the focus is visible.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Aller au contenu"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.get_by_label("Commandement de payer", exact=True).check()
    place = page.get_by_label("2. Le lieu du logement")
    place.press_sequentially("Montr", delay=60)
    options: list[str] = []
    deadline = time.monotonic() + 10
    while not options and time.monotonic() < deadline:  # the page's CSP forbids eval()
        page.wait_for_timeout(100)
        options = [o.get_attribute("value") for o in page.locator("#lieux option").all()]
    assert "93100 Montreuil" in options
    place.fill("93100 Montreuil")
    page.screenshot(path=shots / "notice-form.png", full_page=True)
    place.press("Enter")  # the keyboard sends the form
    page.get_by_role("heading", name="La notice est prête").wait_for()
    page.screenshot(path=shots / "notice-ready.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en PDF").click()
    pdf = tmp_path / "notice.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename == "notice-cdp-v1.0-93100-montreuil.pdf"
    text = pdf_words(pdf)
    assert "commandement de payer" in text.lower()
    assert "Montreuil" in text
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en Word").click()
    assert download.value.suggested_filename.endswith(".docx")


def test_notice_page_works_without_javascript(browser, base_url, shots, tmp_path):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/notice")
        page.get_by_label("Commandement de quitter les lieux").check()
        page.get_by_label("2. Le lieu du logement").fill("62300")
        page.get_by_role("button", name="Préparer la notice").click()
        page.get_by_text("Plusieurs communes ont le code postal 62300").first.wait_for()
        page.screenshot(path=shots / "notice-choose-commune.png", full_page=True)
        page.get_by_label("62300 Lens (Pas-de-Calais)").check()
        page.get_by_role("button", name="Préparer la notice").click()
        alert = page.get_by_role("alert")
        alert.wait_for()
        # Lens's directory has contacts past their maximum age today: no notice, and why.
        assert "n'a pas été vérifié depuis trop longtemps" in alert.inner_text()
        assert page.get_by_role("link", name="Télécharger en PDF").count() == 0
        page.screenshot(path=shots / "notice-stale.png", full_page=True)
        # A commune's name alone is enough when it is unique.
        page.get_by_label("Commandement de payer", exact=True).check()
        page.get_by_label("2. Le lieu du logement").fill("Montreuil")
        page.get_by_role("button", name="Préparer la notice").click()
        page.get_by_role("heading", name="La notice est prête").wait_for()
        with page.expect_download() as download:
            page.get_by_role("link", name="Télécharger en PDF").click()
        pdf = tmp_path / "cdp.pdf"
        download.value.save_as(pdf)
        text = pdf_words(pdf)
        assert "Montreuil" in text and "commandement de payer" in text.lower()
    finally:
        context.close()


def test_lot_page_upload_progress_summary_download(page, base_url, shots):
    log_in(page, base_url, "/lot")
    page.screenshot(path=shots / "lot-form.png", full_page=True)
    page.get_by_label("Fichiers CSV").set_input_files([str(p) for p in SAMPLES])
    page.get_by_label("Date des courriers").fill("2026-11-23")
    page.get_by_role("button", name="Lancer le lot").click()
    page.wait_for_url(f"{base_url}/lot/*")
    progress = page.locator("progress")
    assert progress.is_visible()
    page.screenshot(path=shots / "lot-running.png", full_page=True)
    # The page's script polls, moves the bar and reloads once the batch is done.
    page.get_by_role("heading", name="Résumé").wait_for(timeout=300_000)
    assert progress.get_attribute("value") == "100"
    page.screenshot(path=shots / "lot-done.png", full_page=True)
    assert page.get_by_role("table").filter(has_text="caf-impayes-2026-11.csv").count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Tout le résultat (ZIP)").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "manifest.csv" in archive.namelist()
    assert any(n.startswith("print/") for n in archive.namelist())


def test_catalogue_page(page, base_url, shots, catalog):
    log_in(page, base_url, "/catalogue")
    for letter in catalog.letters[:3]:
        assert page.get_by_text(letter.id, exact=True).count() >= 1
    assert page.locator("tr.perime").count() >= 1
    page.screenshot(path=shots / "catalogue.png", full_page=True)


def test_home_and_login_pages(page, base_url, shots):
    page.goto(base_url)
    assert page.get_by_role("link", name="Notice").first.is_visible()
    page.screenshot(path=shots / "accueil.png", full_page=True)
    page.goto(f"{base_url}/connexion")
    page.get_by_label("Clé d'accès").fill("pxm_wrong")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("alert").wait_for()
    assert "n'est pas reconnue" in page.get_by_role("alert").inner_text()
    page.screenshot(path=shots / "connexion-erreur.png", full_page=True)


def test_clil_page_typed_households_printed(page, base_url, shots, tmp_path):
    # A household the samples do not hold: the Lot test's letters are in the same ledger,
    # and a household already written to would rightly get nothing new.
    log_in(page, base_url, "/clil")
    first = page.get_by_role("group", name="Ménage 1")
    first.get_by_label("Civilité").select_option("Mme")
    first.get_by_label("Nom", exact=True).fill("NDIAYE")
    first.get_by_label("Prénom").fill("Awa")
    first.get_by_label("N° et voie").fill("12 rue Marceau")
    first.get_by_label("Code postal").fill("93100")
    first.get_by_label("Ville").fill("Montreuil")
    first.get_by_label("Parc").select_option("Privé")
    first.get_by_label("Dette (€)").fill("9 900,00")
    first.get_by_label("Étape").select_option(label="Commandement de payer")
    first.get_by_label("Date du dernier acte").fill("2026-09-11")
    page.get_by_label("Date des courriers").fill("2026-11-23")
    page.screenshot(path=shots / "clil-form.png", full_page=False)
    # The preview opens in a new tab, in the browser's PDF viewer: read what the tab received.
    with (
        page.context.expect_event(
            "response", lambda r: r.request.method == "POST" and r.url.endswith("/clil")
        ) as answer,
        page.context.expect_page() as tab,
    ):
        first.get_by_role("button", name="Aperçu du courrier du ménage 1").click()
    # (The viewer keeps the bytes to itself; the preview's text is checked through the
    # TestClient in test_service_clil.py, the printed letters' text below.)
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/pdf"
    assert answer.value.headers["content-disposition"].startswith("inline;")
    tab.value.close()
    page.get_by_role("button", name="Imprimer les courriers").last.click()
    page.wait_for_url(f"{base_url}/lot/*")
    page.get_by_role("heading", name="Résumé").wait_for(timeout=300_000)
    page.screenshot(path=shots / "clil-printed.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tout le résultat (ZIP)").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    # The print files come in parts, one per letter (and the envelopes), with an index.
    names = archive.namelist()
    assert "print/index.csv" in names
    print_files = [n for n in names if n.startswith("print/") and n.endswith(".pdf")]
    assert print_files
    text = ""
    for name in print_files:
        pdf = tmp_path / name.replace("/", "-")
        pdf.write_bytes(archive.read(name))
        text += pdf_words(pdf)
    assert "NDIAYE" in text
