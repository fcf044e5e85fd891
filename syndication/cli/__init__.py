"""The ``syndication`` command. Each capability registers its commands from its own module."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from syndication.app import runtime_for
from syndication.app.logs import configure_logging
from syndication.cli.help import route_click_words, show_click_error, translate_help
from syndication.cli.words import _, problem, use_settings
from syndication.clock import Clock, SystemClock
from syndication.config import Secrets, load_settings
from syndication.errors import EXIT_USAGE, SyndicationError

_LOGGING_COMMANDS = frozenset({"run", "serve"})


@dataclass(frozen=True)
class CliContext:
    """What the caller of the command line hands in: the one place its clock comes from.

    ``main`` passes the system clock; tests invoke ``cli`` with ``obj=CliContext(clock=FixedClock(...))``
    so that every command, and everything it calls, sees the same, chosen "now".
    """

    clock: Clock = field(default_factory=SystemClock)


@click.group()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Config file (default: $SYNDICATION_CONFIG or ./config.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """Feeds, email digests and partner syndication for news publishers."""
    # Long-running processes report through their log; one-shot commands print their own results.
    quiet_level = logging.INFO if ctx.invoked_subcommand in _LOGGING_COMMANDS else logging.WARNING
    given = ctx.obj if isinstance(ctx.obj, CliContext) else CliContext()
    use_settings(None)
    settings = load_settings(config_path)
    # From here on the command speaks the language config.toml names (unless SYNDICATION_LANGUAGE says otherwise).
    use_settings(settings)
    configure_logging(settings.logging.format, logging.DEBUG if verbose else quiet_level, sys.stderr)
    # Migrations run on every start; say so only when something goes wrong.
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)
    # The composition root builds the runtime: features tell its notifier what happened; the webhooks'
    # outbox listens. Commands take their services from syndication.app.App(runtime).
    runtime = runtime_for(settings, Secrets.for_settings(settings), given.clock)
    ctx.obj = runtime
    ctx.call_on_close(runtime.close)


def _register_commands() -> None:
    # Imported here, lazily, because each command module imports `cli` from this package: at the
    # top they would import a package that is still being initialised.
    from syndication.cli import (
        admin,
        articles,
        delivery,
        demo,
        digest,
        feeds,
        inbound,
        init,
        partners,
        report,
        run,
        send,
        serve,
        store,
        subscribers,
        webhooks,
        worker,
    )

    # `send` and `report` add to the `digest` group, so they come after `digest`.
    modules = (articles, feeds, digest, send, report, subscribers, partners, run, serve, demo, init, webhooks, inbound,
               delivery, store, worker, admin)
    for module in modules:
        module.register(cli)


_register_commands()
translate_help(cli)
route_click_words()


def main(argv: list[str] | None = None, *, clock: Clock | None = None) -> None:
    """Console entry point: a SyndicationError becomes one line on stderr and its exit code."""
    context = CliContext(clock=clock) if clock is not None else CliContext()
    use_settings(None)
    try:
        code = cli.main(args=argv, prog_name="syndication", standalone_mode=False, obj=context)
    except SyndicationError as exc:
        # In the command line's language: the error's template translated, the keys and values it names as
        # written (syndication.errors); str(exc), what logs show, stays English.
        click.echo(f"syndication: {problem(exc)}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo(_("Aborted."), err=True)
        sys.exit(1)
    except click.ClickException as exc:
        show_click_error(exc)
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else 0)
