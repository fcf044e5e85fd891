"""Commands of this capability (filled in by the capability's work)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this capability's commands to the root command."""
