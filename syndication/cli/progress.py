"""Progress of long jobs: a bar on stderr when stderr is a terminal, nothing at all otherwise.

The jobs themselves take a plain callback, ``progress(step, total)`` (advance by ``step`` items;
``total`` when it is known, else None), so they know nothing of terminals. Standard output, and
with it every ``--json`` document, never carries progress: a piped or redirected run prints none.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

Progress = Callable[[int, int | None], None]


def no_progress(step: int, total: int | None) -> None:
    """The callback for runs that show nothing."""


def on_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal (a closed or odd stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_bar(
    description: str, unit: str, *, enabled: bool = True, stream: TextIO | None = None
) -> Iterator[Progress]:
    """A ``progress(step, total)`` callback drawing one bar on ``stream`` (default: stderr).

    The bar is drawn only when ``enabled`` and the stream is a terminal; otherwise the callback
    does nothing, so that logs, pipes and ``--json`` output stay clean.
    """
    out = stream if stream is not None else sys.stderr
    if not (enabled and on_terminal(out)):
        yield no_progress
        return
    bar = tqdm(desc=description, unit=f" {unit}", file=out, total=None, leave=True, dynamic_ncols=True)

    def advance(step: int, total: int | None) -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(step)

    try:
        # A warning logged mid-run is printed above the bar instead of being glued to its line.
        with logging_redirect_tqdm():
            yield advance
    finally:
        bar.close()


progress_option = click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Progress bar on stderr when it is a terminal (never on stdout, never when piped).",
)
