"""The README and --help stay honest, and an installed pexmail carries its catalogue."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pexmail.cli import main

from .conftest import ROOT


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_an_example_and_is_in_the_readme(cli, name):
    result = cli(name, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"pexmail {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./install.sh\n.venv/bin/pexmail render samples/*.csv --out out" in readme
    assert ".venv/bin/python -m pytest\n" in readme and ".venv/bin/python -m pytest\n" in ci


def test_the_wheel_carries_catalogue_templates_contacts_samples_and_fonts(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("pexmail-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "pexmail/_bundled/catalog.yaml",
        "pexmail/_bundled/templates/layouts/state.html.j2",
        "pexmail/_bundled/templates/layouts/state.docx",
        "pexmail/_bundled/contacts/paris.yaml",
        "pexmail/_bundled/samples/caf-impayes-2026-11.csv",
        "pexmail/fonts/AtkinsonHyperlegible-Regular.ttf",
        "pexmail/fonts/fonts.conf",
    ):
        assert required in names, required
    assert not any(
        n.startswith("pexmail/_bundled/templates/") and n.endswith(".pyc") for n in names
    )


def test_default_catalogue_outside_the_repository(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PEXMAIL_CATALOG", raising=False)
    result = cli("catalog")
    assert result.exit_code == 0
    assert "drihl-cdp-social" in result.output
    assert Path(result.output.split(" — ")[0]).name == "catalog.yaml"
