"""The sandboxed Jinja2 environment every template runs in, and its preflight.

Templates are written by reviewers and receive data from partners' files:
they run in Jinja's immutable sandbox (no access to Python internals), with
autoescaping (a field holding ``<img src=…>`` or ``{{ 7*7 }}`` prints as
text), undefined variables as errors, and a loader confined to ``templates/``.

The sandbox stops what reaches Python, not what runs long: a reviewer's
nested loop, a macro that calls itself, or ``'x' * 10**9`` would hang or
exhaust a batch. Each render therefore has a time budget (checked on every
template line), numbers given to operators and filters are bounded, and a
template that once overran its budget is not run again in the same process:
its letters are refused at once, each with the template and line.
"""

from __future__ import annotations

import functools
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from pexmail.errors import TemplateBudgetError, TemplateError
from pexmail.render import french
from pexmail.render.body import Block, parse_body

LETTER_BLOCKS = ("subject", "body")

# A letter renders in milliseconds; a template still running after this is looping.
TIME_BUDGET_SECONDS = 5.0
# No letter needs a text, a repetition or a field width anywhere near these.
MAX_OUTPUT_CHARS = 1_000_000
MAX_NUMBER_ARGUMENT = 100_000  # also Jinja's own cap on range()
MAX_EXPONENT = 64
# A width or precision of six digits or more, in a %-format or a {}-format spec.
_FORMAT_WIDTH = re.compile(r"%[-+ #0*]*\d{6,}|%[-+ #0*]*\d*\.\d{6,}|\{[^{}]*:[^{}]*\d{6,}")


class _BudgetExceeded(BaseException):
    """Raised inside a template frame by the timer or tracer; becomes a TemplateBudgetError.

    A BaseException, so that no ``except Exception`` on the way swallows it."""


def _check_size(value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER_ARGUMENT:
        raise SecurityError(f"number {value} is over the limit of {MAX_NUMBER_ARGUMENT}")


def _check_format(text: object) -> None:
    if isinstance(text, str) and _FORMAT_WIDTH.search(text):
        raise SecurityError("a format width or precision is over the limit")


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose arguments (not the value it filters) are size-checked."""

    @functools.wraps(function)  # keeps jinja's pass_context/pass_eval_context marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        skip = 2 if getattr(function, "jinja_pass_arg", None) is not None else 1
        for value in (*args[skip:], *kwargs.values()):
            _check_size(value)
        return function(*args, **kwargs)

    return bounded


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with bounded arithmetic and calls."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent over the limit of {MAX_EXPONENT}")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(count, int)
                    and len(sequence) * count > MAX_OUTPUT_CHARS
                ):
                    raise SecurityError("repetition over the size limit")
        if operator == "%":
            _check_format(left)
        return super().call_binop(context, operator, left, right)

    def call(
        __self,  # jinja's signature: `self` may be passed as a keyword argument
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        for value in (*args, *kwargs.values()):
            _check_size(value)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # ``'{:>99999999}'.format(x)``: the format string is checked when reached.
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(getattr(value, "__self__", None))
        return wrapped


def make_environment(template_root: Path) -> ImmutableSandboxedEnvironment:
    env = _Sandbox(
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
    for name, function in list(env.filters.items()):
        env.filters[name] = _bounded_filter(function)
    format_filter = env.filters["format"]

    def bounded_format(value: Any, *args: Any, **kwargs: Any) -> Any:
        _check_format(value)
        return format_filter(value, *args, **kwargs)

    env.filters["format"] = bounded_format
    return env


class _Budget:
    """Stops a render that runs past its deadline, at the template line it is on.

    In the main thread an interval timer (SIGALRM) interrupts the render: no
    cost while it runs. Elsewhere (worker threads), or when the host already
    uses that timer, a trace function for this thread only counts the lines run
    in compiled templates (their code objects carry the template's file name)
    and checks the clock; Jinja's runtime and the filters run untraced (their
    work is bounded by the size checks).
    """

    def __init__(self, root: str, seconds: float) -> None:
        self.root = root
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.lines = 0
        self.previous_handler: Any = None
        self.previous_trace: Any = None

    def __enter__(self) -> _Budget:
        if _timer_available():
            self.previous_handler = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        else:
            self.previous_trace = sys.gettrace()
            sys.settrace(self._call)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous_handler is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous_handler)
        else:
            sys.settrace(self.previous_trace)

    def _alarm(self, signum: int, frame: FrameType | None) -> None:
        raise _BudgetExceeded

    def _call(self, frame: FrameType, event: str, arg: Any) -> Any:
        return self._line if frame.f_code.co_filename.startswith(self.root) else None

    def _line(self, frame: FrameType, event: str, arg: Any) -> Any:
        # Reading the clock on every line would double the cost of a render.
        self.lines += 1
        if not self.lines & 0x3F and time.monotonic() > self.deadline:
            raise _BudgetExceeded
        return self._line


def _timer_available() -> bool:
    """SIGALRM is ours to use: main thread, POSIX, and no one else's timer or handler set."""
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
    )


@dataclass(frozen=True)
class LetterParts:
    """A letter's text, rendered: what every layout and engine prints."""

    subject: str  # plain text
    body: Markup  # HTML fragment in the letter subset (see body.py)

    @functools.cached_property
    def blocks(self) -> tuple[Block, ...]:
        """The body parsed into blocks, once for every engine and check (raises BodyError)."""
        return parse_body(str(self.body))


class Templates:
    """Compiled templates of one catalogue, loaded once per process."""

    def __init__(self, template_root: Path) -> None:
        self.root = template_root
        self.env = make_environment(template_root)
        self.time_budget = TIME_BUDGET_SECONDS
        self.runaway: dict[str, TemplateBudgetError] = {}  # template → how it overran

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
        """Run ``render`` within the budget; any error becomes a TemplateError naming the line."""
        if name in self.runaway:
            raise self.runaway[name]
        try:
            with _Budget(str(self.root.resolve()), self.time_budget):
                text = render()
        except TemplateError:
            raise
        except (Exception, _BudgetExceeded) as exc:  # a template boundary: any failure is its own
            raise self._located(name, exc) from None
        if len(text) > MAX_OUTPUT_CHARS:
            error = TemplateBudgetError(
                template=name,
                line=None,
                message=f"the text is over {MAX_OUTPUT_CHARS} characters (a runaway loop?)",
            )
            self.runaway[name] = error
            raise error
        return text

    def _located(self, name: str, exc: BaseException) -> TemplateError:
        rewritten: BaseException = exc
        try:
            # Jinja rewrites the traceback so that its frames point at template lines.
            self.env.handle_exception()
        except BaseException as again:
            rewritten = again
        template, line = _template_position(rewritten.__traceback__, self.root, name)
        if isinstance(exc, _BudgetExceeded):
            error = TemplateBudgetError(
                template=template,
                line=line,
                message=f"still running after {self.time_budget:g} s (a loop that never ends, "
                "or too much work): stopped, and not run again in this batch",
            )
            self.runaway[name] = error
            return error
        if isinstance(exc, RecursionError):
            message = "recursion too deep (a macro or include calls itself)"
        elif isinstance(exc, SecurityError):
            message = f"not allowed in a template: {exc}"
        elif isinstance(exc, jinja2.TemplateError) and exc.message:
            message = exc.message
        else:
            message = f"{type(exc).__name__}: {exc}"
        return TemplateError(template=template, line=line, message=message)


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
