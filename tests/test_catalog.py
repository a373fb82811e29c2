"""The catalogue: loads, lists, and reports every problem at its YAML line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pexmail.catalog import load_catalog, select_letters
from pexmail.errors import CatalogError
from pexmail.render.preflight import sample_facts


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    return [str(p) for p in error.value.problems]


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_the_shipped_catalogue_loads(catalog):
    assert {letter.id for letter in catalog.letters} >= {
        "drihl-cdp-social",
        "drihl-cdp-private-under-3000",
        "drihl-cdp-private-adil",
        "drihl-cdp-private-7000-10000",
        "drihl-cdp-private-over-10000",
    }
    assert (
        catalog.qr_target("dihal-video-audience").url
        == "https://www.youtube.com/watch?v=4og3KOPxOfw"
    )
    assert [s.id for s in catalog.stages][:3] == ["impaye", "signalement", "cdp"]


@pytest.mark.parametrize(
    ("debt", "landlord", "expected"),
    [
        ("0", "private", "drihl-cdp-private-under-3000"),
        ("2999.99", "private", "drihl-cdp-private-under-3000"),
        ("3000", "private", "drihl-cdp-private-adil"),
        ("6999.99", "private", "drihl-cdp-private-adil"),
        ("7000", "private", "drihl-cdp-private-7000-10000"),
        ("10000", "private", "drihl-cdp-private-over-10000"),
        ("250000", "private", "drihl-cdp-private-over-10000"),
        ("5000", "social", "drihl-cdp-social"),
    ],
)
def test_one_cdp_letter_per_band_and_park(catalog, debt, landlord, expected):
    letter = next(x for x in catalog.letters if x.id == expected)
    facts = sample_facts(catalog, letter, "paris")
    from dataclasses import replace

    facts = replace(facts, debt=Decimal(debt), landlord_type=landlord)
    selection = select_letters(catalog, facts, date(2026, 11, 23))
    assert [x.id for x in selection.letters] == [expected]


def test_no_letter_says_why(catalog):
    letter = catalog.letters[0]
    from dataclasses import replace

    facts = replace(sample_facts(catalog, letter, "paris"), landlord_type=None)
    selection = select_letters(catalog, facts, date(2026, 11, 23))
    assert selection.letters == ()
    assert "landlord type unknown" in selection.reason
    assert (
        "no letter in force on 2025-01-01"
        in select_letters(catalog, facts, date(2025, 1, 1)).reason
    )


def test_yaml_syntax_error_has_its_line(catalog_copy):
    edit(catalog_copy, "  version: 2026.11.0", "  version: [2026.11.0")
    (problem,) = problems_of(catalog_copy)
    assert "not valid YAML" in problem
    assert f"flow sequence at line {line_of(catalog_copy, 'version: [2026')}" in problem


def test_duplicate_key_unknown_field_and_bad_band_are_all_reported_with_lines(catalog_copy):
    edit(
        catalog_copy,
        "    stage: cdp\n    conditions:",
        "    stage: cdp\n    stage: cdp\n    conditions:",
    )
    edit(catalog_copy, "      debt: {max: 3000}", "      debt: {max: 3000}\n      weather: sunny")
    edit(catalog_copy, "      debt: {min: 3000, max: 7000}", "      debt: {min: 7000, max: 3000}")
    problems = problems_of(catalog_copy)
    joined = "\n".join(problems)
    assert f":{line_of(catalog_copy, 'stage: cdp', 3)}: " in joined and "appears twice" in joined
    assert any(
        "weather" in p and "unknown field" in p and f":{line_of(catalog_copy, 'weather')}:" in p
        for p in problems
    )
    assert any(
        "min must be lower than max" in p
        and f":{line_of(catalog_copy, 'min: 7000, max: 3000')}:" in p
        for p in problems
    )


def test_references_are_checked(catalog_copy):
    edit(
        catalog_copy,
        "    sender: drihl\n    stage: cdp\n    conditions:\n      territories: [paris, seine-saint-denis]\n      landlord_types: [social]",
        "    sender: ddets\n    stage: cdp\n    conditions:\n      territories: [paris, seine-saint-denis]\n      landlord_types: [social]",
    )
    edit(
        catalog_copy,
        "    qr: dihal-video-audience\n    falc: strict\n\n  - id: drihl-cdp-private-under-3000",
        "    qr: nowhere\n    falc: strict\n\n  - id: drihl-cdp-private-under-3000",
    )
    edit(
        catalog_copy,
        "contacts: [adil, social_services, fsl, prevention_line]",
        "contacts: [adil, oracle]",
    )
    edit(
        catalog_copy, "html: letters/drihl/cdp-private-7000-10000.html.j2", "html: ../../etc/passwd"
    )
    edit(
        catalog_copy,
        "html: letters/drihl/cdp-private-over-10000.html.j2",
        "html: letters/drihl/missing.html.j2",
    )
    joined = "\n".join(problems_of(catalog_copy))
    for fragment in (
        "unknown sender 'ddets'",
        "unknown QR target 'nowhere'",
        "unknown contact kind 'oracle'",
        "must stay inside the templates folder",
        "templates/letters/drihl/missing.html.j2 not found",
    ):
        assert fragment in joined


def test_overlapping_bands_are_an_error(catalog_copy):
    edit(catalog_copy, "      debt: {min: 3000, max: 7000}", "      debt: {min: 2500, max: 7000}")
    joined = "\n".join(problems_of(catalog_copy))
    assert (
        "conditions overlap with letters[1:drihl-cdp-private-under-3000]" in joined
        or "overlap" in joined
    )
    assert (
        f"catalog.yaml:{line_of(catalog_copy, 'debt: {min: 2500')}" in joined
        or "conditions" in joined
    )


def test_source_without_required_column(catalog_copy):
    edit(catalog_copy, "      postcode: cp\n", "")
    joined = "\n".join(problems_of(catalog_copy))
    assert "no column or default for required field(s): postcode" in joined


def test_a_tag_that_would_run_code_is_refused(catalog_copy):
    edit(
        catalog_copy,
        "  version: 2026.11.0",
        "  version: !!python/object/apply:os.system ['echo pwned']",
    )
    joined = "\n".join(problems_of(catalog_copy))
    assert (
        "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed here" in joined
    )


def test_cli_lists_letters_and_checks(cli, repo_root):
    result = cli("catalog", "--catalog", repo_root / "catalog.yaml")
    assert result.exit_code == 0
    assert "drihl-cdp-private-adil v1.0" in result.output
    assert "debt from 3 000 € to under 7 000 €" in result.output


def test_cli_reports_catalogue_errors_and_exits_1(cli, catalog_copy):
    edit(catalog_copy, "    stage: cdp\n    conditions:", "    stage: nowhere\n    conditions:")
    result = cli("catalog", "--catalog", catalog_copy)
    assert result.exit_code == 1
    assert "unknown stage 'nowhere'" in result.output


def test_catalog_check_renders_every_letter(cli, repo_root):
    result = cli("catalog", "--check", "--catalog", repo_root / "catalog.yaml")
    assert result.exit_code == 0, result.output
    assert "catalogue OK" in result.output


def test_catalog_check_names_template_and_line_of_an_undefined_variable(cli, catalog_copy):
    template = catalog_copy.parent / "templates" / "letters" / "drihl" / "cdp-social.html.j2"
    text = template.read_text(encoding="utf-8").splitlines()
    text.insert(7, "<p>{{ case.shoe_size }}</p>")
    template.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = cli("catalog", "--check", "--catalog", catalog_copy)
    assert result.exit_code == 1
    assert "letters/drihl/cdp-social.html.j2:8:" in result.output
    assert "shoe_size" in result.output


def test_schema_listing(cli):
    result = cli("catalog", "--schema")
    assert result.exit_code == 0
    assert "letters:" in result.output and "valid_from" in result.output
