"""`syndication digest send` (filled in by the delivery work)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add the send command to the `digest` group."""
