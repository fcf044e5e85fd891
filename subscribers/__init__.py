"""Subscribers: double opt-in, consent, tokens, preferences, bounces."""
