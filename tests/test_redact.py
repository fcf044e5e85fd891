"""Addresses never reach a log line or a stored reason."""

from __future__ import annotations

from syndication.redact import redact, redacted_reason


def test_redact_removes_addresses() -> None:
    """Error texts lose their email addresses before they are logged or stored."""
    assert "550 <address>: unknown user" == redact("550 anna.muster@example.org: unknown user")


def test_redact_keeps_the_brackets_and_quotes_around_an_address() -> None:
    """Only the address goes; the punctuation that framed it stays, so the text still reads."""
    assert "RCPT TO:<<address>> {'to': '<address>'}" == redact("RCPT TO:<a@example.org> {'to': 'b@example.org'}")


def test_a_stored_reason_is_one_line_without_addresses_and_cut_to_its_limit() -> None:
    """Control characters become spaces, the address is redacted, the text is cut; blank text is no reason."""
    assert ("550 user <address>\tgone".replace("\t", " "), "550 u", None, None) == (
        redacted_reason(" 550 user x@example.org\tgone\n"),
        redacted_reason("550 user", limit=5),
        redacted_reason(" \n "),
        redacted_reason(None),
    )
