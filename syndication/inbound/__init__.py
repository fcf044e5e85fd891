"""Inbound mail: bounces (DSN and non-standard) and mailto: unsubscribes, by IMAP or LMTP/SMTP."""
