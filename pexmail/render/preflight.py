"""Render every letter of the catalogue for a sample household before any batch runs.

Catches what loading the YAML cannot: template syntax errors, undefined
variables, HTML outside the letter subset, a resource the fetcher refuses,
a DOCX layout that does not render. Each problem names the template and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.model import Address, Case, Location
from pexmail.render.body import BodyError, parse_body
from pexmail.render.letter import LetterRenderer, Refused


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
    )


def sample_place(catalog: Catalog, territory_id: str) -> tuple[str, str]:
    """The first place a territory's directory serves, else a made-up one."""
    for directory in catalog.directories.directories:
        if directory.territory == territory_id and directory.places:
            return directory.places[0].postcode, directory.places[0].commune
    territory = catalog.territory(territory_id)
    return (territory.postcode_prefixes[0] + "000")[:5], territory.name


def letter_territories(catalog: Catalog, letter: Letter) -> list[str]:
    return list(letter.conditions.territories or [t.id for t in catalog.territories])


def preflight(
    catalog: Catalog, *, formats: tuple[str, ...] = ("pdf", "docx"), on: date | None = None
) -> Iterator[PreflightProblem]:
    """Yield every problem met rendering each letter (all versions) in each of its territories."""
    renderers: dict[date, LetterRenderer] = {}
    for letter in catalog.letters:
        run_date = on or letter.valid_from
        if run_date not in renderers:
            # Checks the templates, not the directories: `pexmail contacts --check` does that.
            renderers[run_date] = LetterRenderer(catalog, run_date, formats, allow_stale=True)
        renderer = renderers[run_date]
        for territory_id in letter_territories(catalog, letter):
            try:
                if letter.kind == "notice":
                    postcode, commune = sample_place(catalog, territory_id)
                    prepared = renderer.prepare_notice(letter, territory_id, postcode, commune)
                else:
                    prepared = renderer.prepare(letter, sample_facts(catalog, letter, territory_id))
                parse_body(str(prepared.parts.body))
                renderer.render(prepared)
            except BodyError as exc:
                yield PreflightProblem(
                    letter.id, letter.version, territory_id, f"{letter.templates.html}: {exc}"
                )
            except Refused as exc:
                yield PreflightProblem(letter.id, letter.version, territory_id, exc.reason)
