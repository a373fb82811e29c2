"""The catalogue's fields, declared once: type, default and meaning.

``load.py`` validates ``catalog.yaml`` against these models and maps each
error back to its YAML line; ``pexmail catalog --schema`` prints them.
Conditions are data (lists, numbers, booleans): nothing in the catalogue is
ever evaluated as code.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pexmail.model import CASE_COLUMNS

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]

LANDLORD_TYPES = ("social", "private")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogInfo(Model):
    name: str = Field(description="What this catalogue covers.")
    version: str = Field(description="The catalogue's own version, printed in manifests.")


class Territory(Model):
    id: Identifier
    name: str = Field(description="As letters print it, e.g. « Seine-Saint-Denis ».")
    departement: str = Field(pattern=r"^(\d{2}|2A|2B|\d{3})$")
    postcode_prefixes: list[Annotated[str, Field(pattern=r"^\d{2,5}$")]] = Field(
        min_length=1, description="A case belongs to the territory whose prefix its postcode has."
    )


class Stage(Model):
    id: Identifier
    label: str = Field(description="The stage's name in letters.")
    aliases: list[str] = Field(
        default_factory=list, description="Other spellings partners' files use for this stage."
    )


class SenderOffice(Model):
    unit: str = Field(description="The office's name under the organisation's name.")
    place: str | None = Field(
        default=None,
        description="Town printed before the date (« Paris, le … »); none = date only.",
    )
    contact: str | None = Field(
        default=None, description="Id of a directory entry giving the office's address and phone."
    )


class Sender(Model):
    name: str = Field(description="Organisation, as printed at the top of the letter.")
    short_name: str = Field(description="Name used in the signature (« DRIHL »).")
    authority: str | None = Field(
        default=None, description="Line above the name (« Préfet de … »)."
    )
    layout: Identifier = Field(
        description="Layout used by every engine: templates/layouts/<layout>.html.j2 (WeasyPrint), "
        "<layout>.typ (Typst) and <layout>.docx."
    )
    offices: dict[str, SenderOffice] = Field(
        min_length=1, description="One office per territory id the sender writes from."
    )


class QrTarget(Model):
    id: Identifier
    url: str = Field(pattern=r"^https://", description="Where the QR code leads.")
    title: str
    caption: str = Field(description="Sentence printed next to the code.")
    printed_url: str = Field(description="Short form of the URL printed under the code.")
    source: str = Field(description="Where this target comes from (seed, partner).")


class Fact(Model):
    id: Identifier
    label: str = Field(description="What the fact is, for reviewers.")
    text: str = Field(description="How letters print it, e.g. « 6 semaines ».")
    value: Decimal | None = Field(
        default=None, description="The number behind the text, when pexmail computes with it."
    )
    source: str = Field(description="Legal source: law, article, decision.")
    valid_from: date
    valid_until: date | None = None
    territories: list[Identifier] | None = Field(
        default=None, description="Territories it applies to; none = everywhere."
    )


class ContactPolicy(Model):
    directories: list[str] = Field(
        min_length=1, description="Contact directory files, relative to the catalogue."
    )
    kinds: dict[Identifier, str] = Field(
        description="Kinds of contact letters may ask for, with their label in letters."
    )
    review_after_months: int = Field(default=12, ge=1)
    max_age_months: int = Field(default=24, ge=1)


class Source(Model):
    id: Identifier
    title: str
    delimiter: Literal[";", ",", "\t", "|"] | None = Field(
        default=None, description="Field separator; none = detected from the header line."
    )
    encoding: Literal["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"] | None = Field(
        default=None, description="Text encoding; none = detected (BOM, UTF-8, else Windows-1252)."
    )
    priority: int = Field(
        default=0, description="When two files disagree on a fact, the higher priority wins."
    )
    columns: dict[str, str | list[str]] = Field(
        description="Canonical field → the header (or accepted headers) holding it."
    )
    optional: list[str] = Field(
        default_factory=list, description="Fields whose column may be missing from a file."
    )
    defaults: dict[str, str] = Field(
        default_factory=dict, description="Fields with a fixed value for every row of this source."
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per field, partner-specific codes → canonical values (e.g. « BS » → social).",
    )

    @field_validator("columns", "values")
    @classmethod
    def _known_fields(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(CASE_COLUMNS))
        if unknown:
            raise ValueError(
                f"unknown case field(s) {', '.join(unknown)}; expected one of {', '.join(CASE_COLUMNS)}"
            )
        return value

    @field_validator("optional")
    @classmethod
    def _known_optional(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(CASE_COLUMNS))
        if unknown:
            raise ValueError(f"unknown case field(s) {', '.join(unknown)}")
        return value

    @field_validator("defaults")
    @classmethod
    def _known_defaults(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(CASE_COLUMNS))
        if unknown:
            raise ValueError(f"unknown case field(s) {', '.join(unknown)}")
        return value


class DebtBand(Model):
    """A debt range in euros: ``min`` included, ``max`` excluded; either may be absent."""

    min: Decimal | None = Field(default=None, ge=0)
    max: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> DebtBand:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("min must be lower than max")
        return self

    def contains(self, amount: Decimal) -> bool:
        return (self.min is None or amount >= self.min) and (self.max is None or amount < self.max)


class Conditions(Model):
    """Who a letter is for. Every condition given must hold; an absent one always holds."""

    territories: list[Identifier] | None = None
    landlord_types: list[Literal["social", "private"]] | None = None
    debt: DebtBand | None = None
    caf_recipient: bool | None = None
    stages: list[Identifier] | None = Field(
        default=None,
        description="Household stages the letter is due at; none = only the letter's `stage`.",
    )
    recommended_by: list[Identifier] | None = Field(
        default=None,
        description="Due only when the household has recommendations ticked by one of these "
        "bodies (case field recommended_by, e.g. clil).",
    )


class Recommendation(Model):
    """An item a commission may tick for a household; letters print its wording."""

    id: Identifier
    label: str = Field(description="Short name, as in the commission's form and letters.")
    aliases: list[str] = Field(
        default_factory=list, description="Other ways partners' files write this item."
    )
    text: str = Field(description="What the household is advised to do, in plain French.")
    contact: Identifier | None = Field(
        default=None, description="Kind of contact that helps with it, printed in the letter."
    )


class Envelope(Model):
    """A DL envelope printed for every mailing holding this letter."""

    template: str = Field(
        default="envelopes/dl.html.j2",
        description="Page template of the envelope, under templates/.",
    )
    qr: Identifier | None = Field(default=None, description="QR target printed on the envelope.")


class Templates(Model):
    html: str = Field(
        description="The letter's text: a Jinja2 template with blocks subject and body."
    )


class LegalBasis(Model):
    text: str
    url: str | None = None


class Matching(Model):
    """When two rows are one household (scores from 0 to 100, RapidFuzz)."""

    name_min_score: float = Field(
        default=90,
        ge=50,
        le=100,
        description="Names at least this similar (with the street) merge.",
    )
    street_min_score: float = Field(
        default=90,
        ge=50,
        le=100,
        description="Streets (same postcode and number) at least this similar.",
    )
    review_min_score: float = Field(
        default=75,
        ge=0,
        le=100,
        description="Same street, names at least this similar: listed for review.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Matching:
        if self.review_min_score > self.name_min_score:
            raise ValueError("review_min_score must not exceed name_min_score")
        return self


class Intervals(Model):
    default: int = Field(default=21, ge=0, description="Days between two letters to one household.")
    senders: dict[Identifier, int] = Field(default_factory=dict, description="Per sender id.")
    letters: dict[Identifier, int] = Field(
        default_factory=dict, description="Per letter id (wins)."
    )


class Chain(Model):
    """Rules that coordinate the letters a household receives."""

    min_interval_days: Intervals = Field(
        default_factory=Intervals,
        description="Minimum days after a letter of the same stage; a letter for a later stage goes at once.",
    )
    exclusive: list[list[Identifier]] = Field(
        default_factory=list,
        description="Groups of letters that must not go together: the first in catalogue order is kept.",
    )


class PrintSettings(Model):
    """How the mail room's print files are cut and laid out."""

    duplex: bool = Field(
        default=False,
        description="Printed on both sides: a letter with an odd page count is followed by a blank"
        " page, so that no letter starts on the back of another household's page.",
    )
    letters_per_file: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="At most this many letters (or mailings) per print file: print/<letter id>-001.pdf, -002…",
    )


class Letter(Model):
    id: Identifier
    kind: Literal["letter", "notice"] = "letter"
    title: str = Field(description="What reviewers call the letter.")
    sender: Identifier
    stage: Identifier
    conditions: Conditions = Field(default_factory=Conditions)
    templates: Templates
    version: str = Field(pattern=r"^\d+(\.\d+){0,2}$")
    valid_from: date
    valid_until: date | None = None
    legal_basis: list[LegalBasis] = Field(min_length=1)
    contacts: list[Identifier] = Field(
        default_factory=list, description="Kinds of contact to print, first one = call first."
    )
    qr: Identifier | None = None
    falc: Literal["strict", "advisory"] = Field(
        default="strict",
        description="strict: refused by `pexmail render` when the FALC check finds an error; "
        "advisory: findings reported only.",
    )
    supersedes: list[Identifier] = Field(
        default_factory=list,
        description="Letters not sent when this one is due to the same household.",
    )
    envelope: Envelope | None = Field(
        default=None,
        description="Print a DL envelope (QR code, one neutral sentence) for mailings holding it.",
    )

    @property
    def due_stages(self) -> list[str]:
        """Household stages this letter is due at."""
        return list(self.conditions.stages or [self.stage])

    @model_validator(mode="after")
    def _validity(self) -> Letter:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)


# FALC rules, their default level and thresholds; catalog.yaml `falc.rules` may change any of
# them (sources for each value are given there).
FALC_RULE_DEFAULTS: dict[str, dict] = {
    "sentence-length": {"level": "warning", "threshold": 15, "error_threshold": 25},
    "paragraph-words": {"level": "warning", "threshold": 60, "error_threshold": 120},
    "paragraph-sentences": {"level": "warning", "threshold": 5, "error_threshold": 10},
    "long-word": {"level": "warning", "threshold": 4},
    "rare-word": {"level": "warning", "threshold": 3.0},
    "jargon": {"level": "error"},
    "acronym": {"level": "error"},
    "percentage": {"level": "warning"},
    "fraction": {"level": "warning"},
    "roman-numeral": {"level": "warning"},
    "number-in-words": {"level": "warning"},
    "short-date": {"level": "error"},
    "negation": {"level": "warning", "threshold": 2},
    "passive": {"level": "warning"},
    "conditional": {"level": "warning", "threshold": 2},
    "capitals": {"level": "warning"},
    "readability-kandel-moles": {"level": "warning", "threshold": 60, "error_threshold": 40},
    "readability-lix": {"level": "warning", "threshold": 45, "error_threshold": 60},
    "font-size": {"level": "error", "threshold": 14},
    "line-height": {"level": "error", "threshold": 1.5},
    "justified": {"level": "error"},
    "italic": {"level": "error"},
    "underline": {"level": "error"},
    "text-over-image": {"level": "error"},
}


class FalcRule(Model):
    """One FALC rule: how serious a finding is, and its limit."""

    level: Literal["error", "warning", "off"] = Field(
        description="error: a strict letter with such a finding is refused; warning: reported; off."
    )
    threshold: float | None = Field(
        default=None, description="The limit past which the rule reports at its level."
    )
    error_threshold: float | None = Field(
        default=None, description="A further limit past which a finding is an error."
    )
    source: str = Field(default="", description="Where the rule and its limit come from.")


class GlossaryTerm(Model):
    term: str = Field(description="A procedural word that must be explained at its first use.")
    forms: list[str] = Field(
        default_factory=list, description="Other spellings (plural, variants) of the same term."
    )
    explanations: list[str] = Field(
        default_factory=list,
        description="Phrases that explain the term when they appear near its first use.",
    )
    plain: str = Field(description="A plain way to say it, printed in the hint.")


class Falc(Model):
    """Easy-to-Read checks run by `pexmail check` and the gate of `pexmail render`."""

    sources: list[str] = Field(default_factory=list, description="References for the rules.")
    rules: dict[str, FalcRule] = Field(
        default_factory=dict, description="Per rule id: level and thresholds (defaults apply)."
    )
    explain_within_sentences: int = Field(
        default=2,
        ge=0,
        description="An explanation counts when it is at most this many sentences after the first use.",
    )
    glossary: list[GlossaryTerm] = Field(default_factory=list)
    acronyms: dict[str, str] = Field(
        default_factory=dict, description="Acronym → its spelled-out form, for hints."
    )
    understood_acronyms: list[str] = Field(
        default_factory=lambda: ["QR"], description="Acronyms everyone reads: never flagged."
    )

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(FALC_RULE_DEFAULTS))
        if unknown:
            raise ValueError(
                f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(FALC_RULE_DEFAULTS)}"
            )
        return value

    def rule(self, rule_id: str) -> FalcRule:
        return self.rules.get(rule_id) or FalcRule(**FALC_RULE_DEFAULTS[rule_id])


class CatalogDocument(Model):
    """The whole of ``catalog.yaml``."""

    schema_version: Literal[1]
    catalog: CatalogInfo
    territories: list[Territory] = Field(min_length=1)
    stages: list[Stage] = Field(min_length=1, description="Procedure stages, earliest first.")
    senders: dict[Identifier, Sender]
    qr: list[QrTarget] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    contacts: ContactPolicy
    sources: list[Source] = Field(min_length=1)
    matching: Matching = Field(default_factory=Matching)
    chain: Chain = Field(default_factory=Chain)
    falc: Falc = Field(default_factory=Falc)
    print: PrintSettings = Field(default_factory=PrintSettings)
    recommendations: list[Recommendation] = Field(
        default_factory=list,
        description="Items a CLIL or the CCAPEX may tick for a household (case field recommendations).",
    )
    letters: list[Letter] = Field(min_length=1)


def describe_schema() -> str:
    """A plain listing of every catalogue field, for ``pexmail catalog --schema``."""
    lines: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            annotation = info.annotation
            type_name = re.sub(r"typing\.|pexmail\.catalog\.schema\.", "", str(annotation))
            type_name = type_name.replace("<class '", "").replace("'>", "")
            required = "required" if info.is_required() else "optional"
            help_text = f" — {info.description}" if info.description else ""
            lines.append(f"{prefix}{name}: {type_name} ({required}){help_text}")
            for sub in _submodels(annotation):
                walk(sub, prefix + "  ")

    walk(CatalogDocument, "")
    return "\n".join(lines)


def _submodels(annotation: object) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_submodels(arg))
    return found
