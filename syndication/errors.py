"""One exception hierarchy for the whole project.

The CLI turns a :class:`SyndicationError` into a one-line message and an exit code;
nothing else is expected to catch these broadly.

Every error is shown in the command line's language (issue #16). An error keeps its English message
*template* (``%(name)s`` placeholders) and the values that fill it::

    raise ConfigError("%(file)s: config file not found", file=path)
    raise InputError(where, "not UTF-8 (byte %(byte)s); save the file as UTF-8 CSV", byte=exc.start)

``str(exc)`` is the English text (logs, API answers and ``--json`` keep it); :meth:`SyndicationError.translated`
gives it in a :class:`syndication.i18n.Translator`'s language, as the CLI's error frame prints it. Values (keys,
paths, ``file:line``, field names, data, an OS's or a parser's own message) are inserted verbatim, never
translated; so are an :class:`InputError`'s ``where`` and ``field``. Babel extracts the templates by the
classes' names (``syndication.i18n.ERROR_KEYWORDS``); tests/test_errors.py fails when one is raised with a
message Babel cannot see (an f-string, a concatenation, a variable). docs/developers/translations.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2


class Words(Protocol):
    """What :meth:`SyndicationError.translated` needs of a translator (syndication.i18n.Translator)."""

    def gettext(self, message: str) -> str: ...


def fill(template: str, values: Mapping[str, object], words: Words | None = None) -> str:
    """``template`` with its ``%(name)s`` placeholders filled; without values the text as it is (a ``%`` in a
    message without placeholders stays). With ``words``, a value that is a message itself (a :class:`Message`,
    an error given as the cause) is shown in their language; every other value as it is."""
    if not values:
        return template
    if words is not None:
        values = {name: shown(value, words) for name, value in values.items()}
    return template % values


def shown(value: object, words: Words) -> object:
    """``value`` in ``words``' language when it is a message or an error (it has ``translated``); else as it is."""
    translated = getattr(value, "translated", None)
    return translated(words) if callable(translated) else value


class Message:
    """A message template and its values that is not an error itself: a part of one (a config problem of
    several, pydantic's expectation), translated with the error that holds it. ``str()`` is the English text."""

    def __init__(self, template: str, /, **values: object) -> None:
        self.template = template
        self.values = values

    def __str__(self) -> str:
        return fill(self.template, self.values)

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.template, self.values) == (other.template, other.values)

    def __hash__(self) -> int:
        return hash(self.template)

    def translated(self, words: Words) -> str:
        return fill(words.gettext(self.template), self.values, words)


def _restore(cls: type[SyndicationError], args: tuple[Any, ...], state: dict[str, Any]) -> SyndicationError:
    # Rebuilt without calling __init__, whose signature differs from class to class.
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class SyndicationError(Exception):
    """Base of every error this project raises on purpose."""

    exit_code = EXIT_SOME_FAILED

    def __init__(self, message: str = "", /, **values: object) -> None:
        self.template = message
        self.values = values
        super().__init__(fill(message, values))

    def translated(self, words: Words) -> str:
        """The message in ``words``' language (the values as they are)."""
        return fill(words.gettext(self.template), self.values, words) if self.template else str(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors travel back from worker processes; the default would call __init__ with the joined message.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class ConfigError(SyndicationError):
    """The configuration is missing, unreadable or invalid; nothing runs."""

    exit_code = EXIT_USAGE


class BadValue(SyndicationError, ValueError):
    """A configured value is wrong: raised by the settings' validators (a ValueError, as pydantic wants), so
    that the config error naming the key says what was expected in the command line's language."""

    exit_code = EXIT_USAGE


class UsageError(SyndicationError):
    """The command was called wrongly."""

    exit_code = EXIT_USAGE


class InputError(SyndicationError):
    """One input (a file, a URL, a CSV row, an event) is bad.

    ``where`` names the input (path, URL, ``file.csv:17``), ``field`` the part that is wrong.
    The rest of the work goes on; the caller collects these and reports them.
    ``reason`` is the English message without ``where`` and ``field``; :meth:`translated_reason` the same in
    another language.
    """

    def __init__(self, where: str, message: str, /, field: str | None = None, **values: object) -> None:
        super().__init__(message, **values)
        self.where = where
        self.field = field
        self.reason = fill(message, values)
        self.args = (self._prefix() + self.reason,)

    def _prefix(self) -> str:
        return f"{self.where}: {self.field}: " if self.field else f"{self.where}: "

    def translated_reason(self, words: Words) -> str:
        """The reason alone (no ``where``, no ``field``) in ``words``' language."""
        return fill(words.gettext(self.template), self.values, words) if self.template else self.reason

    def translated(self, words: Words) -> str:
        return self._prefix() + self.translated_reason(words)


class BadField(InputError):
    """One field of an input (a file's front matter, a post, a feed item) is wrong.

    Raised where only the field is known; the code that knows the input (its path or URL)
    reports it with :meth:`at`.
    """

    def __init__(self, field: str, message: str, /, **values: object) -> None:
        super().__init__("", message, field, **values)
        self.args = (f"{field}: {self.reason}",)

    def _prefix(self) -> str:
        return f"{self.field}: "

    def at(self, where: str) -> InputError:
        """This error, naming the input it is about."""
        return InputError(where, self.template, self.field, **self.values)


class SourceUnavailable(SyndicationError):
    """A source could not be read at all (server error, time-out, invalid answer)."""

    def __init__(self, where: str, message: str, /, **values: object) -> None:
        super().__init__(message, **values)
        self.where = where
        self.reason = fill(message, values)
        self.args = (f"{where}: {self.reason}",)

    def translated(self, words: Words) -> str:
        reason = fill(words.gettext(self.template), self.values, words) if self.template else self.reason
        return f"{self.where}: {reason}"


class TemplateError(SyndicationError):
    """A template failed to render or compile; names the template, line and cause."""


class DeliveryError(SyndicationError):
    """A delivery backend refused or failed a batch."""


class LockHeld(SyndicationError):
    """Another process holds the scheduler lock for this store."""

    exit_code = EXIT_USAGE
