"""Write the synthetic sample files in samples/ (run: ``python tools/make_samples.py``).

Three partner shapes, as their offices export them: the DRIHL's EXPLOC export
of commandements de payer (Windows-1252, « ; », CRLF, French amounts and
dates), the CAF's report of unpaid rent (UTF-8 with BOM, « , », ISO dates,
« 1234.56 »), a CLIL session list with the recommendations ticked (UTF-8,
« ; »), and a CCAPEX session list (opinions after the judgment). About sixty households over
Paris, Seine-Saint-Denis and Pas-de-Calais; some appear in two files, spelled
differently; a few rows are wrong on purpose. Every person is made up.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "samples"

GIVEN = [
    "Marie",
    "Nadia",
    "Karim",
    "Sophie",
    "Mamadou",
    "Julie",
    "Thomas",
    "Fatima",
    "Lucas",
    "Aïcha",
    "Hélène",
    "Youssef",
    "Chloé",
    "Moussa",
    "Léa",
    "Ibrahim",
    "Camille",
    "Samir",
    "Inès",
    "Paul",
    "Agnès",
    "Mehdi",
    "Zoé",
    "Bakary",
    "Élodie",
    "Rachid",
    "Manon",
    "Ousmane",
    "Océane",
    "Franck",
]
FAMILY = [
    "DUPONT-MARTIN",
    "BENALI",
    "TRAORÉ",
    "LEFÈVRE",
    "NGUYEN",
    "MOREAU",
    "DIALLO",
    "GARCIA",
    "PETIT",
    "HADDAD",
    "FONTAINE",
    "KONÉ",
    "ROUSSEL",
    "CISSÉ",
    "MERCIER",
    "BOUZID",
    "FAURE",
    "SYLLA",
    "LAMBERT",
    "N'DIAYE",
    "D'ALMEIDA",
    "CHEVALIER",
    "BA",
    "LEROY",
    "OUEDRAOGO",
    "GIRARD",
    "SAÏDI",
    "MARCHAND",
    "KEITA",
    "DUBOIS",
]
# The DRIHL's EXPLOC export (bench/run.py writes the same columns).
EXPLOC_HEADER = [
    "N° dossier EXPLOC",
    "Civilité",
    "Nom",
    "Prénom",
    "Adresse",
    "Complément d'adresse",
    "Code postal",
    "Commune",
    "Type de bailleur",
    "Bailleur",
    "Montant de la dette",
    "Loyer mensuel",
    "Date de l'acte",
    "Date du bail",
    "Allocataire CAF",
]

PARIS_STREETS = [
    ("bd de Belleville", "75020", "Paris"),
    ("rue des Pyrénées", "75020", "Paris"),
    ("avenue de Flandre", "75019", "Paris"),
    ("rue de Tolbiac", "75013", "Paris"),
    ("rue Championnet", "75018", "Paris"),
    ("boulevard Ney", "75018", "Paris"),
    ("rue de Charonne", "75011", "Paris"),
    ("avenue d'Italie", "75013", "Paris"),
    ("rue Lecourbe", "75015", "Paris"),
    ("rue de Crimée", "75019", "Paris"),
]
SSD_STREETS = [
    ("rue Gabriel Péri", "93200", "Saint-Denis"),
    ("avenue Jean Jaurès", "93300", "Aubervilliers"),
    ("rue de Paris", "93100", "Montreuil"),
    ("avenue Paul Vaillant-Couturier", "93120", "La Courneuve"),
    ("rue Édouard Vaillant", "93140", "Bondy"),
    ("boulevard Lénine", "93000", "Bobigny"),
    ("rue Henri Barbusse", "93600", "Aulnay-sous-Bois"),
    ("avenue de la République", "93150", "Le Blanc-Mesnil"),
]
PDC_STREETS = [
    ("rue René Lanoy", "62300", "Lens"),
    ("avenue Raoul Briquet", "62800", "Liévin"),
    ("rue Jean Jaurès", "62110", "Hénin-Beaumont"),
    ("rue du 4 Septembre", "62160", "Bully-les-Mines"),
    ("rue de la Gare", "62220", "Carvin"),
    ("place de la République", "62750", "Loos-en-Gohelle"),
]
SOCIAL_LANDLORDS = [
    "Paris Habitat",
    "Seine-Saint-Denis Habitat",
    "Plaine Commune Habitat",
    "Pas-de-Calais Habitat",
]
PRIVATE_LANDLORDS = ["M. Bernard", "SCI Les Tilleuls", "Mme Rousseau", "SCI Familiale Morel", ""]


def french_amount(value: float, rng: random.Random) -> str:
    whole, cents = f"{value:.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    style = rng.choice(["space_euro", "plain_comma", "nbsp"])
    if style == "space_euro":
        return " ".join(groups) + f",{cents} €"
    if style == "nbsp":
        return "\u00a0".join(groups) + f",{cents}"
    return "".join(groups) + f",{cents}"


def write(
    name: str,
    header: list[str],
    rows: list[list[str]],
    *,
    delimiter: str,
    encoding: str,
    newline: str,
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL
    )
    writer.writerow(header)
    writer.writerows(rows)
    (OUT / name).write_bytes(buffer.getvalue().encode(encoding))


def main() -> None:
    rng = random.Random(20261123)
    OUT.mkdir(exist_ok=True)
    people = []
    for i in range(60):
        given = GIVEN[i % len(GIVEN)]
        family = FAMILY[(i * 7) % len(FAMILY)]
        civility = rng.choice(["Mme", "M.", "Madame", "Monsieur", "MME", "M"])
        if i < 26:
            street, postcode, commune = PARIS_STREETS[i % len(PARIS_STREETS)]
        elif i < 48:
            street, postcode, commune = SSD_STREETS[i % len(SSD_STREETS)]
        else:
            street, postcode, commune = PDC_STREETS[i % len(PDC_STREETS)]
        number = 3 + (i * 13) % 180
        people.append(
            {
                "given": given,
                "family": family,
                "civility": civility,
                "street": f"{number} {street}",
                "postcode": postcode,
                "commune": commune,
                "complement": rng.choice(
                    ["", "", "", f"Bât. {rng.choice('ABC')}", f"Appt {rng.randint(1, 90)}"]
                ),
                "social": rng.random() < 0.45,
                "rent": round(rng.uniform(380, 1150), 2),
            }
        )

    # DRIHL / EXPLOC: households 0-45 at the commandement-de-payer stage, Paris and 93.
    bands = [1200, 2400, 3100, 4500, 6900, 7000, 8200, 9900, 10000, 15400, 23000]
    exploc_rows = []
    for i, person in enumerate(people[:46]):
        if i % 9 == 4:
            continue  # not every household is in every file
        debt = bands[i % len(bands)] + (i * 37.45) % 90
        social = person["social"]
        landlord = (
            SOCIAL_LANDLORDS[0 if person["postcode"].startswith("75") else 1]
            if social
            else PRIVATE_LANDLORDS[i % 5]
        )
        exploc_rows.append(
            [
                f"EXP-75-{2026000 + i}"
                if person["postcode"].startswith("75")
                else f"EXP-93-{2026000 + i}",
                person["civility"],
                person["family"],
                person["given"],
                person["street"],
                person["complement"],
                person["postcode"],
                person["commune"],
                "Bailleur social"
                if social
                else rng.choice(["Privé", "Particulier", "SCI familiale"]),
                landlord,
                french_amount(debt, rng),
                french_amount(person["rent"], rng),
                f"{rng.randint(1, 28):02d}/{rng.choice([9, 10]):02d}/2026",
                rng.choice(
                    [
                        "",
                        f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.choice([2015, 2019, 2022, 2024])}",
                    ]
                ),
                rng.choice(["Oui", "Non", ""]),
            ]
        )
    # Rows wrong on purpose: each is rejected with its reason.
    exploc_rows += [
        [
            "EXP-75-2026900",
            "Mme",
            "",
            "Sandrine",
            "14 rue Oberkampf",
            "",
            "75011",
            "Paris",
            "Privé",
            "",
            "2 300,00 €",
            "720,00",
            "03/11/2026",
            "",
            "Non",
        ],
        [
            "EXP-93-2026901",
            "M.",
            "TESSIER",
            "Alain",
            "8 rue de Paris",
            "",
            "93100",
            "Montreuil",
            "Privé",
            "",
            "environ 3000",
            "650,00",
            "12/10/2026",
            "",
            "Oui",
        ],
        [
            "EXP-93-2026902",
            "Mme",
            "VIDAL",
            "Annie",
            "21 avenue Jean Jaurès",
            "",
            "93300",
            "Aubervilliers",
            "Privé",
            "",
            "4 120,00 €",
            "690,00",
            "31/02/2026",
            "",
            "Oui",
        ],
        [
            "EXP-13-2026903",
            "M.",
            "ARNAUD",
            "Gilles",
            "5 La Canebière",
            "",
            "13001",
            "Marseille",
            "Privé",
            "",
            "5 000,00 €",
            "800,00",
            "02/10/2026",
            "",
            "Non",
        ],
    ]
    write(
        "drihl-exploc-cdp-2026-11.csv",
        EXPLOC_HEADER,
        exploc_rows,
        delimiter=";",
        encoding="cp1252",
        newline="\r\n",
    )

    # CAF: unpaid rent reported by landlords; Pas-de-Calais households, and some
    # Paris households also in the EXPLOC file, written « NOM Prénom ».
    caf_rows = []
    # 29 and 36 are also in EXPLOC and the CLIL list: three senders, one household.
    for i in [*range(48, 60), 0, 3, 10, 27, 30, 29, 36]:
        person = people[i]
        street = person["street"]
        if i == 0:
            street = street.replace("bd de", "boulevard de")  # same address, another spelling
        if i == 48:
            street = f"{street}, résidence Les Oiseaux"  # a quoted field with a comma
        caf_rows.append(
            [
                f"CAF{7700000 + i * 31}",
                f"{person['family']} {person['given']}",
                street,
                person["complement"]
                if i != 50
                else "Escalier 2\nporte gauche",  # a line break inside a cell
                person["postcode"],
                person["commune"].upper(),
                "BS" if person["social"] else "BP",
                f"{round(person['rent'] * rng.uniform(1.5, 7), 2):.2f}",
                f"{person['rent']:.2f}",
                f"2026-{rng.choice([8, 9, 10]):02d}-{rng.randint(1, 28):02d}",
            ]
        )
    caf_rows.append(
        [
            "CAF7709999",
            "MARTEL Louise",
            "3 rue Jean Jaurès",
            "",
            "62110",
            "HENIN-BEAUMONT",
            "BP",
            "-250.00",
            "540.00",
            "2026-10-02",
        ]
    )
    write(
        "caf-impayes-2026-11.csv",
        [
            "matricule",
            "nom_prenom",
            "adresse_1",
            "adresse_2",
            "cp",
            "ville",
            "type_bailleur",
            "montant_impaye",
            "loyer",
            "date_signalement",
        ],
        caf_rows,
        delimiter=",",
        encoding="utf-8-sig",
        newline="\n",
    )

    # CLIL (Seine-Saint-Denis): households seen in session; some also in EXPLOC.
    clil_rows = []
    stages = ["Commandement de payer", "CDP", "Assignation", "commandement de payer", "Impayé"]
    # The items ticked in session, as secretariats type them: ids, labels,
    # aliases, any case, « ; », « , » or « + » between them.
    ticked = [
        "FSL; plan d'apurement",
        "adil, suivi social",
        "Reprise du loyer + APL",
        "",
        "Demande de logement social; DALO",
        "plan-apurement, fsl, aide-logement",
        "Surendettement",
        "suivi social",
        "ADIL; Action Logement",
        "",
        "fsl",
        "Reprendre le paiement du loyer; Vérifier l'aide au logement",
        "apurement",
    ]
    for n, i in enumerate([26, 28, 29, 31, 33, 35, 36, 38, 40, 41, 44, 46, 47]):
        person = people[i]
        clil_rows.append(
            [
                f"CLIL-AUB-{300 + n}",
                person["civility"].replace("Madame", "Mme"),
                person["family"].title() if n % 2 else person["family"],
                person["given"],
                person["street"],
                person["complement"],
                person["postcode"],
                person["commune"],
                "Social" if person["social"] else "Privé",
                SOCIAL_LANDLORDS[1] if person["social"] else "",
                french_amount(bands[(i + 3) % len(bands)], rng),
                french_amount(person["rent"], rng),
                # Row 3: reported, not a Caf recipient: the CCAPEX writes.
                "Impayé signalé" if n == 3 else stages[n % len(stages)],
                f"{rng.randint(1, 28):02d}/{rng.choice([9, 10]):02d}/2026",
                "",
                "non" if n == 3 else rng.choice(["oui", "non"]),
                ticked[n],
            ]
        )
    clil_rows.append(
        [
            "CLIL-AUB-399",
            "Mme",
            "PERRIN",
            "Odile",
            "40 rue de Paris",
            "",
            "93100",
            "Montreuil",
            "Privé",
            "",
            "1 500,00",
            "600,00",
            "Médiation",
            "04/11/2026",
            "",
            "non",
            "",
        ]
    )
    clil_rows.append(  # an item the catalogue does not list: rejected, with the column
        [
            "CLIL-AUB-398",
            "M.",
            "ROCHE",
            "Denis",
            "12 avenue Jean Jaurès",
            "",
            "93300",
            "Aubervilliers",
            "Social",
            SOCIAL_LANDLORDS[1],
            "3 200,00",
            "540,00",
            "Impayé",
            "02/11/2026",
            "",
            "oui",
            "FSL; visite à domicile",
        ]
    )
    write(
        "clil-aubervilliers-seance-2026-11.csv",
        [
            "Réf. ménage",
            "Civilité",
            "Nom de famille",
            "Prénom(s)",
            "N° et voie",
            "Bât./Esc./Appt",
            "CP",
            "Ville",
            "Parc",
            "Nom du bailleur",
            "Dette (€)",
            "Loyer (€)",
            "Stade de la procédure",
            "Date du dernier acte",
            "Date d'audience",
            "Allocataire",
            "Recommandations",
        ],
        clil_rows,
        delimiter=";",
        encoding="utf-8",
        newline="\n",
    )

    # CCAPEX: households examined after the judgment, up to police assistance,
    # in the three territories; 12 and 15 are also in EXPLOC at an earlier stage.
    ccapex_rows = []
    late = [
        "Décision de justice",
        "Commandement de quitter les lieux",
        "Réquisition CFP",
        "CFP accordé",
    ]
    advice = [
        "suivi social; logement social",
        "DALO, surendettement",
        "",
        "paiement-loyer; fsl; adil",
        "logement social",
        "",
    ]
    for n, i in enumerate([12, 15, 20, 33, 52, 54, 56, 58]):
        person = people[i]
        ccapex_rows.append(
            [
                f"CCAPEX-{person['postcode'][:2]}-{800 + n}",
                person["civility"],
                person["family"],
                person["given"],
                person["street"],
                person["complement"],
                person["postcode"],
                person["commune"],
                "Bailleur social" if person["social"] else "Privé",
                "",
                french_amount(bands[(i + 5) % len(bands)] + 1850, rng),
                french_amount(person["rent"], rng),
                late[n % len(late)],
                f"{rng.randint(1, 28):02d}/{rng.choice([9, 10]):02d}/2026",
                advice[n % len(advice)],
                rng.choice(["Oui", "Non"]),
            ]
        )
    write(
        "ccapex-avis-seance-2026-11.csv",
        [
            "N° dossier CCAPEX",
            "Civilité",
            "Nom",
            "Prénom",
            "Adresse",
            "Complément d'adresse",
            "Code postal",
            "Commune",
            "Type de bailleur",
            "Bailleur",
            "Dette",
            "Loyer",
            "Stade de la procédure",
            "Date de l'acte",
            "Recommandations",
            "Allocataire CAF",
        ],
        ccapex_rows,
        delimiter=";",
        encoding="utf-8",
        newline="\n",
    )


if __name__ == "__main__":
    main()
