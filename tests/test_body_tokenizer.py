"""The quick body tokenizer gives exactly what html.parser gives, or hands over to it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pexmail.render import body as body_module
from pexmail.render.body import BodyError, _Builder, parse_body
from pexmail.render.letter import LetterRenderer
from pexmail.render.preflight import letter_territories, prepare_sample

from .conftest import RUN_DATE


def slow(html: str):
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return tuple(builder.stack[0].blocks)


def test_every_catalogue_body_parses_the_same_both_ways(catalog):
    # Letters and notices alike: the text is checked here, not the directories' freshness.
    renderer = LetterRenderer(catalog, RUN_DATE, ("docx",), allow_stale=True)
    in_force = catalog.letters_in_force(RUN_DATE)
    assert {x.kind for x in in_force} == {"letter", "notice"}
    bodies = 0
    for letter in in_force:
        for territory in letter_territories(catalog, letter):
            html = str(prepare_sample(renderer, letter, territory).parts.body)
            assert body_module._tokenize(_Builder(), html)  # the quick path is the one used
            assert body_module._top_level_blocks(html)  # and each top-level block is memoised
            assert parse_body(html) == slow(html), (letter.id, territory)
            bodies += 1
    assert bodies > 5


CASES = [
    "<p>Tom &amp; Jerry &lt;b&gt; &#233;t&eacute; &nbsp;x</p>",
    "<p>a<br>b<br/>c <strong>gras <em>et</em></strong> fin</p>",
    "<p class='key'>simple quotes</p><!-- a comment --><h2>Titre</h2>",
    '<div class="box">\n  <p>un</p>\n  <ul>\n    <li>item <span class="nowrap">01 02</span></li>\n  </ul>\n</div>',
    '<table class="contacts"><thead><tr><th>A</th></tr></thead><tbody><tr><td><p>x</p>y</td></tr></tbody></table>',
    '<div class="qr"><img src="qr:dihal" alt="QR"><p>légende</p></div>',
    "<P>Upper case</P>",
    "<!DOCTYPE html><p>declaration: html.parser takes it</p>",
    "<p>a stray < sign</p>",
    "<p class=key>unquoted attribute</p>",
    "texte nu\n\n<p>puis</p>",
    "<strong>gras</strong> nu <p>puis</p>",
    "<p>a</p><br><p>b</p>",
    "<p>a</p> <!-- c --> <p>a</p>\n<p>a</p>",
]


@pytest.mark.parametrize("html", CASES)
def test_same_blocks_as_html_parser(html):
    assert parse_body(html) == slow(html)


ERRORS = [
    "<p>ok</p>\n<script>alert(1)</script>",
    "<p>ok</p>\n\n<p onclick='x'>no</p>",
    "<p>\n<p>nested</p></p>",
    "<ul>\ntext</ul>",
    "<p>open",
    "<img src='http://example.org/x.png' alt='x'>",
    "<li>orphan</li>",
    "<p>a</p>\n<p>b</div>",
    "<p>a</p>\n<div><p>x</div></p>",
    "<p>a</p>\n<p>b</p></p>",
]


@pytest.mark.parametrize("html", ERRORS)
def test_same_errors_with_the_same_line(html):
    with pytest.raises(BodyError) as quick:
        parse_body(html)
    with pytest.raises(BodyError) as reference:
        slow(html)
    assert str(quick.value) == str(reference.value)


FRAGMENTS = [
    "<p>",
    "</p>",
    '<p class="key">',
    "<h2>",
    "</h2>",
    '<div class="box">',
    "</div>",
    "<ul>",
    "</ul>",
    "<li>",
    "</li>",
    "<strong>",
    "</strong>",
    "<br>",
    "<table>",
    "</table>",
    "<tr>",
    "</tr>",
    "<td>",
    "</td>",
    "<!-- c -->",
    " ",
    "\n",
    "texte",
    "Mme DUPONT",
    "&amp;",
    "a < b",
    ">",
    "<p class=key>",
    "<!-- < -->",
    "<br/>",
    "<em>",
    "</em>",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_any_body_parses_as_html_parser_parses_it_whole(html):
    """Blocks parsed one by one (and memoised) give the whole parse's blocks, or its error."""
    try:
        expected = slow(html)
    except BodyError as exc:
        with pytest.raises(BodyError) as quick:
            parse_body(html)
        assert str(quick.value) == str(exc)
    else:
        assert parse_body(html) == expected
