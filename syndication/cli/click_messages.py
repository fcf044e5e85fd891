# ruff: noqa: E501 - click's messages, one msgid per line as click writes them
"""click's own messages, as msgids of our catalogs (generated from click's sources with Babel).

click writes its usage errors ("No such option", "Got unexpected extra argument", a bad choice or number…)
through the stdlib's ``gettext``; :func:`syndication.cli.help.route_click_words` sends those lookups to the
command line's translator, so the catalogs must hold click's msgids: they are listed here, where Babel finds
them (``make catalogs``). tests/cli/test_errors_language.py fails when the installed click has a msgid that is
not here; regenerate the list with :func:`click_msgids`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import click
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from syndication.i18n import N_


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural msgid pair for Babel (its ``ngettext`` keyword); click itself asks for the form."""
    return singular, plural


CLICK_MESSAGES: tuple[str | tuple[str, str], ...] = (
    N_("%(prog)s, version %(version)s"),
    N_("(dynamic)"),
    N_("Aborted!"),
    N_("Argument {name!r} takes {nargs} values."),
    N_("Arguments take exactly one parameter declaration, got {length}: {decls}."),
    N_("Boolean option {decl!r} cannot use the same flag for true/false."),
    N_("Choice({choices})"),
    N_("Choose from:\n	{choices}"),
    N_("Commands"),
    N_("Confirm the action without prompting."),
    N_("Could not determine name for option with declarations {decls!r}"),
    N_("Could not open file {filename!r}: {message}"),
    N_("Couldn't detect Bash version, shell completion is not supported."),
    N_("DeprecationWarning: The command {name!r} is deprecated.{extra_message}"),
    N_("DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}"),
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    N_("Do you want to continue?"),
    N_("Error: The two entered values do not match."),
    N_("Error: invalid input"),
    N_("Error: {message}"),
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    N_("Invalid start character for option ({option})"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Missing argument"),
    N_("Missing command."),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing parameter: {param_name}"),
    N_("Missing {param_type}"),
    N_("Name '{name}' defined twice"),
    N_(
        "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? Did you mean to pass '--{name}'?"
    ),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Option {name!r} does not take a value."),
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    N_("Options"),
    N_("Positional arguments"),
    N_("Press any key to continue..."),
    N_("Repeat for confirmation"),
    N_("Shell completion is not supported for Bash versions older than 4.4."),
    N_("Show the version and exit."),
    N_("Show this message and exit."),
    ngettext("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."),
    N_("Try '{command} {option}' for help."),
    N_("Unknown color {colour!r}"),
    N_("Unknown standard stream '{name}'"),
    N_("Usage:"),
    N_("Value must be an iterable."),
    N_("Windows error: {error}"),
    N_("d"),
    N_("default: {default}"),
    N_("deprecated"),
    N_("directory"),
    N_("env var: {var}"),
    N_("file"),
    N_("path"),
    N_("unknown error"),
    N_("{editor}: Editing failed"),
    N_("{editor}: Editing failed: {e}"),
    ngettext(
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is not executable."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    ngettext("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."),
    N_("{value!r} is not a valid UUID."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{value!r} is not a valid {number_type}."),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    N_("{value} is not in the range {range}."),
)


def click_msgids() -> Iterator[str | tuple[str, str]]:
    """The msgids in the installed click's sources (Babel's extraction, its default keywords)."""
    folder = os.path.dirname(click.__file__)
    for _file, _line, message, _comments, _context in extract_from_dir(
        folder, method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS
    ):
        yield message
