"""Email digests: editions, MJML rendering (compile once), personalisation and the web archive."""
