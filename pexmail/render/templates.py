"""The sandboxed Jinja2 environment every template runs in, and its preflight.

Templates are written by reviewers and receive data from partners' files:
they run in Jinja's immutable sandbox (no access to Python internals), with
autoescaping (a field holding ``<img src=…>`` or ``{{ 7*7 }}`` prints as
text), undefined variables as errors, and a loader confined to ``templates/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from pexmail.errors import TemplateError
from pexmail.render import french

LETTER_BLOCKS = ("subject", "body")


def make_environment(template_root: Path) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(template_root), followlinks=False),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["euros"] = french.euros
    env.filters["long_date"] = french.long_date
    env.filters["phone"] = french.phone
    return env


@dataclass(frozen=True)
class LetterParts:
    """A letter's text, rendered: what every layout and engine prints."""

    subject: str  # plain text
    body: Markup  # HTML fragment in the letter subset (see body.py)


class Templates:
    """Compiled templates of one catalogue, loaded once per process."""

    def __init__(self, template_root: Path) -> None:
        self.root = template_root
        self.env = make_environment(template_root)

    def get(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                template=exc.name or name, line=exc.lineno, message=exc.message or "syntax error"
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(
                template=name, line=None, message=f"template {exc.name} not found"
            ) from None

    def render_letter(self, name: str, context: Mapping[str, Any]) -> LetterParts:
        """Render the ``subject`` and ``body`` blocks of a letter template."""
        template = self.get(name)
        missing = [block for block in LETTER_BLOCKS if block not in template.blocks]
        if missing:
            raise TemplateError(
                template=name, line=None, message=f"missing block(s): {', '.join(missing)}"
            )
        jinja_context = template.new_context(dict(context))
        subject = self._guarded(name, lambda: "".join(template.blocks["subject"](jinja_context)))
        body = self._guarded(name, lambda: "".join(template.blocks["body"](jinja_context)))
        subject_text = " ".join(Markup(subject).striptags().split())
        return LetterParts(
            subject=french.typography(subject_text),
            body=Markup(french.typography_html(body)),
        )

    def render_page(self, name: str, context: Mapping[str, Any]) -> str:
        """Render a whole page template (an HTML layout)."""
        template = self.get(name)
        return french.typography_html(self._guarded(name, lambda: template.render(dict(context))))

    def _guarded(self, name: str, render: Callable[[], str]) -> str:
        """Run ``render``; any error becomes a TemplateError naming the template line."""
        try:
            return render()
        except TemplateError:
            raise
        except Exception as exc:  # a template boundary: any failure is the template's
            rewritten: BaseException = exc
            try:
                # Jinja rewrites the traceback so that its frames point at template lines.
                self.env.handle_exception()
            except BaseException as again:
                rewritten = again
            template, line = _template_position(rewritten.__traceback__, self.root, name)
            if isinstance(exc, RecursionError):
                message = "recursion too deep (a macro or include calls itself)"
            elif isinstance(exc, jinja2.TemplateError) and exc.message:
                message = exc.message
            else:
                message = f"{type(exc).__name__}: {exc}"
            raise TemplateError(template=template, line=line, message=message) from None


def _template_position(
    tb: TracebackType | None, root: Path, default: str
) -> tuple[str, int | None]:
    """The innermost traceback frame that is a template line, as (template name, line)."""
    found: tuple[str, int | None] = (default, None)
    root_text = str(root.resolve())
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root_text):
            found = (str(Path(filename).resolve().relative_to(root.resolve())), tb.tb_lineno)
        tb = tb.tb_next
    return found
