"""Email addresses as every feature compares them: validated, IDN domain in Unicode, lower case."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from syndication.errors import InputError


def normalise_email(raw: str, where: str = "email") -> str:
    """The address in the form we store and compare: validated syntax, IDN domain in Unicode, lower case.

    Mailbox providers treat the local part case-insensitively in practice, so ``Anna@X.de``
    and ``anna@x.de`` are one subscriber. No DNS look-up is made.
    """
    candidate = (raw or "").strip()
    if not candidate:
        raise InputError(where, "no email address given", field="email")
    try:
        valid = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(where, "not a valid email address: %(reason)s", field="email", reason=str(exc)) from None
    return valid.normalized.lower()
