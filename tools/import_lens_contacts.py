"""Build contacts/pas-de-calais.yaml from the first extraction of seed 003's annex.

The extraction (``shared/contacts/pas-de-calais-lens.yaml``) copies the Lens
guide's CONTACTS annex as printed, with notes where the PDF text was garbled.
This script keeps what a letter or notice may print, drops what is unreliable
(values re-attached from orphan table cells, garbled e-mails, e-mails naming a
person, numbers the seeds show as replaced) and writes every kept entry with
its source and ``verified_on: null``: the guide is undated and predates the
2023 law, so nothing in it counts as verified until someone checks it
(``pexmail contacts verify``).

Run once, then review the diff: ``python tools/import_lens_contacts.py
../shared/contacts/pas-de-calais-lens.yaml > contacts/pas-de-calais.yaml``.
The output is the reviewed data; this script documents how it was made.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

from pexmail.textfold import fold

# Extraction kind → catalogue kind. Kinds not listed are not printed by any
# letter or notice and stay out of the directory.
KINDS = {
    "mairie": "mairie",
    "ccas": "ccas",
    "mds": "social_services",
    "adil": "adil",
    "banque_de_france": "banque_de_france",
    "siao": "siao",
    "ccapex": "ccapex",
    "action_logement": "action_logement",
    "mjd": "access_to_law",
    "pad": "access_to_law",
    "cdad": "access_to_law",
    "budget": "budget",
    "sous_prefecture": "sous_prefecture",
}

# Entries left out, and why (the report and README repeat these).
DROPPED = {
    # Seed 000 (July 2025) prints the CAF's national 3230; 0810 numbers are the old ones.
    "lens-caf-62": "0810 number of the undated guide; the national 3230 (seed 000) serves instead",
    # CCAS rows whose address or phones only exist as orphan cells printed after the table.
    "lens-ccas-ablain-saint-nazaire": "row holds only the postcode; address and phones re-attached from orphan cells",
}

# Values re-attached by position from orphan cells: dropped, the rest of the row kept.
ORPHAN_FIELDS = {
    "lens-ccas-aix-noulette": ("phone",),
    "lens-ccas-courcelles-les-lens": ("phone",),
    "lens-ccas-noyelles-sous-lens": ("phone",),
    "lens-ccas-harnes": ("address",),
    "lens-ccas-sallaumines": ("address",),
}

# Emails attributed by position only, naming a person, or garbled: never printed.
UNRELIABLE_EMAIL = re.compile(
    r"nominative|names a person|garbled|does not name the commune|attributed by position only",
    re.IGNORECASE,
)

# Entries serving the whole arrondissement: no `serves` (the whole territory's directory).
DEPARTMENTAL = {
    "sous_prefecture",
    "adil",
    "banque_de_france",
    "siao",
    "ccapex",
    "action_logement",
    "cdad",
    "budget",
}

NAMES = {
    "mairie": "Mairie {of}",
    "ccas": "Centre communal d'action sociale (CCAS) {of}",
}


def of(commune: str) -> str:
    """« de Lens », « d'Avion »: French elides « de » before a vowel."""
    return f"d'{commune}" if fold(commune)[:1] in "aeiouy" else f"de {commune}"


def phone(number: str) -> str:
    digits = re.sub(r"[^0-9+]", "", number)
    if len(digits) == 10 and digits.startswith("0"):
        if digits.startswith("08"):
            return f"{digits[:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return digits


def clean(text: str | None) -> str | None:
    if text is None:
        return None
    return re.sub(r"\s+", " ", text).strip(" –-") or None


def quote(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def convert(entry: dict) -> dict | None:
    if entry["id"] in DROPPED or entry["kind"] not in KINDS:
        return None
    kind = KINDS[entry["kind"]]
    note = entry.get("note") or ""
    dropped = ORPHAN_FIELDS.get(entry["id"], ())
    commune = clean(entry.get("commune"))
    out: dict = {"id": entry["id"], "kind": kind}
    if entry["kind"] in NAMES and commune:
        out["name"] = NAMES[entry["kind"]].format(of=of(commune))
    else:
        out["name"] = clean(entry["name"])
    phones = [] if "phone" in dropped else entry.get("phone") or []
    out["phones"] = [
        {"number": phone(p["number"]), **({"label": p["label"]} if p.get("label") else {})}
        for p in phones
        if p.get("number") and p["number"] != "115"
    ]
    if entry["kind"] == "siao":
        # The guide's sheets send households to the SIAO « en appelant le 115 » (l.700).
        out["phones"].insert(0, {"number": "115", "label": "hébergement d'urgence"})
    address = None if "address" in dropped else clean(entry.get("address"))
    postcode = (entry.get("postal_code") or "").replace(" ", "")
    if address and entry["kind"] in ("mairie", "ccas") and commune:
        address = f"{address}, {postcode} {commune}"
    out["address"] = address
    emails = entry.get("email") or []
    if emails and not UNRELIABLE_EMAIL.search(note) and " " not in emails[0]:
        out["email"] = emails[0]
    if entry["kind"] not in DEPARTMENTAL and commune:
        out["serves"] = {"communes": [commune]}
    extra = []
    if dropped:
        extra.append(f"{' and '.join(dropped)} left out: re-attached from orphan cells")
    out["source"] = f"seed 003 {entry['source'].replace('003_549bff94a63e403a.txt ', '')}"
    out["note"] = "; ".join(x for x in [*extra] if x) or None
    return out


def dump(entries: list[dict], places: list[tuple[str, str]]) -> str:
    lines = [
        "# Pas-de-Calais — arrondissement de Lens (CA Lens-Liévin and CA Hénin-Carvin).",
        "# Source: seed 003, the guide « La procédure d'expulsion locative », annex CONTACTS",
        "# (l.1867-2932). The guide is undated and predates the loi n° 2023-668 of 27 July 2023:",
        "# no entry is verified, so each is stale until someone checks it and runs",
        "# `pexmail contacts verify ID --on DATE --by WHO`. Made with",
        "# tools/import_lens_contacts.py from the first extraction (shared/contacts/), then",
        "# reviewed: values re-attached from orphan table cells, garbled e-mails and e-mails",
        "# naming a person are left out (see each entry's note).",
        "territory: pas-de-calais",
        "title: Contacts — Pas-de-Calais (arrondissement de Lens)",
        "coverage: arrondissement de Lens only, 50 communes (CA Lens-Liévin and CA Hénin-Carvin)",
        "source_documents:",
        "  - file: 003_549bff94a63e403a.txt",
        "    title: Guide « La procédure d'expulsion locative » (arrondissement de Lens), annexe CONTACTS",
        "    date: non daté (antérieur à la loi du 27 juillet 2023)",
        "# The communes this directory serves: a notice is written only for these.",
        "places:",
    ]
    for postcode, commune in places:
        lines.append(f"  - {{postcode: {quote(postcode)}, commune: {quote(commune)}}}")
    lines.append("entries:")
    for entry in entries:
        lines.append(f"  - id: {entry['id']}")
        lines.append(f"    kind: {entry['kind']}")
        lines.append(f"    name: {quote(entry['name'])}")
        if entry["phones"]:
            lines.append("    phones:")
            for p in entry["phones"]:
                lines.append(f"      - number: {quote(p['number'])}")
                if p.get("label"):
                    lines.append(f"        label: {quote(p['label'])}")
        if entry.get("address"):
            lines.append(f"    address: {quote(entry['address'])}")
        if entry.get("email"):
            lines.append(f"    email: {quote(entry['email'])}")
        if entry.get("serves"):
            communes = ", ".join(quote(c) for c in entry["serves"]["communes"])
            lines.append(f"    serves: {{communes: [{communes}]}}")
        lines.append(f"    source: {quote(entry['source'])}")
        lines.append("    verified_on: null")
        if entry.get("note"):
            lines.append(f"    note: {quote(entry['note'])}")
    return "\n".join(lines) + "\n"


def main(path: str) -> None:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    entries = [e for e in (convert(x) for x in data["entries"]) if e is not None]
    places = sorted(
        {
            (str(e["postal_code"]).replace(" ", ""), clean(e["commune"]))
            for e in data["entries"]
            if e["kind"] == "mairie"
        },
        key=lambda p: fold(p[1]),
    )
    sys.stdout.write(dump(entries, places))


if __name__ == "__main__":
    main(sys.argv[1])
