"""Mail as every feature sees it: the message values and the Messenger (base), MIME, VERP addresses,
click tokens, and the send events providers report (events). Core: imports nothing of the features."""
