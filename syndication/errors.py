"""One exception hierarchy for the whole project.

The CLI turns a :class:`SyndicationError` into a one-line message and an exit code;
nothing else is expected to catch these broadly.

The message is shown as it was raised: a command raises it in the command line's language
(``syndication.cli.words``); the library's own (a config key, an input's field) stay English, as they name
keys and values as written and also go into logs (docs/developers/translations.md).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2


class SyndicationError(Exception):
    """Base of every error this project raises on purpose."""

    exit_code = EXIT_SOME_FAILED


class ConfigError(SyndicationError):
    """The configuration is missing, unreadable or invalid; nothing runs."""

    exit_code = EXIT_USAGE


class UsageError(SyndicationError):
    """The command was called wrongly."""

    exit_code = EXIT_USAGE


class InputError(SyndicationError):
    """One input (a file, a URL, a CSV row, an event) is bad.

    ``where`` names the input (path, URL, ``file.csv:17``), ``field`` the part that is wrong.
    The rest of the work goes on; the caller collects these and reports them.
    """

    def __init__(self, where: str, message: str, field: str | None = None) -> None:
        self.where = where
        self.field = field
        self.reason = message
        prefix = f"{where}: {field}: " if field else f"{where}: "
        super().__init__(prefix + message)


class BadField(InputError):
    """One field of an input (a file's front matter, a post, a feed item) is wrong.

    Raised where only the field is known; the code that knows the input (its path or URL)
    reports it with :meth:`at`.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__("", message, field)
        self.args = (f"{field}: {message}",)

    def __reduce__(self) -> tuple[type[BadField], tuple[str, str]]:
        # Travels back from a worker process (the default would rebuild it from the joined message).
        return (BadField, (self.field or "", self.reason))

    def at(self, where: str) -> InputError:
        """This error, naming the input it is about."""
        return InputError(where, self.reason, self.field)


class SourceUnavailable(SyndicationError):
    """A source could not be read at all (server error, time-out, invalid answer)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}")


class TemplateError(SyndicationError):
    """A template failed to render or compile; names the template, line and cause."""


class DeliveryError(SyndicationError):
    """A delivery backend refused or failed a batch."""


class LockHeld(SyndicationError):
    """Another process holds the scheduler lock for this store."""

    exit_code = EXIT_USAGE
