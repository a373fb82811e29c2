import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pexmail.render import french

NB = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("1234.56"), f"1{NB}234,56{NB}€"),
        (Decimal("1200"), f"1{NB}200{NB}€"),
        (Decimal("0.5"), f"0,50{NB}€"),
        (Decimal("1234567.8"), f"1{NB}234{NB}567,80{NB}€"),
        (None, ""),
    ],
)
def test_euros(amount, expected):
    assert french.euros(amount) == expected


def test_long_dates():
    assert french.long_date(date(2026, 11, 22)) == f"22{NB}novembre{NB}2026"
    assert french.long_date(date(2026, 8, 1)) == f"1er{NB}août{NB}2026"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0182524000", f"01{NB}82{NB}52{NB}40{NB}00"),
        ("01 82 52 40 00", f"01{NB}82{NB}52{NB}40{NB}00"),
        ("0805 299 049", f"08{NB}05{NB}29{NB}90{NB}49"),
        ("3230", "3230"),
        ("115", "115"),
    ],
)
def test_phone_numbers_grouped(raw, expected):
    assert french.phone(raw) == expected


def test_typography_spaces():
    assert (
        french.typography("Attention : payez ! Vraiment ? « oui »")
        == f"Attention{NB}: payez{NB}! Vraiment{NB}? «{NB}oui{NB}»"
    )


def test_typography_leaves_tags_entities_and_urls_alone():
    html = '<p class="a">Objet : <a href="https://x.fr/a:b">x</a> &amp; y ; z</p>'
    fixed = french.typography_html(html)
    assert '<p class="a">' in fixed and "https://x.fr/a:b" in fixed and "&amp;" in fixed
    assert f"Objet{NB}:" in fixed and f"y{NB};" in fixed


def _typography_per_text_chunk(html: str) -> str:
    """The rule stated plainly: typography() on each text piece between tags and entities."""
    parts = re.split(r"(<[^>]*>|&#?\w+;)", html)
    return "".join(p if i % 2 else french.typography(p) for i, p in enumerate(parts))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                '<a href="x:y ; z">',
                "&amp;",
                "&#160;",
                "&nbsp",
                " ",
                "\t",
                "\n",
                ":",
                ";",
                "!",
                "?",
                "«",
                "»",
                "a",
                "Objet",
                "<",
                ">",
                "&",
                "é",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_typography_html_equals_typography_on_each_text_piece(html):
    assert french.typography_html(html) == _typography_per_text_chunk(html)
