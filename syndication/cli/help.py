"""``--help`` and click's usage errors in the command line's language.

The help texts stay where click wants them (a command's docstring, an option's ``help=``); Babel finds them
with :func:`syndication.i18n.extract_python_and_click_help` (babel.cfg), and the commands translate them when
the help is shown: :func:`translate_help` gives every command of the tree a subclass that looks each text up
in the catalog (the msgid is the text as click shows it, ``inspect.cleandoc``-ed).
"""

from __future__ import annotations

import copy
import gettext
import importlib
import inspect
import re
import sys
from functools import cache
from typing import Any

import click
from click.formatting import HelpFormatter

from syndication.cli.words import _, words
from syndication.i18n import N_

# click's own words in the help pages (the help and version options, headings), translated here.
CLICK_WORDS = (N_("Show this message and exit."), N_("Show the version and exit."))


def help_text(text: str | None) -> str:
    """A help text (docstring or ``help=``) in the command line's language; its msgid is the cleaned text."""
    if not text:
        return ""
    return words().gettext(inspect.cleandoc(text))


class TranslatedHelp(click.Command):
    """What every command of the tree gets (as a subclass of its own class): help pages in the CLI's language."""

    def format_usage(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage:") + " ")

    def format_help_text(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        text = help_text(self.help).partition("\f")[0]
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_options(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        rows = []
        for param in self.get_params(ctx):
            if isinstance(param, click.Argument):
                continue
            shown = copy.copy(param)
            shown.help = help_text(getattr(param, "help", None)) or None  # type: ignore[attr-defined]
            record = shown.get_help_record(ctx)
            if record is not None:
                rows.append((record[0], _extras(record[1])))
        if rows:
            with formatter.section(_("Options")):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        group: Any = self
        commands = [(name, group.get_command(ctx, name)) for name in group.list_commands(ctx)]
        shown = [(name, command) for name, command in commands if command is not None and not command.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in shown)
        with formatter.section(_("Commands")):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return help_text(self.short_help).strip()
        # click's own shortening (first sentence, at most ``limit`` characters), of the translated text.
        shown = copy.copy(self)
        shown.help = help_text(self.help)
        return click.Command.get_short_help_str(shown, limit)


def _extras(text: str) -> str:
    """click's notes after an option's help (``[default: 30; required]``) in the command line's language."""
    default, required = _("default:"), _("required")
    return re.sub(
        r"\[default: |(?<=[\[ ])required\]",
        lambda found: "[" + default + " " if found.group().startswith("[") else required + "]",
        text,
    )


@cache
def _translated(base: type[click.Command]) -> type[click.Command]:
    return type(f"Translated{base.__name__}", (TranslatedHelp, base), {})


def translate_help(command: click.Command) -> None:
    """Give ``command`` and every command under it help pages in the command line's language."""
    if not isinstance(command, TranslatedHelp):
        command.__class__ = _translated(type(command))
    if isinstance(command, click.Group):
        for child in command.commands.values():
            translate_help(child)


# click's modules that look messages up when they show them (each binds the stdlib's gettext/ngettext when
# imported). Not click.decorators: it looks up the help of the --help and --version options once, when a
# command is made, and click keeps that text; those stay the msgids, which the help pages translate when shown.
_CLICK_MODULES = (
    "core",
    "exceptions",
    "types",
    "parser",
    "formatting",
    "termui",
    "utils",
    "shell_completion",
    "_termui_impl",
)


def _click_gettext(message: str) -> str:
    return words().gettext(message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return words().ngettext(singular, plural, n)


def route_click_words() -> None:
    """click's own messages in the command line's language.

    click's modules bind the stdlib's ``gettext``/``ngettext`` when they are imported
    (``from gettext import gettext as _``) and look each message up when it is made, with its values filled
    in afterwards (``_("No such option: {name}").format(...)``). Pointing those names at the command line's
    translator translates every message click makes, in the language chosen at that moment, and the
    catalogs hold click's msgids (syndication/cli/click_messages.py). Chosen over rebuilding the messages
    from the exceptions' attributes (several, like "Got unexpected extra argument" or a bad choice, carry
    only the English text) and over the stdlib's global ``textdomain`` (it reads .mo files on disk and the
    POSIX variables, not SYNDICATION_LANGUAGE or the configured language). Only click's names are replaced,
    and only where they still are the stdlib's functions.
    """
    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a module an older or newer click does not have
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]


def show_click_error(error: click.ClickException) -> None:
    """click's ``show()`` in the command line's language: usage, where to find help, the error.

    click's own messages ("No such option: --x", "Did you mean", a bad choice) are translated as click makes
    them (:func:`route_click_words`); ours (a bad ``--kind``) where they are raised.
    """
    if type(error).show not in (click.ClickException.show, click.UsageError.show):
        # One that shows itself otherwise: `syndication digest` alone prints the group's (translated) help.
        error.show()
        return
    if isinstance(error, click.UsageError) and error.ctx is not None:
        context = error.ctx
        hint = ""
        if context.command.get_help_option(context) is not None:
            option = max(context.command.get_help_option_names(context), key=len)
            hint = _("Try '%(command)s %(option)s' for help.", command=context.command_path, option=option) + "\n"
        click.echo(f"{context.get_usage()}\n{hint}", file=sys.stderr, color=context.color)
    click.echo(_("Error: %(message)s", message=_click_message(error)), file=sys.stderr)


def _click_message(error: click.ClickException) -> str:
    if type(error) is click.MissingParameter and not error.message and error.param is not None:
        hint = error.param.get_error_hint(error.ctx)
        if isinstance(error.param, click.Argument):
            return _("Missing argument %(name)s.", name=hint)
        return _("Missing option %(name)s.", name=hint)
    if type(error) is click.BadParameter:
        hint = error.param_hint
        if hint is None and error.param is not None:
            hint = error.param.get_error_hint(error.ctx)
        if hint is not None:
            joined = hint if isinstance(hint, str) else " / ".join(repr(item) for item in hint)
            return _("Invalid value for %(option)s: %(message)s", option=joined, message=error.message)
    return error.format_message()
