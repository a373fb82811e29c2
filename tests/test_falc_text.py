"""French segmentation, syllables and readability scores checked against the published formulas."""

from __future__ import annotations

import pytest

from pexmail.falc.readability import count, kandel_moles, lix, score
from pexmail.falc.text import from_html, from_paragraphs, split_sentences, syllables, tokenize


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("dette", 1),  # mute final e
        ("dettes", 1),
        ("loyer", 2),  # y between vowels: lo-yer
        ("payer", 2),
        ("crayon", 2),
        ("information", 4),  # in-for-ma-tion
        ("social", 2),
        ("procédure", 3),
        ("départementale", 5),
        ("propriétaire", 4),  # pro-pri-é-taire
        ("réel", 2),  # hiatus é-e
        ("idée", 2),  # i-dée: final -ée is one syllable
        ("jouer", 2),
        ("quatre", 1),
        ("aujourd'hui", 3),
        ("l'ADIL", 2),  # elided article left out
        ("Seine-Saint-Denis", 4),
        ("commandement", 4),  # written syllables: com-man-de-ment
        ("expulsion", 3),
    ],
)
def test_syllables_of_known_words(word, expected):
    assert syllables(word) == expected


def test_amounts_phones_urls_and_dates_are_one_token_each():
    text = "Payez 1 850,40 € avant le 5 octobre 2026, appelez le 08 05 29 90 49 ou allez sur www.service-public.fr/particuliers."
    kinds = [t.kind for t in tokenize(text)]
    assert kinds.count("amount") == 1
    assert kinds.count("phone") == 1
    assert kinds.count("url") == 1
    assert [t.text for t in tokenize("le 05/10/2026") if t.kind == "short_date"] == ["05/10/2026"]


def test_sentences_end_at_final_punctuation_not_in_abbreviations_amounts_or_urls():
    sentences = split_sentences(
        "M. Dupont a payé 1 850,40 €. Allez sur www.adil75.org. Vraiment ? Oui !"
    )
    assert [s.text for s in sentences] == [
        "M. Dupont a payé 1 850,40 €.",
        "Allez sur www.adil75.org.",
        "Vraiment ?",
        "Oui !",
    ]
    assert sentences[0].words == 5  # M. Dupont a payé <amount>


def test_letter_html_leaves_out_the_contacts_table_and_the_signature():
    body = (
        "<p>Bonjour.</p><table class='contacts'><tbody><tr><td><p>CAF</p></td>"
        "<td><p>32 30</p></td></tr></tbody></table><p class='signature'>DRIHL Paris</p>"
        "<ol><li><strong>Payez.</strong> Tout de suite.</li></ol>"
    )
    text = from_html("Objet", body)
    assert [(p.kind, p.text) for p in text.paragraphs] == [
        ("subject", "Objet"),
        ("paragraph", "Bonjour."),
        ("item", "Payez. Tout de suite."),
    ]


# Worked examples: counts made by hand, scores from the published formulas.
# Kandel & Moles (1958): L = 207 − 1.015 × words/sentences − 73.6 × syllables/words.
# LIX, Björnsson (1968): words/sentences + 100 × (words of more than 6 letters)/words.
def test_kandel_moles_matches_the_published_formula_on_worked_examples():
    # 100 words, 5 sentences, 150 syllables: 207 − 1.015 × 20 − 73.6 × 1.5 = 76.3
    assert kandel_moles(100, 5, 150) == pytest.approx(76.3)
    # 120 words, 4 sentences, 204 syllables: 207 − 30.45 − 125.12 = 51.43
    assert kandel_moles(120, 4, 204) == pytest.approx(51.43)


def test_lix_matches_the_published_formula_on_worked_examples():
    # 100 words, 5 sentences, 25 long words: 20 + 25 = 45
    assert lix(100, 5, 25) == pytest.approx(45)
    # 60 words, 6 sentences, 12 long words: 10 + 20 = 30
    assert lix(60, 6, 12) == pytest.approx(30)


def test_scores_of_a_counted_french_text():
    # « Le chat dort. Il fait beau. » : 6 words, 2 sentences, 6 syllables, no long word.
    text = from_paragraphs([("paragraph", "Le chat dort. Il fait beau.")])
    counts = count(text)
    assert (counts.words, counts.sentences, counts.syllables, counts.long_words) == (6, 2, 6, 0)
    result = score(text)
    assert result.kandel_moles == pytest.approx(round(207 - 1.015 * 3 - 73.6 * 1, 1))
    assert result.lix == pytest.approx(3.0)
    # « Votre propriétaire demande le remboursement. » 5 words, 1 sentence,
    # syllables 2 + 4 + 2 + 1 + 3 = 12, long words: propriétaire, demande, remboursement = 3
    text = from_paragraphs([("paragraph", "Votre propriétaire demande le remboursement.")])
    counts = count(text)
    assert (counts.words, counts.sentences, counts.syllables, counts.long_words) == (5, 1, 12, 3)
    assert score(text).kandel_moles == pytest.approx(round(207 - 1.015 * 5 - 73.6 * 12 / 5, 1))
    assert score(text).lix == pytest.approx(5 + 100 * 3 / 5)
