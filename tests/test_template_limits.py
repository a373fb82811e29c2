"""A template that raises, loops or grows without end is stopped, named with its line."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from pexmail.errors import TemplateBudgetError, TemplateError
from pexmail.render import templates as templates_module
from pexmail.render.templates import Templates

from .conftest import RUN_DATE


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    (tmp_path / "letters").mkdir()
    engine = Templates(tmp_path)
    engine.time_budget = 0.5
    return engine


def letter(templates: Templates, body: str, name: str = "letters/t.html.j2") -> None:
    (templates.root / name).write_text(
        "{% block subject %}Objet{% endblock %}\n{% block body %}\n" + body + "\n{% endblock %}\n",
        encoding="utf-8",
    )


NEVER_ENDS = (
    "<p>ok</p>\n"
    "{% for i in range(100000) %}{% for j in range(100000) %}"
    "{% set k = i + j %}{% endfor %}{% endfor %}"
)


def test_a_loop_that_never_ends_is_stopped_at_its_line_and_not_run_again(templates):
    letter(templates, NEVER_ENDS)
    started = time.monotonic()
    with pytest.raises(TemplateBudgetError) as error:
        templates.render_letter("letters/t.html.j2", {})
    assert time.monotonic() - started < 3
    assert (error.value.template, error.value.line) == ("letters/t.html.j2", 4)
    assert "still running after 0.5 s" in error.value.message
    # The next household's letter is refused at once, with the same location.
    started = time.monotonic()
    with pytest.raises(TemplateBudgetError) as again:
        templates.render_letter("letters/t.html.j2", {})
    assert time.monotonic() - started < 0.1
    assert again.value.line == 4


def test_outside_the_main_thread_the_budget_still_holds(templates):
    # Worker threads cannot use SIGALRM: the tracer takes over, at the same line.
    from concurrent.futures import ThreadPoolExecutor

    letter(templates, NEVER_ENDS)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(templates.render_letter, "letters/t.html.j2", {})
        error = future.exception(timeout=10)
    assert isinstance(error, TemplateBudgetError)
    assert error.line == 4
    assert sys.gettrace() is None


def test_the_timer_is_left_as_it_was(templates):
    letter(templates, "<p>{{ 1 + 1 }}</p>")
    templates.render_letter("letters/t.html.j2", {})
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_a_recursive_macro_is_an_error_at_its_line(templates):
    letter(templates, "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}\n<p>{{ m(0) }}</p>")
    with pytest.raises(TemplateError) as error:
        templates.render_letter("letters/t.html.j2", {})
    assert "recursion too deep" in error.value.message
    assert error.value.template == "letters/t.html.j2" and error.value.line in (3, 4)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("{{ 1 // 0 }}", "ZeroDivisionError"),
        ("{{ 'x' * 10**9 }}", "repetition over the size limit"),
        ("{{ [1] * 100000 * 100000 }}", "repetition over the size limit"),
        ("{{ 2 ** 100000 }}", "exponent over the limit"),
        ("{{ 'x'|center(10**8) }}", "over the limit of 100000"),
        ("{{ 'x'.ljust(99999999) }}", "over the limit of 100000"),
        ("{{ '%099999999d'|format(1) }}", "format width"),
        ("{{ '%.9999999f' % 1.5 }}", "format width"),
        ("{{ '{:>99999999}'.format('x') }}", "format width"),
        ("{{ range(10**9)|list }}", "over the limit"),
    ],
)
def test_expressions_that_raise_or_would_exhaust_memory_name_the_line(
    templates, expression, fragment
):
    letter(templates, f"<p>ok</p>\n<p>{expression}</p>")
    with pytest.raises(TemplateError) as error:
        templates.render_letter("letters/t.html.j2", {})
    assert error.value.template == "letters/t.html.j2"
    assert error.value.line == 4, error.value.format_message()
    assert fragment in error.value.message


def test_a_text_over_the_size_limit_is_refused(templates):
    letter(templates, "{% for i in range(1000) %}{{ 'x' * 2000 }}{% endfor %}")
    with pytest.raises(TemplateBudgetError) as error:
        templates.render_letter("letters/t.html.j2", {})
    assert "over 1000000 characters" in error.value.message


def test_ordinary_arithmetic_and_formats_still_work(templates):
    letter(
        templates,
        "<p>{{ 3 * 4 }} {{ 2 ** 10 }} {{ '%05d'|format(42) }} {{ '-' * 10 }} "
        "{{ '{:>6}'.format('ab') }} {{ 250000|euros }}</p>",
    )
    body = str(templates.render_letter("letters/t.html.j2", {}).body)
    assert "12 1024 00042 ---------- " in body
    assert "250" in body


def insert_line(catalog_copy: Path, letter: str, line: str, at: int = 7) -> None:
    template = catalog_copy.parent / "templates" / "letters" / "drihl" / f"{letter}.html.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    lines.insert(at, line)
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_catalog_check_names_looping_and_raising_templates_and_their_lines(
    cli, catalog_copy, monkeypatch
):
    monkeypatch.setattr(templates_module, "TIME_BUDGET_SECONDS", 0.3)
    insert_line(catalog_copy, "cdp-social", NEVER_ENDS.splitlines()[1])
    insert_line(catalog_copy, "cdp-private-adil", "<p>{{ (case.debt or 0) // 0 }}</p>")
    started = time.monotonic()
    result = cli("catalog", "--check", "--catalog", catalog_copy)
    assert result.exit_code == 1
    assert "letters/drihl/cdp-social.html.j2:8: still running after 0.3 s" in result.output
    assert "letters/drihl/cdp-private-adil.html.j2:8: " in result.output
    assert "DivisionByZero" in result.output or "ZeroDivision" in result.output
    # The loop would never end; the bound only proves the check does (the whole catalogue is
    # rendered with both engines, so a loaded machine needs a wide margin).
    assert time.monotonic() - started < 300


HEADER = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;Allocataire CAF"
)


def test_a_runaway_template_does_not_hang_a_batch(cli, catalog_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(templates_module, "TIME_BUDGET_SECONDS", 0.3)
    insert_line(catalog_copy, "cdp-social", NEVER_ENDS.splitlines()[1])
    rows = [
        f"R-{n};Mme;NOM{n};Eve;{n} rue de Paris;;93100;Montreuil;Bailleur social;OPH;"
        "2 000,00;700,00;01/10/2026;;Oui"
        for n in range(1, 6)
    ]
    csv_path = tmp_path / "cases.csv"
    csv_path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    result = cli(
        "render",
        csv_path,
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        catalog_copy,
        "--format",
        "docx",
        "--strict",
    )
    assert time.monotonic() - started < 30
    assert result.exit_code == 3, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows"]["read"] == 5 and summary["rows"]["suppressed"] == 5
    assert summary["suppressions"]["by_code"]["render_error"] == 5
    (reason,) = [r for r in summary["suppressions"]["reasons"] if "cdp-social" in r]
    assert "letters/drihl/cdp-social.html.j2:8: still running" in reason
