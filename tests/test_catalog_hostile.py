"""Broken contact directories and catalogues: each problem with its file and line."""

from __future__ import annotations

import pytest

from pexmail.catalog import load_catalog
from pexmail.errors import CatalogError


def directory(catalog_copy):
    return catalog_copy.parent / "contacts" / "national.yaml"


def problems_of(catalog_copy) -> list[str]:
    with pytest.raises(CatalogError) as error:
        load_catalog(catalog_copy)
    return [str(p) for p in error.value.problems]


def line_of(path, fragment: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_yaml_syntax_error_in_a_directory_names_file_and_line(catalog_copy):
    edit(directory(catalog_copy), '      - number: "3230"', '      - number: "3230')
    problems = problems_of(catalog_copy)
    assert len(problems) == 1
    assert problems[0].startswith("contacts/national.yaml:")
    assert "not valid YAML" in problems[0]


def test_schema_errors_in_a_directory_name_file_line_and_field(catalog_copy):
    path = directory(catalog_copy)
    edit(
        path,
        "    verified_on: 2025-07-01",
        "    verified_on: 2025-13-45",
    )
    edit(path, "    kind: caf\n", "    kind: caf\n    colour: blue\n")
    edit(path, '      - number: "3414"', '      - number: "call us"')
    problems = "\n".join(problems_of(catalog_copy))
    assert f"contacts/national.yaml:{line_of(path, 'colour: blue')}:" in problems
    assert "unknown field" in problems
    assert f"contacts/national.yaml:{line_of(path, 'call us')}:" in problems
    assert f"contacts/national.yaml:{line_of(path, '2025-13-45')}:" in problems


def test_a_python_tag_in_a_directory_is_refused_not_run(catalog_copy, tmp_path):
    marker = tmp_path / "ran"
    edit(
        directory(catalog_copy),
        "    name: Caisse d'allocations familiales (Caf)",
        f"    name: !!python/object/apply:os.system ['touch {marker}']",
    )
    problems = "\n".join(problems_of(catalog_copy))
    assert "contacts/national.yaml:" in problems and "not allowed" in problems
    assert not marker.exists()


def test_a_directory_of_aliases_that_expand_too_far_is_refused(catalog_copy):
    bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 8):
        bomb.append(
            f"{chr(97 + level)}: &{chr(97 + level)} "
            + str([f"*{chr(96 + level)}"] * 10).replace("'", "")
        )
    directory(catalog_copy).write_text("\n".join(bomb) + "\n", encoding="utf-8")
    problems = "\n".join(problems_of(catalog_copy))
    assert "contacts/national.yaml:" in problems and "too large" in problems


def test_a_directory_that_is_not_utf8_is_named(catalog_copy):
    directory(catalog_copy).write_bytes("territory: null\ntitle: Numéros\n".encode("cp1252"))
    problems = problems_of(catalog_copy)
    assert any(p.startswith("contacts/national.yaml") and "UTF-8" in p for p in problems)


def test_a_missing_directory_is_named(catalog_copy):
    directory(catalog_copy).unlink()
    assert any(
        p.startswith("contacts/national.yaml") and "not found" in p
        for p in problems_of(catalog_copy)
    )


def test_the_cli_reports_directory_problems_and_exits_1(cli, catalog_copy):
    edit(directory(catalog_copy), "    kind: caf\n", "    kind: caf\n    colour: blue\n")
    result = cli("catalog", "--catalog", catalog_copy)
    assert result.exit_code == 1
    assert f"contacts/national.yaml:{line_of(directory(catalog_copy), 'colour')}:" in result.output


def test_an_impossible_date_in_the_catalogue_is_a_located_problem(catalog_copy):
    text = catalog_copy.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if "valid_from:" in line)
    edit(catalog_copy, first, first.split("valid_from:")[0] + "valid_from: 2026-02-30")
    problems = "\n".join(problems_of(catalog_copy))
    assert f"catalog.yaml:{line_of(catalog_copy, 'valid_from: 2026-02-30')}:" in problems
    assert "invalid value" in problems
