"""The one Jinja environment: mails, the home page, the archive and the subscriber pages.

Templates are looked up along a search path (the publisher's ``[site] templates_dir`` first, see
:func:`syndication.paths.template_search_path`, then the bundled ``templates/``). Everything is
autoescaped but plain-text parts (``*.txt.j2``); undefined values are errors. Every failure
becomes a :class:`TemplateError` naming the template, the line and the cause.

Words come from the gettext catalogs of :mod:`syndication.i18n` (Jinja's i18n extension, new style:
``{% trans %}…{% endtrans %}``, ``_("…")``, ``ngettext``). A render is in one locale: the ``locale``
argument, else the context's ``lang`` (``layout_context`` sets the site's), else German; there is one
environment per search path and locale, so each language's templates compile once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from syndication.errors import TemplateError
from syndication.i18n import translations, translator
from syndication.paths import TEMPLATES_DIR

# The language of a render that names none (the default of ``[site] language``).
DEFAULT_LOCALE = "de"


def german_date(value: date | datetime, locale: str = "de") -> str:
    """„Dienstag, 24. November 2026“."""
    return format_date(value, format="full", locale=locale)


def short_date(value: date | datetime, locale: str = "de") -> str:
    """„24. November 2026“."""
    return format_date(value, format="long", locale=locale)


def local_time(value: datetime, zone: Any, locale: str = "de") -> str:
    """„24.11.2026, 06:00“ in ``zone``."""
    return format_datetime(value.astimezone(zone), format="dd.MM.yyyy, HH:mm", locale=locale)


def number(value: float, locale: str = DEFAULT_LOCALE) -> str:
    """„1.234“ in German, „1,234“ in English."""
    return format_decimal(value, locale=locale)


def render_locale(locale: str | None, context: Mapping[str, Any]) -> str:
    """The catalog a render uses: ``locale``, else the context's ``lang``, else German (normalised)."""
    return translator(locale or context.get("lang") or DEFAULT_LOCALE).locale


def _autoescape(name: str | None) -> bool:
    # Plain-text parts must not carry HTML entities; everything else is markup.
    return not (name or "").endswith(".txt.j2")


@lru_cache(maxsize=32)
def make_environment(
    search_path: tuple[Path, ...] = (TEMPLATES_DIR,), locale: str = DEFAULT_LOCALE
) -> jinja2.Environment:
    """The Jinja environment for email and web templates in one locale (cached per search path and locale).

    Tests put a folder of their own templates before the project's ``templates/``.
    """
    environment = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.FileSystemLoader([str(folder) for folder in search_path]),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    environment.filters["german_date"] = german_date
    environment.filters["short_date"] = short_date
    environment.filters["local_time"] = local_time
    environment.filters["number"] = number
    return environment


def _template_line(
    exc: BaseException, fallback: str, search_path: tuple[Path, ...] = (TEMPLATES_DIR,)
) -> tuple[str, int | None]:
    """The template file and line where a runtime Jinja error happened.

    Jinja rewrites the traceback so that template frames carry the template's file name
    and line in ``tb_lineno`` (``traceback.extract_tb`` would recompute the generated
    code's line on Python 3.11, so the traceback is walked by hand).
    """
    found: tuple[str, int] | None = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return fallback, None
    path = Path(found[0]).resolve()
    for root in search_path:
        if path.is_relative_to(root.resolve()):
            return path.relative_to(root.resolve()).as_posix(), found[1]
    return found[0], found[1]


def template_error(
    exc: Exception, template_name: str, search_path: tuple[Path, ...] = (TEMPLATES_DIR,)
) -> TemplateError:
    """A TemplateError saying which template, which line and what went wrong."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.name or template_name
        return TemplateError(
            "template %(name)s, line %(lineno)s: %(problem)s", name=name, lineno=exc.lineno, problem=exc.message
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return TemplateError(
            "template %(template_name)s: template not found: %(name)s", template_name=template_name, name=exc.name
        )
    name, line = _template_line(exc, template_name, search_path)
    where = f"template {name}, line {line}" if line else f"template {name}"
    cause = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    return TemplateError("%(place)s: %(kind)s: %(cause)s", place=where, kind=type(exc).__name__, cause=cause)


def render_template(
    template_name: str,
    context: Mapping[str, Any],
    search_path: tuple[Path, ...] = (TEMPLATES_DIR,),
    locale: str | None = None,
) -> str:
    """Render one Jinja template in ``locale`` (else the context's ``lang``); any failure is a TemplateError
    naming template and line. An explicit ``locale`` is also the ``lang`` the template sees (dates, numbers)."""
    environment = make_environment(search_path, render_locale(locale, context))
    if locale:
        context = {**context, "lang": locale}
    try:
        return environment.get_template(template_name).render(context)
    except Exception as exc:
        raise template_error(exc, template_name, search_path) from exc


def template_exports(
    template_name: str,
    context: Mapping[str, Any],
    search_path: tuple[Path, ...] = (TEMPLATES_DIR,),
    locale: str | None = None,
) -> dict[str, Any]:
    """Top-level ``{% set %}`` values of a template (e.g. its ``subject``), in ``locale`` as for a render."""
    environment = make_environment(search_path, render_locale(locale, context))
    if locale:
        context = {**context, "lang": locale}
    try:
        module = environment.get_template(template_name).make_module(dict(context))
    except Exception:
        # make_module does not rewrite the traceback to template lines; handle_exception does.
        try:
            environment.handle_exception()
        except Exception as rewritten:
            raise template_error(rewritten, template_name, search_path) from rewritten
    return {key: getattr(module, key) for key in dir(module) if not key.startswith("_")}
