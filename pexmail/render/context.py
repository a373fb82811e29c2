"""A household's letter → the one context every template and layout reads.

The HTML, DOCX (and any other) layouts print the same values: names,
address block, sender, facts in force, contacts, QR code. Values are plain
data; formatting (amounts, dates, phones) is done by template filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from pexmail.catalog.contacts import ContactEntry
from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.households.normalize import words
from pexmail.model import Case
from pexmail.render.address import address_block
from pexmail.render.french import long_date
from pexmail.render.lawfacts import case_law, place_law
from pexmail.render.qr import QrImage

# Words the layouts print around the letter text; one place for every engine.
LABELS = {
    "reference": "Référence",
    "subject": "Objet",
    "page": "Page",
    "of": "sur",
    "contacts": "Qui appeler",
    "call_first": "À appeler en premier",
    "qr_hint": "Scannez ce code avec votre téléphone",
    "phone": "Tél.",
    "missing_contact": "Coordonnées non disponibles",
}

SALUTATIONS = {"M.": "Monsieur,", "Mme": "Madame,", "M. et Mme": "Madame, Monsieur,"}


@dataclass(frozen=True)
class ContactView:
    kind: str
    kind_label: str
    entry: ContactEntry

    def as_dict(self) -> dict[str, Any]:
        entry = self.entry
        return {
            "id": entry.id,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "name": entry.name,
            # The name adds nothing when it repeats the kind's label (« Caf » under « CAF »).
            "show_name": not _redundant(entry.name, self.kind_label),
            "phones": [{"number": p.number, "label": p.label or ""} for p in entry.phones],
            "address": entry.address or "",
            "email": entry.email or "",
            "url": entry.url or "",
            "hours": entry.hours or "",
            "verified_on": entry.verified_on,
        }


def _redundant(name: str, label: str) -> bool:
    name_words, label_words = set(words(name)), set(words(label))
    return bool(name_words) and len(name_words - label_words) <= 1


def contacts_for(
    catalog: Catalog, letter: Letter, facts: Case
) -> tuple[list[ContactView], list[str]]:
    """One entry per kind the letter asks for (the most local), and the kinds with none."""
    wanted = list(letter.contacts)
    if letter.conditions.recommended_by is not None:
        # A letter built from ticked recommendations also lists whom to call for each.
        items = {r.id: r for r in catalog.document.recommendations}
        for item_id in facts.recommendations:
            item = items.get(item_id)
            if item is not None and item.contact and item.contact not in wanted:
                wanted.append(item.contact)
    return contacts_near(
        catalog, wanted, facts.territory_id, facts.address.postcode, facts.address.commune
    )


def contacts_near(
    catalog: Catalog, kinds_asked: list[str], territory_id: str, postcode: str, commune: str
) -> tuple[list[ContactView], list[str]]:
    """One entry per kind asked (the most local to the place), and the kinds with none."""
    found: list[ContactView] = []
    missing: list[str] = []
    kinds = catalog.document.contacts.kinds
    for kind in kinds_asked:
        entries = catalog.directories.find(kind, territory_id, postcode, commune)
        if entries:
            found.append(ContactView(kind, kinds[kind], entries[0]))
        else:
            missing.append(kinds[kind])
    return found, missing


def months_of_rent(debt: Decimal | None, rent: Decimal | None) -> int | None:
    if debt is None or not rent:
        return None
    return int((debt / rent).to_integral_value(rounding=ROUND_FLOOR))


def build_context(
    catalog: Catalog,
    letter: Letter,
    facts: Case,
    run_date: date,
    qr_images: dict[str, QrImage],
) -> dict[str, Any]:
    """Everything a template may print for one household's letter.

    Raises :class:`pexmail.render.address.AddressError` when the address cannot
    be printed within the postal norm.
    """
    contacts, missing = contacts_for(catalog, letter, facts)
    block = address_block(facts.civility, facts.given_name, facts.family_name, facts.address)
    facts_in_force = catalog.facts_for(facts.territory_id, run_date)
    recommendations = {r.id: r for r in catalog.document.recommendations}
    return {
        "recipient": {
            "civility": facts.civility or "",
            "given_name": facts.given_name,
            "family_name": facts.family_name,
            "salutation": SALUTATIONS.get(facts.civility or "", "Madame, Monsieur,"),
        },
        "address_lines": list(block.lines),
        "case": {
            "id": facts.case_id,
            "debt": facts.debt,
            "monthly_rent": facts.monthly_rent,
            "months_of_rent": months_of_rent(facts.debt, facts.monthly_rent),
            "act_date": facts.act_date,
            "hearing_date": facts.hearing_date,
            "lease_date": facts.lease_date,
            "landlord_type": facts.landlord_type or "",
            "landlord_name": facts.landlord_name,
            "caf_recipient": facts.caf_recipient,
            "stage": facts.stage,
            "recommendations": [
                {"id": r.id, "label": r.label, "text": r.text}
                for r in (recommendations[i] for i in facts.recommendations if i in recommendations)
            ],
        },
        "law": case_law(facts_in_force, facts),
        **_shared(catalog, letter, facts.territory_id, run_date, qr_images, contacts, missing),
        "reference": f"{facts.case_id} · {letter.id} v{letter.version}",
    }


def _shared(
    catalog: Catalog,
    letter: Letter,
    territory_id: str,
    run_date: date,
    qr_images: dict[str, QrImage],
    contacts: list[ContactView],
    missing: list[str],
) -> dict[str, Any]:
    """What letters and notices print alike: territory, sender, letter, facts, contacts, QR."""
    sender = catalog.document.senders[letter.sender]
    office = sender.offices[territory_id]
    office_contact = catalog.directories.by_id(office.contact) if office.contact else None
    territory = catalog.territory(territory_id)
    qr = None
    if letter.qr is not None:
        target = catalog.qr_target(letter.qr)
        qr = {
            "src": qr_images[target.id].src,
            "url": target.url,
            "title": target.title,
            "caption": target.caption,
            "printed_url": target.printed_url,
        }
    return {
        "territory": {
            "id": territory.id,
            "name": territory.name,
            "departement": territory.departement,
        },
        "sender": {
            "id": letter.sender,
            "authority": sender.authority or "",
            "name": sender.name,
            "short_name": sender.short_name,
            "unit": office.unit,
            "place": office.place or "",
            "address": (office_contact.address or "") if office_contact else "",
            "phones": [
                {"number": p.number, "label": p.label or ""}
                for p in (office_contact.phones if office_contact else [])
            ],
            "url": (office_contact.url or "") if office_contact else "",
        },
        "letter": {
            "id": letter.id,
            "version": letter.version,
            "title": letter.title,
            "stage_label": catalog.stage(letter.stage).label,
        },
        "facts": {
            fact_id: {"text": f.text, "label": f.label, "source": f.source, "value": f.value}
            for fact_id, f in catalog.facts_for(territory_id, run_date).items()
        },
        "contacts": [c.as_dict() for c in contacts],
        "first_contact": contacts[0].as_dict() if contacts else None,
        "missing_contacts": missing,
        "qr": qr,
        "date": run_date,
        "place_date": _place_date(office.place, run_date),
        "signature": office.unit
        if sender.short_name in office.unit
        else f"{sender.short_name} — {office.unit}",
        "labels": LABELS,
    }


def _place_date(place: str | None, on: date) -> str:
    return f"{place}, le {long_date(on)}" if place else f"Le {long_date(on)}"


def build_notice_context(
    catalog: Catalog,
    letter: Letter,
    territory_id: str,
    postcode: str,
    commune: str,
    run_date: date,
    qr_images: dict[str, QrImage],
) -> dict[str, Any]:
    """The context of a notice: no household, so no recipient nor address block; the
    contacts are those serving the place. Same keys as :func:`build_context`, so
    templates, partials and layouts read it alike."""
    contacts, missing = contacts_near(catalog, letter.contacts, territory_id, postcode, commune)
    return {
        "law": place_law(catalog.facts_for(territory_id, run_date)),
        "recipient": {
            "civility": "",
            "given_name": "",
            "family_name": "",
            "salutation": "Madame, Monsieur,",
        },
        "address_lines": [],
        "case": {
            "id": "",
            "debt": None,
            "monthly_rent": None,
            "months_of_rent": None,
            "act_date": None,
            "hearing_date": None,
            "lease_date": None,
            "landlord_type": "",
            "landlord_name": "",
            "caf_recipient": None,
            "stage": letter.stage,
        },
        "place": {"postcode": postcode, "commune": commune},
        **_shared(catalog, letter, territory_id, run_date, qr_images, contacts, missing),
        "reference": f"{letter.id} v{letter.version} · {postcode} {commune}",
    }
