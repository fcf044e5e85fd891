"""Email rendering: Jinja2 first (the one environment of :mod:`syndication.templates`), MJML after.

Pure: renders strings from templates and values; never touches the network or writes files.
Every failure becomes a :class:`TemplateError` naming the template, the line and the cause.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mjml

from syndication.errors import TemplateError
from syndication.html import strip_xml_invalid
from syndication.mail.base import MessageBody
from syndication.paths import TEMPLATES_DIR, template_search_path
from syndication.templates import render_template, template_exports

if TYPE_CHECKING:
    from syndication.config import Settings

# No web fonts by default: system fonts render instantly, need no request and look native.
SYSTEM_FONT_STACK = "-apple-system, Segoe UI, Helvetica, Arial, sans-serif"
WEB_FONT_NAME = "Lato"
WEB_FONT_URL = "https://fonts.googleapis.com/css2?family=Lato:wght@400;700&display=swap"
PREHEADER_SPACER = 12


_MJ_TAG = re.compile(r"<(/?)(mj-[a-z-]+|mjml)\b[^>]*?(/?)>")
# Tags whose content MJML treats as raw HTML: nesting inside them is not checked.
_RAW_CONTENT = {"mj-text", "mj-raw", "mj-button", "mj-style", "mj-title", "mj-preview", "mj-table"}


def _locate_mjml_problem(source: str) -> tuple[int, str] | None:
    """Line and description of the first unbalanced MJML tag in ``source``, if any."""
    stack: list[tuple[str, int]] = []
    for match in _MJ_TAG.finditer(source):
        closing, name, self_closing = match.group(1), match.group(2), match.group(3)
        line = source.count("\n", 0, match.start()) + 1
        if self_closing:
            continue
        if not closing:
            if stack and stack[-1][0] in _RAW_CONTENT:
                return line, f"<{name}> inside <{stack[-1][0]}> opened on line {stack[-1][1]}"
            stack.append((name, line))
            continue
        if not stack:
            return line, f"</{name}> closes nothing"
        opened, opened_line = stack.pop()
        if opened != name:
            return line, f"</{name}> closes <{opened}> opened on line {opened_line}"
    if stack:
        opened, opened_line = stack[-1]
        return opened_line, f"<{opened}> is never closed"
    return None


def compile_mjml(source: str, template_name: str, *, web_fonts: bool = False) -> str:
    """MJML → HTML. The only place mjml2html is called."""
    fonts = {WEB_FONT_NAME: WEB_FONT_URL} if web_fonts else {}
    try:
        return mjml.mjml2html(source, disable_comments=False, fonts=fonts)
    except Exception as exc:
        problem = _locate_mjml_problem(source)
        if problem:
            line, what = problem
            raise TemplateError(
                "template %(template_name)s, line %(line)s of its rendered MJML: %(what)s (MJML: %(exc)s)",
                template_name=template_name,
                line=line,
                what=what,
                exc=exc,
            ) from exc
        raise TemplateError(
            "template %(template_name)s: MJML could not be compiled: %(exc)s", template_name=template_name, exc=exc
        ) from exc


def layout_context(settings: Settings, *, locale: str | None = None, **values: Any) -> dict[str, Any]:
    """What the base layout needs; every personal or optional part defaults to None.

    ``lang`` is ``locale`` (a newsletter's or a reader's language), else ``[site] language``: the
    templates' words and dates are in it (:func:`syndication.templates.render_template`).
    """
    digest = settings.digest
    context: dict[str, Any] = {
        "site": settings.site,
        "lang": locale or settings.site.language,
        "font_family": f"{WEB_FONT_NAME}, {SYSTEM_FONT_STACK}" if digest.web_fonts else SYSTEM_FONT_STACK,
        "title": settings.site.name,
        "preheader": "",
        # Repetitions of the preheader's spacer (&#847;&zwnj;&nbsp;): enough for a preview line, no more.
        "preheader_spacer": PREHEADER_SPACER,
        "edition_title": None,
        "edition_date": None,
        "greeting": None,
        "unsubscribe_url": None,
        "preferences_url": None,
        "view_in_browser_url": None,
        "archive_url": None,
        "archive_index_url": None,
        "tracking_pixel_url": None,
        "footer_note": None,
        # Public pages (the archive) invite to subscribe; mails go to subscribers and do not.
        "subscribe_url": None,
        "head_extra": None,
    }
    context.update(values)
    return context


def render_mjml_pair(
    template_name: str,
    context: Mapping[str, Any],
    settings: Settings,
    *,
    text_context: Mapping[str, Any] | None = None,
    search_path: tuple[Path, ...] = (TEMPLATES_DIR,),
    locale: str | None = None,
) -> MessageBody:
    """Render ``email/<name>.mjml.j2`` and ``email/<name>.txt.j2`` into a MessageBody.

    Words are translated while Jinja renders, before MJML compiles: each language compiles once.
    ``locale``: the mail's language (else the context's ``lang``, else ``[site] language``).

    The subject is the context's ``subject``, else the template's top-level
    ``{% set subject = … %}``. ``text_context`` overrides values for the plain-text part
    only (e.g. a greeting placeholder that is not HTML-escaped).
    """
    mjml_name = f"email/{template_name}.mjml.j2"
    text_name = f"email/{template_name}.txt.j2"
    full = layout_context(settings, **context)
    if locale:
        full["lang"] = locale
    language = full["lang"]
    subject = full.get("subject") or template_exports(mjml_name, full, search_path, language).get("subject")
    if not subject:
        raise TemplateError(
            "template %(mjml_name)s: no subject: set one with {%% set subject = '…' %%}", mjml_name=mjml_name
        )
    # Control characters in article texts would make MJML refuse the whole message.
    full["subject"] = " ".join(strip_xml_invalid(str(subject)).split())
    source = strip_xml_invalid(render_template(mjml_name, full, search_path, language))
    html = compile_mjml(source, mjml_name, web_fonts=settings.digest.web_fonts)
    text = strip_xml_invalid(render_template(text_name, {**full, **(text_context or {})}, search_path, language))
    return MessageBody(subject=full["subject"], html=html, text=text)


def render_transactional(
    template_name: str,
    context: Mapping[str, Any],
    settings: Settings,
    *,
    search_path: tuple[Path, ...] = (TEMPLATES_DIR,),
    locale: str | None = None,
) -> MessageBody:
    """A confirmation/welcome-style mail in the digest layout, in ``locale`` (else ``[site] language``).

    ``template_name`` is e.g. ``"confirm"`` for ``templates/email/confirm.mjml.j2`` (+ ``.txt.j2``).
    The context may set any layout value (``preheader``, ``unsubscribe_url``, ``preferences_url``,
    ``greeting``, ``footer_note``…) plus whatever the template itself uses.
    """
    return render_mjml_pair(
        template_name, context, settings, search_path=template_search_path(settings, search_path), locale=locale
    )
