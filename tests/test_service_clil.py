"""The « Séance CLIL » page: households typed or uploaded → preview → printed as a batch."""

from __future__ import annotations

import html
import io
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from pexmail.service.app import create_app

from .conftest import pdf_words
from .service_helpers import SAMPLES, TOKEN_B, make_config
from .test_service_pages import csrf_of, login

HOUSEHOLDS = {
    "m1_civility": "Mme",
    "m1_family_name": "TRAORÉ",
    "m1_given_name": "Manon",
    "m1_street": "161 rue de Paris",
    "m1_postcode": "93100",
    "m1_commune": "Montreuil",
    "m1_landlord_type": "Privé",
    "m1_debt": "9 900,00",
    "m1_stage": "cdp",
    "m1_act_date": "2026-09-11",
    "m1_caf_recipient": "non",
    "m3_family_name": "FAURE",
    "m3_given_name": "Océane",
    "m3_street": "7 rue Édouard Vaillant",
    "m3_postcode": "93140",
    "m3_commune": "Bondy",
    "m3_landlord_type": "Social",
    "m3_landlord_name": "Seine-Saint-Denis Habitat",
    "m3_debt": "15400",
    "m3_stage": "cdp",
    "m3_act_date": "2026-10-05",
}


# A household the session's file does not hold, for the ticked recommendations.
TICKED = {
    "m2_civility": "Mme",
    "m2_family_name": "KONATÉ",
    "m2_given_name": "Aminata",
    "m2_street": "24 rue Gambetta",
    "m2_postcode": "93200",
    "m2_commune": "Saint-Denis",
    "m2_landlord_type": "Privé",
    "m2_debt": "6 500,00",
    "m2_stage": "cdp",
    "m2_act_date": "2026-10-12",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory, catalog):
    app = create_app(make_config(tmp_path_factory.mktemp("clil")), catalog=catalog)
    with TestClient(app):
        yield app


@pytest.fixture
def client(app):
    client = TestClient(app)
    login(client, TOKEN_B, "/clil")
    return client


def _form(client, **extra):
    page = client.get("/clil").text
    return {"csrf": csrf_of(page), "lignes": "5", "date": "2026-11-23", **HOUSEHOLDS, **extra}


def test_clil_page_is_labelled_per_household(client):
    page = client.get("/clil").text
    assert page.count("<legend>Ménage ") == 5
    assert '<label for="m1_family_name">Nom</label>' in page
    assert 'id="m5_stage"' in page and "Commandement de payer" in page


def test_preview_of_one_household(client, tmp_path):
    response = client.post("/clil", data=_form(client, apercu="1"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "apercu.pdf"
    pdf.write_bytes(response.content)
    text = pdf_words(pdf)
    assert "TRAORÉ" in text and "9 900 €" in text


def test_preview_of_an_empty_row_says_so(client):
    response = client.post("/clil", data=_form(client, apercu="2"))
    assert response.status_code == 422
    assert "La ligne 2 est vide" in html.unescape(response.text)


def test_preview_of_a_bad_row_names_the_column(client):
    response = client.post("/clil", data=_form(client, apercu="1", m1_postcode="13001"))
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert (
        "column 'CP'" in text
        and "13001" not in text.split("Les courriers n'ont pas")[1].split("</div>")[0]
    )
    # What was typed is kept.
    assert 'value="TRAORÉ"' in text


def test_more_rows_keep_what_was_typed(client):
    response = client.post("/clil", data=_form(client, action="ajouter"))
    assert response.status_code == 200
    assert "<legend>Ménage 10</legend>" in response.text
    assert 'value="Bondy"' in response.text


def test_nothing_to_print_is_explained(client):
    page = client.get("/clil").text
    response = client.post(
        "/clil", data={"csrf": csrf_of(page), "lignes": "5", "action": "imprimer"}
    )
    assert response.status_code == 422
    assert "Aucun ménage" in html.unescape(response.text)


def test_print_runs_a_batch_with_typed_and_uploaded_households(client, catalog, tmp_path):
    session = next(p for p in SAMPLES if p.name.startswith("clil-"))
    # Households 1 and 3 are also in the session's file (the batch merges them, keeping
    # the file's recommendations): household 2, typed only, gets two real items ticked.
    ticked = [item for item in catalog.document.recommendations if item.id in ("fsl", "adil")]
    assert len(ticked) == 2
    response = client.post(
        "/clil",
        data=_form(client, action="imprimer", **TICKED, m2_recommendations=[i.id for i in ticked]),
        files=[("fichier", (session.name, session.read_bytes(), "text/csv"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    job_url = response.headers["location"]
    deadline = time.monotonic() + 300
    while client.get(f"{job_url}/etat").json()["state"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    page = html.unescape(client.get(job_url).text)
    assert "terminé" in page
    assert "seance-clil-2026-11-23.csv" in page and session.name in page
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{job_url}/resultat.zip").content))
    prints = [n for n in archive.namelist() if n.startswith("print/") and n.endswith(".pdf")]
    assert prints
    text = ""
    for name in prints:
        path = tmp_path / name.replace("/", "-")
        path.write_bytes(archive.read(name))
        text += pdf_words(path)
    assert "TRAORÉ" in text and "FAURE" in text and "KONATÉ" in text
    # The CLIL's letter of household 2 holds the wording of what was ticked.
    letters = [
        n
        for n in archive.namelist()
        if n.startswith("letters/clil-recommandations/") and n.endswith(".pdf")
    ]
    assert letters
    letter_text = ""
    for name in letters:
        path = tmp_path / name.replace("/", "-")
        path.write_bytes(archive.read(name))
        words = pdf_words(path)
        if "Référence : CLIL-2 " in words:
            letter_text += words
    assert "KONATÉ" in letter_text
    for item in ticked:
        assert item.label in letter_text and item.text in letter_text


def test_clil_page_needs_a_login(app):
    response = TestClient(app).get("/clil", follow_redirects=False)
    assert response.status_code == 303


def test_ticked_recommendations_become_the_case_field():
    from starlette.datastructures import FormData

    from pexmail.service.clil import _rows_from_form

    form = FormData(
        [
            ("m1_family_name", "TRAORÉ"),
            ("m1_recommendations", "fsl"),
            ("m1_recommendations", "adil"),
            ("m2_family_name", ""),
        ]
    )
    assert _rows_from_form(form, 2) == [
        (1, {"family_name": "TRAORÉ", "recommendations": "fsl ; adil", "case_id": "CLIL-1"})
    ]


def test_recommendation_boxes_need_the_catalogue_list_and_the_column(catalog):
    from types import SimpleNamespace

    from pexmail.service.clil import recommendations

    # The catalogue lists them and the session's source has the column: one box each.
    listed = [(item.id, item.label) for item in catalog.document.recommendations]
    assert listed and recommendations(catalog) == listed
    # A source without the column: no boxes, whatever the list.
    bare = SimpleNamespace(
        source=lambda _id: SimpleNamespace(columns={"family_name": "Nom"}),
        document=catalog.document,
    )
    assert recommendations(bare) == []
    source = SimpleNamespace(columns={"recommendations": "Recommandations"})
    items = [SimpleNamespace(id="fsl", label="Demande d'aide au FSL")]
    fake = SimpleNamespace(
        source=lambda _id: source, document=SimpleNamespace(recommendations=items)
    )
    assert recommendations(fake) == [("fsl", "Demande d'aide au FSL")]
