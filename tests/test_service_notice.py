"""The notice through the service: API and page, public or behind a token."""

from __future__ import annotations

import html

import pypdf
import pytest
from fastapi.testclient import TestClient

from pexmail.service.app import create_app

from .conftest import pdf_words
from .service_helpers import AUTH_A, make_config
from .test_service_pages import login


@pytest.fixture(scope="module")
def public(tmp_path_factory, catalog):
    app = create_app(
        make_config(tmp_path_factory.mktemp("public"), public_notice=True), catalog=catalog
    )
    return TestClient(app)


@pytest.fixture(scope="module")
def private(tmp_path_factory, catalog):
    app = create_app(make_config(tmp_path_factory.mktemp("private")), catalog=catalog)
    return TestClient(app)


def test_notice_api_is_the_clis_notice(public, cli, tmp_path):
    response = public.get(
        "/api/notice", params={"act": "cdp", "postcode": "93100", "date": "2026-11-23"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="notice-cdp-v1.0-93100-montreuil.pdf"'
    )
    assert response.headers["x-pexmail-notice"] == "notice-cdp v1.0"
    ours = tmp_path / "service.pdf"
    ours.write_bytes(response.content)
    result = cli(
        "notice",
        "--act",
        "cdp",
        "--postcode",
        "93100",
        "--date",
        "2026-11-23",
        "--out",
        tmp_path / "cli.pdf",
    )
    assert result.exit_code == 0, result.output
    assert pdf_words(ours) == pdf_words(tmp_path / "cli.pdf")
    assert "Montreuil" in pdf_words(ours)


def test_notice_with_the_typst_engine_says_the_same(public, tmp_path):
    params = {"act": "cdp", "postcode": "93100", "date": "2026-11-23"}
    pdfs = {}
    for engine in ("weasyprint", "typst"):
        response = public.get("/api/notice", params={**params, "engine": engine})
        assert response.status_code == 200, response.text
        pdfs[engine] = tmp_path / f"{engine}.pdf"
        pdfs[engine].write_bytes(response.content)
    assert pypdf.PdfReader(pdfs["typst"]).metadata["/Creator"].startswith("Typst")
    assert pypdf.PdfReader(pdfs["weasyprint"]).metadata["/Producer"].startswith("WeasyPrint")
    # the same words (their order in the extracted text differs: tests/test_engines.py
    # compares pages and reading order for every notice)
    assert sorted(pdf_words(pdfs["typst"]).split()) == sorted(pdf_words(pdfs["weasyprint"]).split())
    response = public.get("/api/notice", params={**params, "engine": "libreoffice"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bad_engine"


def test_notice_as_docx(public):
    response = public.get(
        "/api/notice",
        params={"act": "cdp", "postcode": "93100", "commune": "Montreuil", "format": "docx"},
    )
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"PK")


def test_stale_contacts_refuse_the_notice_and_are_named(public):
    # Lens's directory entries were never verified: past the maximum age, no notice.
    response = public.get(
        "/api/notice", params={"act": "cdp", "postcode": "62300", "commune": "Lens"}
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stale_contact"
    assert {"contact": "lens-ccas-lens"} in error["details"]
    assert "pexmail contacts verify" in error["message"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"act": "cdp", "postcode": "13001"}, 422, "unknown_place"),
        ({"act": "cdp", "postcode": "62300"}, 422, "unknown_place"),
        ({"act": "expulsion", "postcode": "93100"}, 422, "unknown_act"),
        ({"act": "cdp", "postcode": "9310"}, 422, "bad_request"),
        ({"act": "cdp", "postcode": "93100", "format": "odt"}, 422, "bad_request"),
    ],
)
def test_notice_errors(public, params, status, code):
    response = public.get("/api/notice", params=params)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_several_communes_for_one_postcode_are_named(public):
    message = public.get("/api/notice", params={"act": "cdp", "postcode": "62300"}).json()["error"][
        "message"
    ]
    assert "several communes" in message and "Lens" in message


def test_allow_stale_needs_a_token(public):
    response = public.get(
        "/api/notice", params={"act": "cdp", "postcode": "93100", "allow_stale": "true"}
    )
    assert response.status_code == 401
    response = public.get(
        "/api/notice",
        params={"act": "cdp", "postcode": "93100", "allow_stale": "true"},
        headers=AUTH_A,
    )
    assert response.status_code == 200


def test_acts_and_places(public):
    acts = public.get("/api/notice/acts").json()["acts"]
    assert [a["id"] for a in acts][:1] == ["cdp"]
    assert all(a["label"] for a in acts)
    places = public.get("/api/places", params={"q": "931"}).json()["places"]
    assert places and all(p["postcode"].startswith("931") for p in places)
    places = public.get("/api/places", params={"q": "montr"}).json()["places"]
    assert {"postcode": "93100", "commune": "Montreuil"}.items() <= places[0].items()
    assert public.get("/api/places", params={"q": ""}).status_code == 422


@pytest.mark.parametrize(
    "path", ["/api/notice?act=cdp&postcode=93100", "/api/notice/acts", "/api/places?q=93"]
)
def test_without_public_notice_a_token_is_needed(private, path):
    assert private.get(path).status_code == 401
    assert private.get(path, headers=AUTH_A).status_code == 200


def test_notice_page_is_public_when_configured(public, private):
    assert public.get("/notice").status_code == 200
    response = private.get("/notice", follow_redirects=False)
    assert (
        response.status_code == 303 and response.headers["location"] == "/connexion?suite=/notice"
    )
    login(private, "pxm_test-token-organisation-a", "/notice")
    assert private.get("/notice").status_code == 200


def test_notice_page_without_javascript(public, tmp_path):
    page = public.get("/notice").text
    assert '<label for="lieu">' in page and "<legend>1. L'acte</legend>" in html.unescape(page)
    # A commune's name alone is enough when it is unique...
    page = public.get("/notice", params={"acte": "assignation", "lieu": "montreuil"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "La notice est prête" in text and "93100 Montreuil (Seine-Saint-Denis)" in text
    link = text.split('id="telecharger-pdf" href="')[1].split('"')[0]
    document = public.get(link)
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    (tmp_path / "n.pdf").write_bytes(document.content)
    assert "Montreuil" in pdf_words(tmp_path / "n.pdf")
    # ...a shared postcode offers its communes to choose from...
    page = public.get("/notice", params={"acte": "cdp", "lieu": "62300"})
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert "Plusieurs communes ont le code postal 62300" in text
    assert 'value="62300 Lens"' in text
    # ...and the chosen label is understood (Lens's directory has stale contacts today).
    page = public.get("/notice", params={"acte": "cdp", "lieu": "62300 Lens"})
    text = html.unescape(page.text)
    assert "Choisissez le lieu" not in text
    assert "La notice est prête" in text or "pas été vérifié depuis trop longtemps" in text


def test_notice_page_says_what_is_missing(public):
    page = public.get("/notice", params={"lieu": ""})
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert "Choisissez l'acte." in text
    assert "Tapez le code postal ou le nom de la commune" in text
    page = public.get("/notice", params={"acte": "cdp", "lieu": "13001"})
    assert "Aucune notice n'est prête pour le code postal 13001" in html.unescape(page.text)


def test_page_suggestions(public):
    places = public.get("/notice/lieux", params={"q": "Bobi"}).json()["places"]
    assert places[0]["label"] == "93000 Bobigny"
