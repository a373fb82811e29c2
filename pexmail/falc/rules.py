"""The FALC rules: one function per rule, each turning a letter's text into findings.

Every rule has an id (the key of ``falc.rules`` in the catalogue), a level
(``error``, ``warning`` or ``off``) and, where it measures something, a
threshold and an optional ``error_threshold`` past which a warning becomes an
error. Text rules read a :class:`~pexmail.falc.text.LetterText`; layout rules
(:func:`check_layout`) read the facts :mod:`pexmail.falc.layout` extracts from
a laid-out document. Nothing here knows WeasyPrint, docxtpl or click.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pexmail.catalog.schema import Falc, FalcRule
from pexmail.falc import readability
from pexmail.falc.layout import LayoutFacts, StyledRun
from pexmail.falc.text import LetterText, Sentence, TextParagraph, Token, fold, syllables

LEVELS = ("error", "warning")


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str  # "error" or "warning"
    paragraph: int | None  # reading order, 1 = subject line when checked, else first paragraph
    sentence: int | None  # 1-based, within the paragraph
    excerpt: str
    hint: str

    def where(self) -> str:
        parts = []
        if self.paragraph is not None:
            parts.append(f"paragraph {self.paragraph}")
        if self.sentence is not None:
            parts.append(f"sentence {self.sentence}")
        return ", ".join(parts) or "whole letter"


@dataclass
class Context:
    config: Falc
    findings: list[Finding] = field(default_factory=list)
    # Folded words of the household's own data (names, landlord, address, case id): a landlord
    # called « OPH » or « SCI DURAND » is data, not vocabulary the letter's author chose.
    data_words: frozenset[str] = frozenset()
    # The words the rules asked is_data() about: the findings depend on the data words
    # through these only (see FalcGate's memo).
    data_queries: set[str] = field(default_factory=set)

    def is_data(self, token: Token) -> bool:
        key = fold(token.bare)
        self.data_queries.add(key)
        return key in self.data_words

    def rule(self, rule_id: str) -> FalcRule:
        return self.config.rule(rule_id)

    def add(
        self,
        rule_id: str,
        excerpt: str,
        hint: str,
        *,
        paragraph: TextParagraph | None = None,
        sentence: Sentence | None = None,
        value: float | None = None,
        lower_is_worse: bool = False,
        at_most: str | None = None,
    ) -> None:
        rule = self.rule(rule_id)
        if rule.level == "off":
            return
        level = rule.level
        if at_most == "warning":
            level = "warning"
        if value is not None and rule.error_threshold is not None:
            beyond = (
                value < rule.error_threshold if lower_is_worse else value > rule.error_threshold
            )
            if beyond:
                level = "error"
        sentence_number = None
        if paragraph is not None and sentence is not None:
            sentence_number = paragraph.sentences.index(sentence) + 1
        self.findings.append(
            Finding(
                rule_id,
                level,
                paragraph.index + 1 if paragraph is not None else None,
                sentence_number,
                _excerpt(excerpt),
                hint,
            )
        )


def _excerpt(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- length -------------------------------------------------------------------------
def sentence_length(text: LetterText, ctx: Context) -> None:
    """Sentences longer than ``threshold`` words (Inclusion Europe: « use short sentences »)."""
    limit = ctx.rule("sentence-length").threshold or 15
    for paragraph, sentence in text.sentences():
        if sentence.words > limit:
            ctx.add(
                "sentence-length",
                sentence.text,
                f"{sentence.words} words (limit {limit:g}): split it, one idea per sentence",
                paragraph=paragraph,
                sentence=sentence,
                value=sentence.words,
            )


def paragraph_words(text: LetterText, ctx: Context) -> None:
    limit = ctx.rule("paragraph-words").threshold or 60
    for paragraph in text.body:
        if paragraph.words > limit:
            ctx.add(
                "paragraph-words",
                paragraph.text,
                f"{paragraph.words} words in this paragraph (limit {limit:g}): split it",
                paragraph=paragraph,
                value=paragraph.words,
            )


def paragraph_sentences(text: LetterText, ctx: Context) -> None:
    limit = ctx.rule("paragraph-sentences").threshold or 5
    for paragraph in text.body:
        if len(paragraph.sentences) > limit:
            ctx.add(
                "paragraph-sentences",
                paragraph.text,
                f"{len(paragraph.sentences)} sentences in this paragraph (limit {limit:g}): split it",
                paragraph=paragraph,
                value=len(paragraph.sentences),
            )


# -- words --------------------------------------------------------------------------
def _is_name(token: Token, sentence: Sentence) -> bool:
    """A capitalised word not at the start of its sentence: a name, not vocabulary."""
    bare = token.bare
    return bool(bare) and bare[0].isupper() and token is not sentence.tokens[0]


@lru_cache(maxsize=65536)
def _is_capitals(bare: str) -> bool:
    letters = [c for c in bare if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _explained_words(text: LetterText, ctx: Context) -> set[str]:
    """Words of glossary terms the letter explains: not reported again as rare or long."""
    words: set[str] = set()
    for entry in ctx.config.glossary:
        for form in [entry.term, *entry.forms]:
            words.update(fold(w) for w in re.findall(r"[^\W\d_]+", form))
    return words


@lru_cache(maxsize=20000)
def zipf(word: str) -> float:
    """Zipf frequency of a French word (log10 of occurrences per billion words), from wordfreq."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "fr")


def long_and_rare_words(text: LetterText, ctx: Context) -> None:
    """Words of more than ``threshold`` syllables; words rarer than Zipf ``threshold``.

    Names, acronyms, data and glossary terms (see ``jargon``) are left to their own rules.
    """
    max_syllables = ctx.rule("long-word").threshold or 4
    min_zipf = ctx.rule("rare-word").threshold or 3.0
    skip = _explained_words(text, ctx)
    seen: set[str] = set()
    for paragraph, sentence in text.sentences():
        for token in sentence.tokens:
            bare = token.bare
            key = fold(bare)
            if not token.is_word or key in seen or _is_capitals(bare) or _is_name(token, sentence):
                continue
            seen.add(key)
            if key in skip or any(part in skip for part in key.split("-")):
                continue
            count = syllables(bare)
            long = count > max_syllables and "-" not in bare
            frequency = zipf(bare.lower())
            rare = frequency < min_zipf and len(bare) > 3
            # The household's data is asked about last, for words that would be reported
            # only: the gate's memo keys on the data words a check asked about.
            if not (long or rare) or ctx.is_data(token):
                continue
            if long:
                ctx.add(
                    "long-word",
                    bare,
                    f"{count} syllables: use a shorter word, or explain it",
                    paragraph=paragraph,
                    sentence=sentence,
                )
            if rare:
                ctx.add(
                    "rare-word",
                    bare,
                    f"rare word (Zipf frequency {frequency:.1f} < {min_zipf:g}): use an everyday word, or explain it",
                    paragraph=paragraph,
                    sentence=sentence,
                )


# -- glossary and acronyms ----------------------------------------------------------
_EXPLAINS_AFTER = (
    r"\s*(?:,\s*)?(?:\([^)]*\)\s*)?(?:c'est|ce sont|est|sont|signifie|veut dire|désigne|"
    r"s'appelle|s'appelait|s'appellent|vous demande|permet)\b"
)
_EXPLAINS_BEFORE = r"(?:s'appelle|s'appellent|appelé|appelée|appelés|appelées|dit|dite)\s+(?:(?:un|une|le|la|les|l'|des|du)\s*)?$"


@lru_cache(maxsize=1024)
def _pattern(forms: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(fold(f)) for f in forms}, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])")


def _explained(
    pattern: re.Pattern[str],
    phrases: Sequence[str],
    window: list[str],
) -> bool:
    """Whether a term is explained in the window (its sentence, the one before, and the next ones)."""
    folded_phrases = [fold(p) for p in phrases]
    for sentence in window:
        folded = fold(sentence)
        if any(p in folded for p in folded_phrases):
            return True
        for match in pattern.finditer(folded):
            after = folded[match.end() :]
            before = folded[: match.start()]
            if re.match(_EXPLAINS_AFTER, after) or re.search(_EXPLAINS_BEFORE, before):
                return True
            # "le contrat de location (bail)": the term given in brackets after its meaning
            if before.rstrip().endswith("(") and after.lstrip().startswith(")"):
                return True
    return False


def _windows(text: LetterText, ctx: Context) -> list[tuple[TextParagraph, Sentence, list[str]]]:
    """Each body sentence with the sentences that may explain what it names."""
    flat = list(text.sentences(include_subject=False))
    size = ctx.config.explain_within_sentences
    result = []
    for index, (paragraph, sentence) in enumerate(flat):
        window = [s.text for _, s in flat[max(0, index - 1) : index + size + 1]]
        result.append((paragraph, sentence, window))
    return result


def jargon(text: LetterText, ctx: Context) -> None:
    """Glossary terms must be explained where they first appear (the subject line only announces)."""
    windows = _windows(text, ctx)
    whole = fold(" ".join(s.text for _, s, _ in windows))
    for entry in ctx.config.glossary:
        pattern = _pattern((entry.term, *entry.forms))
        if pattern.search(whole) is None:
            continue
        for paragraph, sentence, window in windows:
            match = pattern.search(fold(sentence.text))
            if match is None:
                continue
            if not _explained(pattern, entry.explanations, window):
                ctx.add(
                    "jargon",
                    sentence.text,
                    f"« {entry.term} » is not explained at its first use: say what it is "
                    f"(for example: {entry.plain})",
                    paragraph=paragraph,
                    sentence=sentence,
                )
            break  # only the first use needs the explanation


_ACRONYM = re.compile(r"^[A-ZÀ-Ý]{2,6}s?$")


def acronyms(text: LetterText, ctx: Context) -> None:
    """An acronym must be spelled out at its first use: « Fonds de solidarité pour le logement (FSL) »."""
    understood = {a.upper() for a in ctx.config.understood_acronyms}
    known = {k.upper(): v for k, v in ctx.config.acronyms.items()}
    seen: set[str] = set()
    windows = _windows(text, ctx)
    for paragraph, sentence, window in windows:
        for token in sentence.tokens:
            bare = token.bare
            if not token.is_word or not _ACRONYM.match(bare) or ctx.is_data(token):
                continue
            acronym = bare.rstrip("s") if bare.rstrip("s") in known else bare
            if acronym in understood or acronym in seen:
                continue
            if acronym not in known and len(acronym) > 5:
                continue  # a word in capitals, not an acronym: see `capitals`
            seen.add(acronym)
            expansion = known.get(acronym)
            spelled = [expansion] if expansion else []
            pattern = re.compile(r"(?<![\w])" + re.escape(fold(acronym)) + r"(?![\w])")
            # « Fonds de solidarité pour le logement (FSL) »: spelled out just before, in brackets
            bracketed = f"({acronym})" in sentence.text
            if bracketed or _explained(pattern, spelled, window):
                continue
            # An acronym the catalogue does not list may be part of a name from a case
            # file (« Immobilière 3F SA »): reported, never a reason to refuse a letter.
            ctx.add(
                "acronym",
                sentence.text,
                f"spell out {acronym} at its first use"
                + (f": « {expansion} ({acronym}) »" if expansion else ", or say it in words"),
                paragraph=paragraph,
                sentence=sentence,
                at_most=None if expansion else "warning",
            )


# -- numbers and dates --------------------------------------------------------------
_NUMBER_WORDS = {
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "vingt",
    "vingts",
    "trente",
    "quarante",
    "cinquante",
    "soixante",
    "septante",
    "octante",
    "nonante",
    "cent",
    "cents",
    "mille",
    "million",
    "millions",
    "milliard",
    "milliards",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
    "quatre-vingt",
    "quatre-vingts",
    "deuxième",
    "troisième",
    "quatrième",
    "cinquième",
    "sixième",
    "septième",
    "huitième",
    "neuvième",
    "dixième",
}
_FRACTION_WORDS = re.compile(
    r"\b(?:la|une|un|les|des|deux|trois)\s+(?:moitié|tiers|quarts?|cinquièmes?|dixièmes?)\b"
)
_PERCENT_WORDS = re.compile(r"\bpour\s?cent\b|\bpourcentage\b")
_ROMAN = re.compile(
    r"^(?=[MDCLXVI]{2}|[MDCLXVI](?:er|ère|ème)$)"
    r"M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})(?:e|er|ère|ème)?$"
)


def numbers(text: LetterText, ctx: Context) -> None:
    """Percentages, fractions, roman numerals, numbers in words, dates not written in full."""
    for paragraph, sentence in text.sentences():
        folded = fold(sentence.text)
        for token in sentence.tokens:
            where = {"paragraph": paragraph, "sentence": sentence}
            if token.kind == "percent":
                ctx.add(
                    "percentage",
                    token.text,
                    "say it with words people know: « 1 sur 4 », « la plupart »",
                    **where,
                )
            elif token.kind == "fraction":
                ctx.add(
                    "fraction",
                    token.text,
                    "avoid fractions: give the amount in euros or in months",
                    **where,
                )
            elif token.kind == "short_date":
                ctx.add(
                    "short-date", token.text, "write the date in full: « 5 octobre 2026 »", **where
                )
            elif token.is_word:
                bare = token.bare
                if fold(bare) in _NUMBER_WORDS:
                    ctx.add(
                        "number-in-words",
                        bare,
                        "write numbers in digits: « 3 » and not « trois »",
                        **where,
                    )
                elif (
                    len(bare) >= 2
                    and _ROMAN.match(bare)
                    and bare not in {"MC", "CV", "DIL", "CD", "MM"}
                ):
                    ctx.add(
                        "roman-numeral",
                        bare,
                        "write numbers in digits: « 14 » and not « XIV »",
                        **where,
                    )
        if _PERCENT_WORDS.search(folded):
            ctx.add(
                "percentage",
                sentence.text,
                "say it with words people know: « 1 sur 4 »",
                paragraph=paragraph,
                sentence=sentence,
            )
        match = _FRACTION_WORDS.search(folded)
        if match:
            ctx.add(
                "fraction",
                match.group(),
                "avoid fractions: give the amount in euros or in months",
                paragraph=paragraph,
                sentence=sentence,
            )


# -- grammar (heuristics) -----------------------------------------------------------
_NEGATION = re.compile(
    r"\b(?:ne|n')\s*(?:[\w'-]+\s+){0,3}?(?:pas|plus|jamais|rien|personne|aucune?|guere|nullement|point)\b"
    r"|\bsans\b|\bni\b.*\bni\b"
)
# être (any tense) [+ adverb] + past participle; verbs conjugated with être (aller, venir…) are not passive.
_ETRE = r"(?:est|sont|etait|etaient|sera|seront|serait|seraient|soit|soient|etre|ete|suis|es|sommes|etes|fut|furent)"
_PASSIVE = re.compile(
    rf"\b{_ETRE}\s+(?:(?:pas|plus|deja|bien|souvent|toujours|aussi|encore|jamais|tres|alors)\s+)*"
    r"(\w{2,}(?:e|es|ee|ees|i|is|ie|ies|u|us|ue|ues|it|ite|its|ites|ert|erte|erts|ertes|int|inte|ints|intes))\b"
)
_NOT_PASSIVE = {
    "alle",
    "allee",
    "alles",
    "allees",
    "venu",
    "venue",
    "venus",
    "venues",
    "parti",
    "partie",
    "partis",
    "parties",
    "arrive",
    "arrivee",
    "arrives",
    "arrivees",
    "reste",
    "restee",
    "restes",
    "restees",
    "ne",
    "nee",
    "nes",
    "nees",
    "mort",
    "morte",
    "tombe",
    "tombee",
    "entre",
    "entree",
    "sorti",
    "sortie",
    "devenu",
    "devenue",
    "revenu",
    "revenue",
    "rentre",
    "rentree",
    "monte",
    "montee",
    "descendu",
    "descendue",
    "passe",
    "passee",
    "retourne",
    "retournee",
    "une",
    "elle",
    "celle",
    "cette",
    "votre",
    "notre",
    "leur",
    "autre",
    "possible",
    "libre",
    "simple",
    "juste",
    "vrai",
    "vraie",
    "gratuit",
    "gratuite",
    "gratuits",
    "petit",
    "petite",
    "tout",
    "toute",
    "tous",
    "toutes",
    "ici",
    "aussi",
    "parmi",
    "lui",
    "qui",
    "quoi",
    "celui",
    "deux",
    "du",
    "plus",
    "tenu",
    "tenue",
    "d",
    "difficile",
    "utile",
    "facile",
    "jamais",
    "mais",
    "trop",
    "tres",
    "vide",
    "pire",
    "seule",
    "seul",
    "pauvre",
    "riche",
    "grave",
}


def negation(text: LetterText, ctx: Context) -> None:
    """Sentences with ``threshold`` negations or more (Inclusion Europe: « use positive sentences »)."""
    limit = ctx.rule("negation").threshold or 2
    for paragraph, sentence in text.sentences():
        found = _NEGATION.findall(fold(sentence.text))
        if len(found) >= limit:
            ctx.add(
                "negation",
                sentence.text,
                f"{len(found)} negations in one sentence: say it positively",
                paragraph=paragraph,
                sentence=sentence,
                value=len(found),
            )


def passive(text: LetterText, ctx: Context) -> None:
    """Passive voice (« votre dossier est examiné par ») : say who does what."""
    for paragraph, sentence in text.sentences():
        folded = fold(sentence.text)
        for match in _PASSIVE.finditer(folded):
            if match.group(1) in _NOT_PASSIVE:
                continue
            same = len(folded) == len(sentence.text)
            ctx.add(
                "passive",
                sentence.text[match.start() : match.end()] if same else match.group(),
                "passive voice: say who does what (« le juge décide » rather than « il est décidé »)",
                paragraph=paragraph,
                sentence=sentence,
            )


_CONDITIONAL = re.compile(r"^[\w'-]*[eiudvor]r(?:ais|ait|aient|ions|iez)$")
_NOT_CONDITIONAL = {"vrais", "frais", "jamais", "mais", "desormais", "souriez", "mariez"}


def conditional(text: LetterText, ctx: Context) -> None:
    """More than ``threshold`` verbs in the conditional in one letter: say what happens."""
    limit = ctx.rule("conditional").threshold or 2
    hits: list[tuple[TextParagraph, Sentence, str]] = []
    for paragraph, sentence in text.sentences():
        for token in sentence.tokens:
            word = fold(token.bare)
            if token.is_word and _CONDITIONAL.match(word) and word not in _NOT_CONDITIONAL:
                hits.append((paragraph, sentence, token.bare))
    if len(hits) > limit:
        paragraph, sentence, _ = hits[0]
        ctx.add(
            "conditional",
            ", ".join(word for _, _, word in hits),
            f"{len(hits)} verbs in the conditional (limit {limit:g}): say what happens, in the present",
            paragraph=paragraph,
            sentence=sentence,
            value=len(hits),
        )


# -- capitals -----------------------------------------------------------------------
def capitals(text: LetterText, ctx: Context) -> None:
    """Words in capitals (acronyms aside); ``error_threshold`` such words in one paragraph is an error."""
    known = {k.upper() for k in ctx.config.acronyms} | {
        a.upper() for a in ctx.config.understood_acronyms
    }
    for paragraph in text.body:
        words = [
            t.bare
            for s in paragraph.sentences
            for t in s.tokens
            if t.is_word and _is_capitals(t.bare) and not ctx.is_data(t)
        ]
        words = [w for w in words if w.rstrip("s") not in known and not _ACRONYM.match(w)]
        if words:
            ctx.add(
                "capitals",
                " ".join(words),
                "words in capitals are hard to read: write them in small letters",
                paragraph=paragraph,
                value=len(words),
            )


# -- scores -------------------------------------------------------------------------
def scores(text: LetterText, ctx: Context) -> readability.Scores:
    result = readability.score(text)
    if result.counts.words < 30:
        return result  # too short for a score to mean anything
    km = ctx.rule("readability-kandel-moles").threshold or 60
    if result.kandel_moles < km:
        ctx.add(
            "readability-kandel-moles",
            f"Kandel-Moles {result.kandel_moles:g}",
            f"score under {km:g}: shorter sentences and shorter words",
            value=result.kandel_moles,
            lower_is_worse=True,
        )
    limit = ctx.rule("readability-lix").threshold or 45
    if result.lix > limit:
        ctx.add(
            "readability-lix",
            f"LIX {result.lix:g}",
            f"LIX over {limit:g}: shorter sentences and shorter words",
            value=result.lix,
        )
    return result


TEXT_RULES: tuple[Callable[[LetterText, Context], None], ...] = (
    sentence_length,
    paragraph_words,
    paragraph_sentences,
    long_and_rare_words,
    jargon,
    acronyms,
    numbers,
    negation,
    passive,
    conditional,
    capitals,
)


@dataclass
class TextReport:
    findings: list[Finding]
    scores: readability.Scores
    data_queries: frozenset[str] = frozenset()  # see Context.data_queries


def check_text(
    text: LetterText, config: Falc, data_words: frozenset[str] = frozenset()
) -> TextReport:
    """``data_words``: folded words of the household's data, never judged as vocabulary."""
    ctx = Context(config, data_words=data_words)
    for rule in TEXT_RULES:
        rule(text, ctx)
    result = scores(text, ctx)
    return TextReport(ctx.findings, result, frozenset(ctx.data_queries))


# -- layout -------------------------------------------------------------------------
def check_layout(facts: LayoutFacts, config: Falc) -> list[Finding]:
    """Layout rules on the running text: one finding per rule and kind of text, not per line."""
    ctx = Context(config)
    reported: set[tuple[str, str]] = set()

    def report(rule_id: str, run: StyledRun, hint: str, value: float | None = None) -> None:
        key = (rule_id, run.tag)
        if key in reported:
            return
        reported.add(key)
        ctx.add(rule_id, run.text, hint, value=value, lower_is_worse=True)

    min_size = config.rule("font-size").threshold or 14
    min_height = config.rule("line-height").threshold or 1.5
    for run in facts.runs:
        if run.font_size < min_size - 0.05:
            report(
                "font-size",
                run,
                f"text in <{run.tag}> is {run.font_size:g} pt: the body text must be {min_size:g} pt or more",
                run.font_size,
            )
        if run.line_height is not None and not run.heading and run.line_height < min_height - 0.01:
            report(
                "line-height",
                run,
                f"line height {run.line_height:.2f} in <{run.tag}>: use {min_height:g} or more",
                run.line_height,
            )
        if run.justified:
            report("justified", run, f"text in <{run.tag}> is justified: align it to the left")
        if run.italic:
            report("italic", run, f"text in <{run.tag}> is in italics: use bold to stress a word")
        if run.underline:
            report(
                "underline", run, f"text in <{run.tag}> is underlined: use bold to stress a word"
            )
        if run.uppercase:
            report(
                "capitals",
                run,
                f"text in <{run.tag}> is set in capitals: write it in small letters",
            )
    for run in facts.runs:
        if run.rect is not None and any(run.rect.overlaps(image) for image in facts.images):
            report("text-over-image", run, "text printed over an image: move it beside the image")
    return ctx.findings
