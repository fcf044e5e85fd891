"""Outgoing webhooks: subscriber and edition events, signed (Standard Webhooks), queued, retried."""
