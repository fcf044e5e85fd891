"""The command line's words: every message a command prints comes from the gettext catalogs through here.

Usage in a command module (Babel extracts ``_`` and ``ngettext``; ``make catalogs``)::

    from syndication.cli.words import _, ngettext

    click.echo(_("wrote %(path)s", path=path))
    click.echo(ngettext("%(num)s subscriber", "%(num)s subscribers", count))   # num: the count, as Babel writes it

The language is :func:`syndication.i18n.cli_locale`'s: ``SYNDICATION_LANGUAGE``, else the ``[site] language``
the loaded config.toml names, else the POSIX locale variables, else English. ``--json`` output is never
translated.
"""

from __future__ import annotations

from contextvars import ContextVar

import click

from syndication.config import Settings
from syndication.errors import shown
from syndication.i18n import N_, Translator, cli_translator

# The configured [site] language of the command being run; set by the root command once settings are loaded,
# read also by the error frame in syndication.cli.main after click's context is gone.
_SITE_LANGUAGE: ContextVar[str | None] = ContextVar("syndication_cli_site_language", default=None)


def configured_language(settings: Settings | None) -> str | None:
    """``[site] language`` when the configuration names it (file or environment); None for the built-in default."""
    if settings is None or "language" not in settings.site.model_fields_set:
        return None
    return settings.site.language


def use_settings(settings: Settings | None) -> None:
    """The command's settings are loaded (or, None, not yet): their configured language counts from now on."""
    _SITE_LANGUAGE.set(configured_language(settings))


def words() -> Translator:
    """The translator of the command line, in the language chosen now."""
    return cli_translator(site_language=_SITE_LANGUAGE.get())


def _(msgid: str, /, **values: object) -> str:
    """``msgid`` translated; ``%(name)s`` placeholders filled from ``values`` when there are any."""
    text = words().gettext(msgid)
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, /, **values: object) -> str:
    """The form for ``num`` translated, ``%(num)s`` filled with ``num`` as the language writes numbers."""
    translator = words()
    return translator.ngettext(singular, plural, num) % {"num": translator.format_number(num), **values}


def problem(error: object) -> str:
    """An error (or a part of one, a :class:`syndication.errors.Message`) in the command line's language: its
    template translated, its values (keys, paths, data) as they are. Anything else as ``str()`` shows it."""
    return str(shown(error, words()))


def number(value: float) -> str:
    """``1234`` → „1.234“ in German, "1,234" in English."""
    return words().format_number(value)


# Values the tables show (a subscriber's status and frequency, an article's status), in the reader's words;
# options and --json keep the values themselves.
VALUES = {
    "pending": N_("pending"),
    "active": N_("active"),
    "unsubscribed": N_("unsubscribed"),
    "bounced": N_("bounced"),
    "complained": N_("complained"),
    "daily": N_("daily"),
    "weekly": N_("weekly"),
    "published": N_("published"),
    "retracted": N_("retracted"),
}


def value(shown: str) -> str:
    """A known value (``"active"``) in the command line's language; any other as it is."""
    return _(VALUES[shown]) if shown in VALUES else shown


class WholeNumber(click.IntRange):
    """An integer option (bounds optional) whose type name, which click puts into its messages ("'x' is not a
    valid integer range.") and help (``INTEGER RANGE``), is in the command line's language: click reads the
    name from the type when it makes the message, so it is a property here, not click's English constant."""

    @property  # type: ignore[override]
    def name(self) -> str:
        bounded = self.min is not None or self.max is not None
        return words().gettext(N_("integer range") if bounded else N_("integer"))
