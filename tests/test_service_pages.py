"""The web pages through the TestClient: login, CSRF, Lot and Catalogue, two organisations."""

from __future__ import annotations

import html
import re
import time

import pytest
from fastapi.testclient import TestClient

from pexmail.service.app import create_app
from pexmail.service.auth import SESSION_COOKIE

from .service_helpers import SAMPLES, TOKEN_A, TOKEN_B, make_config


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


def login(client: TestClient, token: str, suite: str = "/") -> None:
    page = client.get(f"/connexion?suite={suite}")
    response = client.post(
        "/connexion",
        data={"csrf": csrf_of(page.text), "cle": token, "suite": suite},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == suite


@pytest.fixture(scope="module")
def app(tmp_path_factory, catalog):
    app = create_app(make_config(tmp_path_factory.mktemp("pages")), catalog=catalog)
    with TestClient(app):  # runs the lifespan (sweep, runner) once for the module
        yield app


@pytest.fixture
def client(app):
    """A browser of its own (cookies), on the module's running app."""
    return TestClient(app)


def test_home_is_french_and_open(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert 'href="/lot"' in response.text and 'href="/catalogue"' in response.text
    assert "Aller au contenu" in response.text  # skip link for keyboard users


@pytest.mark.parametrize("path", ["/lot", "/catalogue", "/lot/0123456789abcdef01234567"])
def test_pages_need_a_login(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/connexion?suite={path}"


def test_login_sets_a_signed_httponly_samesite_cookie(client):
    page = client.get("/connexion")
    assert '<label for="cle">' in page.text
    response = client.post(
        "/connexion",
        data={"csrf": csrf_of(page.text), "cle": TOKEN_A, "suite": "/lot"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert TOKEN_A not in cookie
    assert "DRIHL Paris" in client.get("/lot").text


def test_a_wrong_key_is_refused_with_a_message(client):
    page = client.get("/connexion")
    response = client.post("/connexion", data={"csrf": csrf_of(page.text), "cle": "pxm_nope"})
    assert response.status_code == 401
    assert "clé d'accès n'est pas reconnue" in html.unescape(response.text)
    assert 'aria-invalid="true"' in response.text


def test_forms_without_the_csrf_token_are_refused(client):
    client.get("/connexion")
    response = client.post("/connexion", data={"cle": TOKEN_A})
    assert response.status_code == 403
    assert "formulaire a expiré" in response.text
    response = client.post("/connexion", data={"cle": TOKEN_A, "csrf": "forged"})
    assert response.status_code == 403


def test_a_forged_session_cookie_is_not_a_login(client):
    login(client, TOKEN_A)
    value = client.cookies.get(SESSION_COOKIE)
    _org, expires, signature = value.split(".")
    client.cookies.set(SESSION_COOKIE, f"clil-93.{expires}.{signature}")
    response = client.get("/lot", follow_redirects=False)
    assert response.status_code == 303


def test_lot_page_runs_a_batch_and_shows_summary_rejects_and_downloads(client):
    login(client, TOKEN_A, "/lot")
    form = client.get("/lot").text
    assert '<label for="fichiers">' in form and 'type="file"' in form
    response = client.post(
        "/lot",
        data={"csrf": csrf_of(form), "date": "2026-11-23", "formats": "pdf"},
        files=[("fichiers", (p.name, p.read_bytes(), "text/csv")) for p in SAMPLES],
        follow_redirects=False,
    )
    assert response.status_code == 303
    job_url = response.headers["location"]
    page = client.get(job_url).text
    assert "<progress" in page
    deadline = time.monotonic() + 300
    while client.get(f"{job_url}/etat").json()["state"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    page = client.get(job_url).text
    assert "terminé" in page and "Lignes rejetées" in page
    assert "caf-impayes-2026-11.csv" in page  # a reject row: file, row, column, reason
    assert 'value="100' in page
    archive = client.get(f"{job_url}/resultat.zip")
    assert archive.status_code == 200 and archive.content.startswith(b"PK")
    rejects = client.get(f"{job_url}/rejets.csv")
    assert rejects.content.decode("utf-8-sig").startswith("file;row;column;code;reason")
    # Listed on the Lot page, and not to another organisation.
    assert job_url in client.get("/lot").text
    other = TestClient(client.app)
    login(other, TOKEN_B)
    assert other.get(job_url).status_code == 404
    assert other.get(f"{job_url}/resultat.zip").status_code == 404
    assert job_url not in other.get("/lot").text
    delete = other.post(f"{job_url}/supprimer", data={"csrf": csrf_of(other.get("/lot").text)})
    assert delete.status_code == 404
    # Its owner deletes it.
    response = client.post(
        f"{job_url}/supprimer", data={"csrf": csrf_of(page)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get(job_url).status_code == 404


def test_lot_page_shows_a_bad_file_with_the_clis_message(client):
    login(client, TOKEN_A, "/lot")
    form = client.get("/lot").text
    response = client.post(
        "/lot",
        data={"csrf": csrf_of(form), "formats": "pdf"},
        files=[("fichiers", ("tableau.csv", b"nom;prenom\nX;Y\n", "text/csv"))],
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "Le lot n'a pas été créé" in text
    assert "tableau.csv: the header does not match any source" in text
    assert 'role="alert"' in response.text


def test_catalogue_page_lists_letters_versions_and_flags_stale_contacts(client, catalog):
    login(client, TOKEN_A, "/catalogue")
    page = client.get("/catalogue").text
    for letter in catalog.letters:
        assert letter.id in page
    assert "Vérifié le" in page
    assert "périmé" in page and "à revoir" in page
    assert 'class="perime"' in page


def test_logout_ends_the_session(client):
    login(client, TOKEN_A)
    home = client.get("/").text
    response = client.post("/deconnexion", data={"csrf": csrf_of(home)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/lot", follow_redirects=False).status_code == 303


def test_unknown_page_is_a_french_404(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Cette page n'existe pas" in html.unescape(response.text)
