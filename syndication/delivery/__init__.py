"""Delivery: the Messenger interface, its backends, the send ledger."""
