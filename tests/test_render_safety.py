"""Templates run sandboxed, fields print as text, and documents load nothing but the allow-list."""

from __future__ import annotations

from pathlib import Path

import pytest
from weasyprint import HTML

from pexmail.errors import TemplateError
from pexmail.render.body import (
    BodyError,
    Box,
    Image,
    ListBlock,
    Paragraph,
    Run,
    Table,
    parse_body,
    plain_text,
)
from pexmail.render.fetcher import AllowListFetcher, ForbiddenResource
from pexmail.render.fonts import FONT_DIR
from pexmail.render.templates import Templates


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    (tmp_path / "letters").mkdir()
    return Templates(tmp_path)


def letter(templates: Templates, body: str, name: str = "letters/t.html.j2") -> Path:
    path = templates.root / name
    path.write_text(
        "{% block subject %}Objet{% endblock %}\n{% block body %}\n" + body + "\n{% endblock %}\n",
        encoding="utf-8",
    )
    return path


HOSTILE = [
    "{{ 7*7 }}",
    '<img src="file:///etc/passwd">',
    "{% include '/etc/passwd' %}",
    "file:///etc/passwd",
    "<script>x</script>",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_fields_print_as_literal_text(templates, value):
    letter(templates, "<p>{{ name }}</p>")
    parts = templates.render_letter("letters/t.html.j2", {"name": value})
    assert "<img" not in str(parts.body) and "<script" not in str(parts.body)
    blocks = parse_body(str(parts.body))
    assert plain_text(blocks) == value


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ name.__class__.__subclasses__() }}",
    ],
)
def test_templates_cannot_reach_python_internals(templates, expression):
    letter(templates, f"<p>{expression}</p>")
    with pytest.raises(TemplateError) as error:
        templates.render_letter("letters/t.html.j2", {"name": "x"})
    assert "letters/t.html.j2" in error.value.format_message()


def test_templates_cannot_modify_data(templates):
    letter(templates, "{% set _ = items.append(1) %}<p>x</p>")
    with pytest.raises(TemplateError):
        templates.render_letter("letters/t.html.j2", {"items": []})


def test_templates_cannot_include_outside_their_folder(templates):
    letter(templates, "{% include '../../etc/passwd' %}")
    with pytest.raises(TemplateError):
        templates.render_letter("letters/t.html.j2", {})


def test_undefined_variable_names_template_and_line(templates):
    letter(templates, "<p>ok</p>\n<p>{{ case.shoe_size }}</p>")
    with pytest.raises(TemplateError) as error:
        templates.render_letter("letters/t.html.j2", {"case": {}})
    assert error.value.template == "letters/t.html.j2" and error.value.line == 4
    assert "shoe_size" in error.value.message


def test_huge_loops_are_stopped(templates):
    letter(templates, "{% for i in range(10**9) %}x{% endfor %}")
    with pytest.raises(TemplateError):
        templates.render_letter("letters/t.html.j2", {})


# -- the fetcher ----------------------------------------------------------------


@pytest.fixture
def fetcher(tmp_path: Path) -> AllowListFetcher:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.css").write_text("p { color: black }")
    return AllowListFetcher([tmp_path, FONT_DIR], {"video": b"\x89PNG..."})


def test_allowed_resources(fetcher, tmp_path):
    assert fetcher.fetch((tmp_path / "assets" / "a.css").as_uri()).read().startswith(b"p {")
    assert fetcher.fetch("qr:video").read() == b"\x89PNG..."
    assert fetcher.fetch((FONT_DIR / "DejaVuSans.ttf").as_uri()).read()[:4] == b"\x00\x01\x00\x00"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/logo.png",
        "https://example.org/x.css",
        "data:text/css,p{}",
        "ftp://example.org/x",
        "qr:unknown",
        "file://evil.example.org/share/x.css",
    ],
)
def test_everything_else_is_refused(fetcher, url):
    with pytest.raises(ForbiddenResource):
        fetcher.fetch(url)


def test_symlink_out_of_the_folder_is_refused(fetcher, tmp_path):
    (tmp_path / "assets" / "link.css").symlink_to("/etc/hostname")
    with pytest.raises(ForbiddenResource):
        fetcher.fetch((tmp_path / "assets" / "link.css").as_uri())


@pytest.mark.parametrize(
    "html",
    [
        '<img src="http://example.org/pixel.png">',
        '<link rel="stylesheet" href="file:///etc/passwd">',
        '<style>@import url("http://example.org/x.css");</style>',
        '<p style="background: url(file:///etc/passwd)">x</p>',
    ],
)
def test_weasyprint_with_the_fetcher_refuses_the_document(fetcher, tmp_path, html):
    with pytest.raises(ForbiddenResource):
        HTML(string=html, base_url=tmp_path.as_uri() + "/", url_fetcher=fetcher).write_pdf()


# -- the letter subset ------------------------------------------------------------


def test_subset_parses_into_blocks():
    blocks = parse_body(
        "<h2>Titre</h2><p>Un <strong>mot</strong> fort.<br>Ligne</p>"
        "<ol><li>Un</li><li><p>Deux</p></li></ol>"
        '<div class="key"><p>Clé</p></div>'
        '<table class="contacts"><tr><td><p>A</p></td><td>B</td></tr></table>'
        '<img src="qr:video" alt="Vidéo">'
    )
    kinds = [type(b) for b in blocks]
    assert kinds == [Paragraph, Paragraph, ListBlock, Box, Table, Image]
    assert blocks[1].runs[1] == Run("mot", bold=True)
    assert plain_text(blocks).splitlines()[:4] == ["Titre", "Un mot fort.", "Ligne", "Un"]


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("<script>x</script>", "<script> is not part"),
        ('<img src="http://x/y.png" alt="a">', "may only show a QR"),
        ('<img src="qr:x">', "needs an alt"),
        ('<p onclick="x">a</p>', "attribute 'onclick'"),
        ('<p class="red">a</p>', "class 'red'"),
        ("<li>a</li>", "<li> must be inside"),
        ("<p>a", "never closed"),
        ("<ul>text</ul>", "text cannot be directly"),
    ],
)
def test_anything_outside_the_subset_is_an_error(html, fragment):
    with pytest.raises(BodyError) as error:
        parse_body(html)
    assert fragment in str(error.value)
