"""`syndication inbound [--listen HOST:PORT]`: bounces and mailto: unsubscribes into send events."""

from __future__ import annotations

import signal
import threading

import click

from syndication.app import App
from syndication.cli.summaries import inbound_summary
from syndication.cli.words import _
from syndication.errors import UsageError
from syndication.inbound.receiver import serve
from syndication.runtime import Runtime


def _host_port(value: str) -> tuple[str, int]:
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(_("--listen %(value)s: expected HOST:PORT, such as 127.0.0.1:2424", value=value))
    return host.strip("[]"), int(port)


@click.command("inbound")
@click.option("--listen", metavar="HOST:PORT", default=None,
              help="Receive mail forwarded by the mail server (LMTP) instead of polling [inbound] imap_url once.")
@click.option("--protocol", type=click.Choice(["lmtp", "smtp"]), default="lmtp", show_default=True,
              help="What --listen speaks.")
@click.pass_obj
def inbound(runtime: Runtime, listen: str | None, protocol: str) -> None:
    """Read bounces and mailto: unsubscribes: poll the IMAP mailbox once, or listen with --listen.

    Each mail is applied once, however often it is read: a hard bounce or complaint suppresses
    the address, a mailed unsubscribe unsubscribes.
    """
    if listen is None:
        click.echo(inbound_summary(App(runtime).poll_inbound()))
        return
    host, port = _host_port(listen)
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda _signum, _frame: stop.set())
    click.echo(_("listening for %(protocol)s on %(host)s:%(port)s; stop with Ctrl-C", protocol=protocol.upper(),
                 host=host, port=port), err=True)
    serve(App(runtime).inbound_processor(), host, port, stop, protocol=protocol)


def register(cli: click.Group) -> None:
    cli.add_command(inbound)
