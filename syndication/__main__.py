"""`python -m syndication` runs the `syndication` command."""

from syndication.cli import main

main()
