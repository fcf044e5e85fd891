"""Translations: every word a reader or an operator sees comes from a gettext catalog, through Babel.

Usage (any module that shows words to people — mails, pages, the console, CLI messages)::

    from syndication.i18n import N_, translator

    words = translator(settings.site.language)      # "de", "en", "de-DE", "en_GB"… (unknown → English)
    words.gettext("Unsubscribe")                     # "Abbestellen" with "de"
    words.ngettext("%(num)s more article", "%(num)s more articles", n) % {"num": words.format_number(n)}
    words.format_date(day, "full")                   # "Dienstag, 24. November 2026"

    TITLE = N_("Newsletter archive")                 # a module constant: marked for extraction only,
    words.gettext(TITLE)                             # translated where it is shown

Errors (:mod:`syndication.errors`) carry an English template and its values; ``error.translated(words)`` gives
the text in ``words``' language. Babel finds their templates by the classes' names (:data:`ERROR_KEYWORDS`).

Templates rendered by :mod:`syndication.templates` have ``{% trans %}…{% endtrans %}``, ``_()``,
``gettext`` and ``ngettext`` (Jinja's i18n extension, new style: ``_("Hello %(name)s", name=x)``), in the
locale of the render (``locale=`` or the context's ``lang``).

msgids are English; ``syndication/locale/<lang>/LC_MESSAGES/messages.po`` hold the catalogs (``de`` translates
every msgid, ``en`` lists every msgid, its empty msgstr meaning "the msgid itself"). The ``.po`` files are
compiled when first used (in memory, cached), so a wheel needs no build step and no ``.mo`` can go stale.
After adding a string: ``make catalogs`` (``pybabel extract -F babel.cfg`` + ``pybabel update``), translate
the new German entries, and ``tests/test_i18n.py`` checks that no msgid is missing or untranslated.
See docs/developers/translations.md.
"""

from __future__ import annotations

import ast
import inspect
import io
import os
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from functools import cache
from pathlib import Path
from typing import IO, Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
# The language of the msgids: a locale without a catalog falls back to it.
SOURCE_LOCALE = "en"
# The command line's language: this variable, else the configured [site] language, else the POSIX locale
# variables (in gettext's order), else English (cli_locale).
LANGUAGE_VARIABLE = "SYNDICATION_LANGUAGE"
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# Web pages: the reader's choice of language (``?lang=xx``) is remembered in this cookie.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def N_(message: str) -> str:
    """Marks ``message`` for extraction without translating it (module constants; translate where shown)."""
    return message


def catalog_path(locale: str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


@cache
def available_locales() -> tuple[str, ...]:
    """The languages that have a catalog, e.g. ``("de", "en")``."""
    return tuple(sorted(path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def normalise(locale: str | None) -> str:
    """The catalog for ``locale``: ``"de-DE"``/``"de_AT"`` → ``"de"``; no catalog (or nonsense) → English."""
    if not locale:
        return SOURCE_LOCALE
    wanted = locale.strip().replace("-", "_")
    available = available_locales()
    if wanted in available:
        return wanted
    try:
        language = Locale.parse(wanted).language
    except (ValueError, UnknownLocaleError):
        return SOURCE_LOCALE
    return language if language in available else SOURCE_LOCALE


@cache
def translations(locale: str, domain: str = DOMAIN) -> NullTranslations:
    """The compiled catalog of ``locale`` (normalised first) in ``domain`` (``messages``; the console may keep
    its own); fuzzy entries are left out, as msgfmt does. No catalog: the msgids (English)."""
    name = normalise(locale)
    path = catalog_path(name, domain)
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=name, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


@dataclass(frozen=True)
class Translator:
    """Words, numbers and dates in one locale."""

    locale: str

    @property
    def _catalog(self) -> NullTranslations:
        return translations(self.locale)

    def gettext(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._catalog.pgettext(context, message)

    def format_number(self, value: float) -> str:
        """``1234`` → ``"1.234"`` in German, ``"1,234"`` in English."""
        return format_decimal(value, locale=self.locale)

    def format_date(self, value: date | datetime, format: str = "long") -> str:
        """``"full"``: „Dienstag, 24. November 2026“; ``"long"``: „24. November 2026“."""
        return format_date(value, format=format, locale=self.locale)

    def format_datetime(self, value: datetime, format: str = "medium", zone: tzinfo | None = None) -> str:
        return format_datetime(value, format=format, tzinfo=zone, locale=self.locale)

    def format_time(self, value: time | datetime, format: str = "short") -> str:
        return format_time(value, format=format, locale=self.locale)


@cache
def translator(locale: str | None) -> Translator:
    """The :class:`Translator` for ``locale`` (normalised: a locale without a catalog speaks English)."""
    return Translator(normalise(locale))


_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def accept_language(header: str | None) -> list[str]:
    """The languages of an ``Accept-Language`` header (RFC 9110), most preferred first; ``q=0`` left out.

    Written here because neither Babel nor Starlette parses the header (Werkzeug does, but is not a dependency).
    """
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")[:32]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if quality > 0 and match.group(1) != "*":
            ranked.append((-quality, position, match.group(1).replace("-", "_")))
    return [language for _, _, language in sorted(ranked)]


def _catalog_for(tag: str) -> str | None:
    """The catalog for a language tag (``en-GB`` → ``en``), None when there is none."""
    wanted = tag.strip().replace("-", "_")
    available = available_locales()
    if wanted in available:
        return wanted
    try:
        locale = Locale.parse(wanted)
    except (ValueError, UnknownLocaleError):
        return None
    for name in (str(locale), locale.language):
        if name in available:
            return name
    return None


def negotiate(header: str | None, default: str) -> str:
    """The best catalog for an ``Accept-Language`` header; ``default`` when none of its languages has one."""
    for language in accept_language(header):
        found = _catalog_for(language)
        if found:
            return found
    return normalise(default)


def page_locale(choice: str | None, header: str | None, default: str) -> str:
    """A web page's language: the reader's ``choice`` (``?lang=``, or the one remembered) when it has a
    catalog, else the best of the ``Accept-Language`` ``header``, else ``default`` (the site's language)."""
    found = _catalog_for(choice) if choice else None
    return found or negotiate(header, default)


def language_name(locale: str) -> str:
    """The language's name in itself: „Deutsch“, „English“ (for a language switch)."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


def cli_locale(environ: Mapping[str, str] | None = None, site_language: str | None = None) -> str:
    """The command line's language, as mature command-line tools choose it.

    ``SYNDICATION_LANGUAGE`` (``de``, ``en``…) first; else ``site_language`` (the ``[site] language`` a loaded
    configuration names itself, not its built-in default); else the POSIX locale variables in gettext's order,
    ``LANGUAGE`` (a colon-separated list), ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` (the first one set decides;
    ``C``/``POSIX`` and languages without a catalog are English); else English.
    """
    env = os.environ if environ is None else environ
    chosen = env.get(LANGUAGE_VARIABLE, "").strip()
    if chosen:
        return normalise(chosen)
    if site_language:
        return normalise(site_language)
    for name in LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if not value:
            continue
        for entry in value.split(":") if name == "LANGUAGE" else (value,):
            # "de_DE.UTF-8@euro" → "de_DE"; "C" and "POSIX" mean no translation.
            tag = entry.split(".", 1)[0].split("@", 1)[0]
            if tag in ("C", "POSIX", ""):
                return SOURCE_LOCALE
            found = _catalog_for(tag)
            if found:
                return found
        return SOURCE_LOCALE
    return SOURCE_LOCALE


def cli_translator(environ: Mapping[str, str] | None = None, site_language: str | None = None) -> Translator:
    """The command line's words in :func:`cli_locale`'s language (docs/developers/translations.md)."""
    return translator(cli_locale(environ, site_language))


# The errors whose message Babel extracts (syndication.errors): the class's name and the position of the
# message template among its arguments, as Babel writes keyword specs. tests/test_errors.py checks that every
# subclass of SyndicationError is named here and raised with a template Babel can see.
ERROR_KEYWORDS: Mapping[str, tuple[int, ...]] = {
    "SyndicationError": (1,),
    "ConfigError": (1,),
    "UsageError": (1,),
    "TemplateError": (1,),
    "DeliveryError": (1,),
    "LockHeld": (1,),
    "BadValue": (1,),
    # A part of an error's message (syndication.errors.Message).
    "Message": (1,),
    "InputError": (2,),
    "BadField": (2,),
    "SourceUnavailable": (2,),
    "AlreadySubscribed": (2,),
    "AddressSuppressed": (2,),
    "UnknownSegment": (2,),
    "InvalidCursor": (2,),
    "TotpUnreadable": (1,),
}


def extract_python_and_errors(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str | None, str | list[str | None], list[str]]]:
    """Babel's Python extraction, plus the message templates of the errors raised (:data:`ERROR_KEYWORDS`).

    The error classes are not passed as ``pybabel -k`` keywords, so that ``pybabel extract -F babel.cfg`` alone
    (and tests/test_i18n.py) sees them; a template is yielded as a plain message.
    """
    # Babel hands in the keywords' names only (its own specs are applied to what is yielded).
    for lineno, funcname, messages, comments in extract_python(  # type: ignore[arg-type]
        fileobj, {*ERROR_KEYWORDS, *keywords}, comment_tags, options
    ):
        if funcname in ERROR_KEYWORDS and funcname not in keywords:
            found = messages if isinstance(messages, list | tuple) else [messages]
            position = ERROR_KEYWORDS[funcname][0] - 1
            if position < len(found) and isinstance(found[position], str) and found[position]:
                yield lineno, None, found[position], comments  # type: ignore[misc]
        else:
            yield lineno, funcname, messages, comments


def extract_errors(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str | None, str | list[str | None], list[str]]]:
    """Only the errors' templates (the console's modules: their other words are in the console's domain)."""
    for lineno, funcname, messages, comments in extract_python_and_errors(fileobj, keywords, comment_tags, options):
        if funcname is None:
            yield lineno, funcname, messages, comments


_CLICK_DECORATORS = frozenset({"command", "group"})


def extract_python_and_click_help(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel's Python extraction, plus the help texts click shows (babel.cfg maps syndication/cli/ here).

    A command's help is its docstring, an option's its ``help=``; they stay plain strings because click reads
    them when the module is imported, and syndication.cli.help translates them when --help is shown. The msgid
    is the text as click shows it (``inspect.cleandoc``).
    """
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python_and_errors(fileobj, keywords, comment_tags, options)  # type: ignore[misc]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute | ast.Name)
            and (getattr(decorator.func, "attr", None) or getattr(decorator.func, "id", None)) in _CLICK_DECORATORS
            for decorator in node.decorator_list
        ):
            docstring = ast.get_docstring(node, clean=True)
            if docstring:
                yield node.lineno, None, docstring, []
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in ("help", "short_help") and isinstance(keyword.value, ast.Constant) \
                        and isinstance(keyword.value.value, str):
                    yield keyword.value.lineno, None, inspect.cleandoc(keyword.value.value), []
