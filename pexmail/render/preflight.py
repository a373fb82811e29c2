"""Render every letter of the catalogue for a sample household before any batch runs.

Catches what loading the YAML cannot: template syntax errors, undefined
variables, HTML outside the letter subset, a resource the fetcher refuses,
a Typst or DOCX layout that does not render. Every letter goes through each
PDF engine. Each problem names the template and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import jinja2
from jinja2 import meta

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.model import Address, Case, Location
from pexmail.render.body import BodyError, check_template_source
from pexmail.render.engine import ENGINES
from pexmail.render.envelope import render_envelope
from pexmail.render.letter import LetterRenderer, PreparedLetter, Refused
from pexmail.render.templates import Templates


@dataclass(frozen=True)
class PreflightProblem:
    letter_id: str
    version: str
    territory_id: str
    message: str

    def __str__(self) -> str:
        return f"letter {self.letter_id} v{self.version} ({self.territory_id}): {self.message}"


def sample_facts(catalog: Catalog, letter: Letter, territory_id: str) -> Case:
    """A made-up household that meets the letter's conditions in a territory."""
    territory = catalog.territory(territory_id)
    conditions = letter.conditions
    debt = Decimal("1850.40")
    if conditions.debt is not None:
        low = conditions.debt.min or Decimal(0)
        high = conditions.debt.max or low + Decimal(4000)
        debt = ((low + high) / 2).quantize(Decimal("0.01"))
    landlord = (conditions.landlord_types or ["private"])[0]
    recommended_by = (conditions.recommended_by or [""])[0]
    # A letter built from a commission's recommendations is tried with every item.
    recommendations = (
        tuple(r.id for r in catalog.document.recommendations) if recommended_by else ()
    )
    prefix = territory.postcode_prefixes[0]
    postcode = (prefix + "001")[:5] if len(prefix) < 5 else prefix
    return Case(
        location=Location("sample", 2),
        source_id="sample",
        case_id="EXEMPLE-0001",
        family_name="EXEMPLE",
        given_name="Camille",
        civility="Mme",
        address=Address(street="1 rue de l'Exemple", postcode=postcode, commune=territory.name),
        territory_id=territory_id,
        stage=letter.stage,
        landlord_type=landlord,
        landlord_name="Bailleur Exemple" if landlord == "social" else "",
        debt=debt,
        monthly_rent=Decimal("650.00"),
        act_date=date(2026, 10, 5),
        hearing_date=date(2027, 1, 14),
        caf_recipient=conditions.caf_recipient if conditions.caf_recipient is not None else True,
        recommendations=recommendations,
        recommended_by=recommended_by,
    )


def sample_place(catalog: Catalog, territory_id: str) -> tuple[str, str]:
    """The first place a territory's directory serves, else a made-up one."""
    for directory in catalog.directories.directories:
        if directory.territory == territory_id and directory.places:
            return directory.places[0].postcode, directory.places[0].commune
    territory = catalog.territory(territory_id)
    return (territory.postcode_prefixes[0] + "000")[:5], territory.name


def prepare_sample(renderer: LetterRenderer, letter: Letter, territory_id: str) -> PreparedLetter:
    """A letter for a sample household, or a notice for a sample place, of a territory.

    Checks of templates (this preflight, FALC checks) should use a renderer built
    with ``allow_stale=True``: they check the text, not the directories."""
    catalog = renderer.catalog
    if letter.kind == "notice":
        postcode, commune = sample_place(catalog, territory_id)
        return renderer.prepare_notice(letter, territory_id, postcode, commune)
    return renderer.prepare(letter, sample_facts(catalog, letter, territory_id))


def letter_territories(catalog: Catalog, letter: Letter) -> list[str]:
    return list(letter.conditions.territories or [t.id for t in catalog.territories])


def template_sources(templates: Templates, name: str) -> list[str]:
    """The template and every template it includes, extends or imports (by literal name)."""
    seen: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.append(current)
        try:
            source, _, _ = templates.env.loader.get_source(templates.env, current)  # type: ignore[union-attr]
            tree = templates.env.parse(source)
        except (jinja2.TemplateNotFound, jinja2.TemplateSyntaxError):
            continue  # reported by rendering, with its line
        pending += [ref for ref in meta.find_referenced_templates(tree) if ref]
    return seen


def subset_problems(templates: Templates, name: str) -> list[str]:
    """``template:line: problem`` for each tag, attribute or class outside the letter subset."""
    problems = []
    for template in template_sources(templates, name):
        source, _, _ = templates.env.loader.get_source(templates.env, template)  # type: ignore[union-attr]
        for line, message in check_template_source(source):
            problems.append(f"{template}:{line}: {message}")
    return problems


def preflight(
    catalog: Catalog,
    *,
    formats: tuple[str, ...] = ("pdf", "docx"),
    on: date | None = None,
    engines: Sequence[str] = ENGINES,
) -> Iterator[PreflightProblem]:
    """Yield every problem met rendering each letter (all versions) in each of its territories.

    PDF letters are rendered with every engine in ``engines``; DOCX once. HTML
    outside the letter subset is reported at its line in the template source.
    """
    renderers: dict[tuple[date, str], LetterRenderer] = {}
    checked: dict[str, list[str]] = {}
    for letter in catalog.letters:
        run_date = on or letter.valid_from
        for territory_id in letter_territories(catalog, letter):
            for index, engine in enumerate(engines or ENGINES):
                # DOCX does not depend on the PDF engine: made once, with the first.
                wanted = formats if index == 0 else tuple(f for f in formats if f == "pdf")
                if not wanted:
                    continue
                key = (run_date, engine)
                if key not in renderers:
                    # Checks the templates, not the directories: `pexmail contacts --check` does.
                    renderers[key] = LetterRenderer(
                        catalog, run_date, wanted, allow_stale=True, engine=engine
                    )
                renderer = renderers[key]
                problem = _check_letter(renderer, letter, territory_id, checked)
                if problem is not None:
                    where = f"{engine} engine: " if index else ""
                    yield PreflightProblem(letter.id, letter.version, territory_id, where + problem)
                    break  # one report per letter and territory: the engines agree on text


def _check_letter(
    renderer: LetterRenderer, letter: Letter, territory_id: str, checked: dict[str, list[str]]
) -> str | None:
    name = letter.templates.html
    try:
        prepared = prepare_sample(renderer, letter, territory_id)
        _ = prepared.parts.blocks  # a body outside the subset fails here, with its lines
        renderer.render(prepared)
        if letter.envelope is not None and "pdf" in renderer.formats:
            render_envelope(renderer, [prepared])
    except BodyError as exc:
        if name not in checked:
            checked[name] = subset_problems(renderer.templates, name)
        if checked[name]:
            return "; ".join(checked[name])
        return f"{name}: {exc}"
    except Refused as exc:
        return exc.reason
    return None
