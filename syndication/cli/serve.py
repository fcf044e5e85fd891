"""``syndication serve``: the web app (public/ feeds, subscriber pages, partner API) under uvicorn."""

from __future__ import annotations

import click

from syndication.runtime import Runtime


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: [serve] host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: [serve] port).")
@click.pass_obj
def serve_command(runtime: Runtime, host: str | None, port: int | None) -> None:
    """Serve public/ and the app's routes until interrupted."""
    import uvicorn

    from syndication.web import create_app

    settings = runtime.settings
    uvicorn.run(
        create_app(runtime),
        host=host or settings.serve.host,
        port=port if port is not None else settings.serve.port,
        proxy_headers=True,
        log_level="info",
    )


def register(cli: click.Group) -> None:
    """Add this capability's commands to the root command."""
    cli.add_command(serve_command)
