"""Addresses as every feature compares them."""

from __future__ import annotations

import pytest

from syndication.errors import InputError
from syndication.mail.addresses import normalise_email


def test_addresses_are_lower_case_and_invalid_ones_refused() -> None:
    """One form per address (lower case, spaces trimmed); no address or a malformed one is an input error."""
    assert "anna@example.org" == normalise_email("  Anna@Example.ORG ")
    for raw in ("", "anna", "anna@@example.org"):
        with pytest.raises(InputError):
            normalise_email(raw)
