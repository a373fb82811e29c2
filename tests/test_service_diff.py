"""``POST /api/diff``: two versions of a letter's template, as `pexmail diff --templates`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from pexmail.service.app import create_app

from .conftest import ROOT
from .service_helpers import AUTH_A, make_config

TEMPLATE = ROOT / "templates" / "letters" / "drihl" / "cdp-social.html.j2"


@pytest.fixture(scope="module")
def client(tmp_path_factory, catalog):
    return TestClient(create_app(make_config(tmp_path_factory.mktemp("diff")), catalog=catalog))


def _changed() -> bytes:
    text = TEMPLATE.read_text(encoding="utf-8")
    changed = text.replace("faire dès maintenant", "faire tout de suite")
    assert changed != text
    return changed.encode()


def test_diff_of_a_changed_template_shows_the_words_and_pages(client):
    response = client.post(
        "/api/diff",
        headers=AUTH_A,
        data={"letter_id": "drihl-cdp-social", "date": "2026-11-23"},
        files={"after": ("cdp-social-new.html.j2", _changed())},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["changed"] is True
    [letter] = body["letters"]
    assert letter["id"] == "drihl-cdp-social" and letter["status"] == "changed"
    household = letter["households"][0]
    assert {"op": "delete", "text": "dès maintenant"} in household["paragraphs"][0]
    assert {"op": "insert", "text": "tout de suite"} in household["paragraphs"][0]
    assert household["pages"] == {"before": 2, "after": 2}
    assert household["changed_pages"]
    assert "/tmp" not in body["summary"] and "before → after" in body["summary"]


def test_identical_versions_are_unchanged(client):
    response = client.post(
        "/api/diff",
        headers=AUTH_A,
        data={"letter_id": "drihl-cdp-social", "date": "2026-11-23"},
        files={
            "before": ("a.html.j2", TEMPLATE.read_bytes()),
            "after": ("b.html.j2", TEMPLATE.read_bytes()),
        },
    )
    assert response.status_code == 200
    assert response.json()["changed"] is False


def test_html_report_is_a_self_contained_download(client):
    response = client.post(
        "/api/diff",
        headers=AUTH_A,
        data={"letter_id": "drihl-cdp-social", "report": "html"},
        files={"after": ("new.html.j2", _changed())},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="diff-drihl-cdp-social.html"'
    )
    html = response.text
    assert "tout de suite" in html and "data:image/png;base64," in html
    assert "http://" not in html.replace("http://www.w3.org", "")


def test_a_broken_template_is_reported_not_a_crash(client):
    response = client.post(
        "/api/diff",
        headers=AUTH_A,
        data={"letter_id": "drihl-cdp-social"},
        files={"after": ("broken.html.j2", b"{% if %}")},
    )
    assert response.status_code == 200
    household = response.json()["letters"][0]["households"][0]
    assert household["refused"]["before"] is None
    assert household["refused"]["after"]


@pytest.mark.parametrize(
    ("data", "files", "status", "code"),
    [
        ({"letter_id": "nope"}, {"after": ("x.html.j2", b"x")}, 422, "unknown_letter"),
        (
            {"letter_id": "drihl-cdp-social"},
            {"after": ("x.html.j2", b"\xff\xfe\x00")},
            422,
            "not_utf8",
        ),
        (
            {"letter_id": "drihl-cdp-social"},
            {"after": ("x.html.j2", b"x" * 300_000)},
            413,
            "too_large",
        ),
        ({"letter_id": "drihl-cdp-social"}, {}, 422, "bad_request"),
    ],
)
def test_diff_bad_requests(client, data, files, status, code):
    response = client.post("/api/diff", headers=AUTH_A, data=data, files=files or None)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_diff_needs_a_token(client):
    response = client.post(
        "/api/diff", data={"letter_id": "drihl-cdp-social"}, files={"after": ("x", b"x")}
    )
    assert response.status_code == 401
